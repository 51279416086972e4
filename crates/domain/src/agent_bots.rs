//! Agent bots: what a bot may be given, and the rules of a conversation a bot answers first.

use serde_json::Value;

use crate::conversations::Status;
use crate::ValidationError;

/// The one kind of bot served: an outside program reached at its `outgoing_url`. The reference
/// numbers it 0 in requests and names it `webhook` in answers.
pub const WEBHOOK: &str = "webhook";

/// A bot's `bot_type`: 0, "0" or "webhook".
pub fn bot_type(field: &str, raw: &Value) -> Result<&'static str, ValidationError> {
    match raw {
        Value::Number(n) if n.as_i64() == Some(0) => Ok(WEBHOOK),
        Value::String(s) if matches!(s.trim(), "0" | WEBHOOK) => Ok(WEBHOOK),
        _ => Err(ValidationError::invalid(field, "must be 0 (webhook), the only bot type served")),
    }
}

/// A bot's `bot_config`: an object (or null, meaning empty).
pub fn bot_config(field: &str, raw: Value) -> Result<Value, ValidationError> {
    match raw {
        Value::Null => Ok(Value::Object(Default::default())),
        v @ Value::Object(_) => Ok(v),
        _ => Err(ValidationError::invalid(field, "must be an object")),
    }
}

/// The status a new conversation starts in: pending while a bot answers its inbox first (the
/// reference's `determine_conversation_status`), else the one asked for.
pub fn initial_status(requested: Status, answered_by_bot: bool) -> Status {
    if answered_by_bot {
        Status::Pending
    } else {
        requested
    }
}

/// Whether a status change is a bot handing the conversation over to people: the bot itself
/// opens a pending conversation (the reference's `pending_to_open_by_bot?`).
pub fn is_handoff(by_bot: bool, from: Status, to: Status) -> bool {
    by_bot && from == Status::Pending && to == Status::Open
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bot_type_is_webhook_by_number_or_name() {
        assert_eq!(bot_type("bot_type", &json!(0)), Ok(WEBHOOK));
        assert_eq!(bot_type("bot_type", &json!("webhook")), Ok(WEBHOOK));
        assert_eq!(bot_type("bot_type", &json!(1)).map_err(|e| e.field), Err("bot_type".to_string()));
        assert!(bot_config("bot_config", json!([1])).is_err());
        assert_eq!(bot_config("bot_config", Value::Null), Ok(json!({})));
    }

    #[test]
    fn a_bot_inbox_starts_pending_and_only_the_bot_hands_over() {
        assert_eq!(initial_status(Status::Open, true), Status::Pending);
        assert_eq!(initial_status(Status::Snoozed, false), Status::Snoozed);
        assert!(is_handoff(true, Status::Pending, Status::Open));
        assert!(!is_handoff(false, Status::Pending, Status::Open));
        assert!(!is_handoff(true, Status::Resolved, Status::Open));
    }
}
