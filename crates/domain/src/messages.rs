//! The rules of a new message, before any IO: what it says, what type it is, and what it may not
//! be. `draft` turns what a client sent into a `Draft` or names the field that is wrong.

use serde_json::{json, Value};

use crate::conversations::{content_type, MessageType};
use crate::ValidationError;

/// Longest message text accepted.
pub const CONTENT_MAX: usize = 150_000;
/// Most attachments on one message, as in the reference.
pub const MAX_ATTACHMENTS: usize = 15;

/// A new message as a client sent it (the REST API's fields).
#[derive(Debug, Default)]
pub struct Raw {
    pub content: Option<String>,
    pub message_type: Option<Value>,
    pub private: bool,
    pub content_type: Option<String>,
    pub content_attributes: Option<Value>,
    pub in_reply_to: Option<i64>,
    pub template_params: Option<Value>,
    /// How many files come with it.
    pub files: usize,
}

/// A new message that passed every rule that needs no IO.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub message_type: MessageType,
    /// Trimmed at the end; `None` when there is no text (a file, a template or a structured
    /// message says it instead).
    pub content: Option<String>,
    pub content_type: String,
    pub content_attributes: Value,
    /// A WhatsApp template to send, kept as the reference keeps it (`additional_attributes`).
    pub template: Option<Value>,
    pub private: bool,
    /// The message this one answers, from the field or from `content_attributes.in_reply_to`.
    pub in_reply_to: Option<i64>,
}

fn object(field: &str, v: Value) -> Result<Value, ValidationError> {
    if v.is_object() {
        Ok(v)
    } else {
        Err(ValidationError::invalid(field, "must be a JSON object"))
    }
}

/// Checks a new message: its type, its template's name, that it says something, its length,
/// and that only outgoing messages are private notes.
pub fn draft(raw: Raw) -> Result<Draft, ValidationError> {
    let message_type = match &raw.message_type {
        None | Some(Value::Null) => MessageType::Outgoing,
        Some(v) => MessageType::parse("message_type", v)?,
    };
    let template = match raw.template_params {
        None | Some(Value::Null) => None,
        Some(t) => {
            let t = object("template_params", t)?;
            if t.get("name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
                return Err(ValidationError::blank("template_params.name"));
            }
            Some(t)
        }
    };
    let content_type = raw.content_type.as_deref().map(|t| content_type("content_type", t)).transpose()?.unwrap_or_else(|| "text".into());
    let content_attributes = raw.content_attributes.map(|v| object("content_attributes", v)).transpose()?.unwrap_or_else(|| json!({}));
    // A location, contact card or interactive message says what it says in its attributes.
    let structured = ["location", "contacts", "interactive"].iter().any(|k| content_attributes.get(*k).is_some_and(|v| !v.is_null()));
    let content = raw.content.as_deref().map(str::trim_end).filter(|c| !c.trim().is_empty()).map(str::to_string);
    if content.is_none() && raw.files == 0 && template.is_none() && !structured {
        return Err(ValidationError::blank("content"));
    }
    if content.as_deref().is_some_and(|c| c.chars().count() > CONTENT_MAX) {
        return Err(ValidationError::too_long("content", CONTENT_MAX));
    }
    if message_type == MessageType::Incoming && raw.private {
        return Err(ValidationError::invalid("private", "only outgoing messages can be private notes"));
    }
    let in_reply_to = raw.in_reply_to.or_else(|| content_attributes.get("in_reply_to").and_then(Value::as_i64));
    Ok(Draft { message_type, content, content_type, content_attributes, template, private: raw.private, in_reply_to })
}

/// A message that asks the contact something, answered: `submitted_values` kept in its content
/// attributes (answering again replaces them). Only `input_select`, `form`, `input_csat` and
/// the other `input_*` messages ask; values are an object or a list of objects.
pub fn submitted(content_type: &str, attributes: &Value, values: Value) -> Result<Value, ValidationError> {
    let asks = matches!(content_type, "input_select" | "form" | "input_csat" | "input_text" | "input_textarea" | "input_email");
    if !asks {
        return Err(ValidationError::invalid("submitted_values", "can only answer a message that asks (input_select, form, input_csat)"));
    }
    let values = match values {
        v @ Value::Object(_) => v,
        Value::Array(items) if items.iter().all(Value::is_object) => Value::Array(items),
        _ => return Err(ValidationError::invalid("submitted_values", "must be an object or a list of objects")),
    };
    if values.to_string().len() > 16 * 1024 {
        return Err(ValidationError::too_long("submitted_values", 16 * 1024));
    }
    let mut out = match attributes {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    out.insert("submitted_values".into(), values);
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(content: &str) -> Raw {
        Raw { content: Some(content.into()), ..Default::default() }
    }

    #[test]
    fn a_message_must_say_something() {
        assert_eq!(draft(text("  \n")).unwrap_err().field, "content");
        assert_eq!(draft(Raw::default()).unwrap_err().field, "content");
        // A file, a template or a structured message says it instead.
        assert!(draft(Raw { files: 1, ..Default::default() }).is_ok());
        assert!(draft(Raw { template_params: Some(json!({ "name": "otp" })), ..Default::default() }).is_ok());
        let location = json!({ "location": { "latitude": 4.6, "longitude": -74.1 } });
        assert!(draft(Raw { content_attributes: Some(location), ..Default::default() }).is_ok());
    }

    #[test]
    fn text_is_trimmed_at_the_end_and_bounded() {
        assert_eq!(draft(text("hola  \n")).unwrap().content.as_deref(), Some("hola"));
        assert_eq!(draft(text(&"a".repeat(CONTENT_MAX))).unwrap().content.map(|c| c.len()), Some(CONTENT_MAX));
        assert_eq!(draft(text(&"a".repeat(CONTENT_MAX + 1))).unwrap_err().code, "too_long");
    }

    #[test]
    fn fields_are_checked_and_named() {
        let private_incoming = Raw { message_type: Some(json!("incoming")), private: true, ..text("hi") };
        assert_eq!(draft(private_incoming).unwrap_err().field, "private");
        let nameless = Raw { template_params: Some(json!({ "language": "es" })), ..Default::default() };
        assert_eq!(draft(nameless).unwrap_err().field, "template_params.name");
        let not_object = Raw { content_attributes: Some(json!([1])), ..text("hi") };
        assert_eq!(draft(not_object).unwrap_err().field, "content_attributes");
        assert_eq!(draft(Raw { content_type: Some("hologram".into()), ..text("hi") }).unwrap_err().field, "content_type");
    }

    #[test]
    fn the_reply_target_comes_from_either_place() {
        assert_eq!(draft(Raw { in_reply_to: Some(7), ..text("hi") }).unwrap().in_reply_to, Some(7));
        let attributes = json!({ "in_reply_to": 9 });
        assert_eq!(draft(Raw { content_attributes: Some(attributes), ..text("hi") }).unwrap().in_reply_to, Some(9));
    }
}
