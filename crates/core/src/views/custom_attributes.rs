//! Custom attribute definitions as the API shows them.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::AttributeDefinition;

#[derive(Debug, Serialize)]
pub struct DefinitionView {
    pub id: i64,
    pub attribute_display_name: String,
    pub attribute_display_type: String,
    pub attribute_description: Option<String>,
    pub attribute_key: String,
    pub regex_pattern: Option<String>,
    pub regex_cue: Option<String>,
    pub attribute_values: Value,
    pub attribute_model: String,
    pub default_value: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<AttributeDefinition> for DefinitionView {
    fn from(d: AttributeDefinition) -> Self {
        Self {
            id: d.id,
            attribute_display_name: d.attribute_display_name,
            attribute_display_type: d.attribute_display_type,
            attribute_description: d.attribute_description,
            attribute_key: d.attribute_key,
            regex_pattern: d.regex_pattern,
            regex_cue: d.regex_cue,
            attribute_values: d.attribute_values,
            attribute_model: d.attribute_model,
            default_value: d.default_value,
            created_at: d.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: d.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}
