//! Bounds on what one request may store, so no input grows without end (README, "Security").
//! Going over one is a 422 that names the field and the limit.

use serde_json::Value;

use crate::ValidationError;

/// Labels on one conversation or contact.
pub const MAX_LABELS: usize = 100;
/// Custom attributes on one record.
pub const MAX_ATTRIBUTES: usize = 100;
/// Characters of an attribute's key.
pub const MAX_ATTRIBUTE_KEY: usize = 255;
/// Bytes of an attribute's value, as JSON.
pub const MAX_ATTRIBUTE_VALUE: usize = 10_000;
/// Users one private note may mention.
pub const MAX_MENTIONS: usize = 50;

/// A custom attributes object within the limits.
pub fn custom_attributes(field: &str, v: Value) -> Result<Value, ValidationError> {
    let Some(map) = v.as_object() else { return Err(ValidationError::invalid(field, "must be a JSON object")) };
    if map.len() > MAX_ATTRIBUTES {
        return Err(ValidationError::invalid(field, format!("can hold at most {MAX_ATTRIBUTES} attributes")));
    }
    for (key, value) in map {
        if key.chars().count() > MAX_ATTRIBUTE_KEY {
            return Err(ValidationError::invalid(field, format!("keys can be at most {MAX_ATTRIBUTE_KEY} characters")));
        }
        if value.to_string().len() > MAX_ATTRIBUTE_VALUE {
            return Err(ValidationError::invalid(&format!("{field}.{key}"), format!("can be at most {MAX_ATTRIBUTE_VALUE} bytes")));
        }
    }
    Ok(v)
}

/// A label list within the limit.
pub fn labels(field: &str, labels: Vec<String>) -> Result<Vec<String>, ValidationError> {
    if labels.len() > MAX_LABELS {
        return Err(ValidationError::invalid(field, format!("can hold at most {MAX_LABELS} labels")));
    }
    Ok(labels)
}

/// Mentions within the limit.
pub fn mentions(field: &str, ids: Vec<i64>) -> Result<Vec<i64>, ValidationError> {
    if ids.len() > MAX_MENTIONS {
        return Err(ValidationError::invalid(field, format!("can mention at most {MAX_MENTIONS} users")));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_labels_and_mentions_are_bounded() {
        assert!(custom_attributes("custom_attributes", json!({ "plan": "gold" })).is_ok());
        assert!(custom_attributes("custom_attributes", json!([1])).is_err());
        let many: serde_json::Map<String, Value> = (0..=MAX_ATTRIBUTES).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(custom_attributes("custom_attributes", Value::Object(many)).is_err());
        assert!(custom_attributes("custom_attributes", json!({ "k".repeat(MAX_ATTRIBUTE_KEY + 1): 1 })).is_err());
        let big = custom_attributes("custom_attributes", json!({ "notes": "x".repeat(MAX_ATTRIBUTE_VALUE) }));
        assert_eq!(big.err().map(|e| e.field), Some("custom_attributes.notes".to_string()));
        assert!(labels("labels", vec!["a".into(); MAX_LABELS + 1]).is_err());
        assert!(mentions("content", (1..=MAX_MENTIONS as i64 + 1).collect()).is_err());
    }
}
