//! Saved filters as the API shows them.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::CustomFilter;

#[derive(Debug, Serialize)]
pub struct FilterView {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub filter_type: String,
    pub query: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<CustomFilter> for FilterView {
    fn from(f: CustomFilter) -> Self {
        Self {
            id: f.id,
            name: f.name,
            filter_type: f.filter_type,
            query: f.query,
            created_at: f.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: f.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}
