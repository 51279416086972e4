//! The ActionCable JSON protocol (`actioncable-v1-json`) as `@rails/actioncable` speaks it.

use serde::Deserialize;
use serde_json::{json, Value};

pub const SUBPROTOCOL: &str = "actioncable-v1-json";

/// A client frame: `{"command":"subscribe","identifier":"{…}"}` and friends.
#[derive(Debug, Deserialize)]
pub struct Command {
    pub command: String,
    #[serde(default)]
    pub identifier: String,
    /// For `message`: a JSON string with `action` and its arguments.
    #[serde(default)]
    pub data: Option<String>,
}

/// The identifier of a RoomChannel subscription (itself JSON inside a string).
#[derive(Debug, Default, Deserialize)]
pub struct Identifier {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub pubsub_token: String,
    #[serde(default)]
    pub account_id: Option<Value>,
    #[serde(default)]
    pub user_id: Option<Value>,
    /// Our extension: replay what was missed after this per-account sequence number.
    #[serde(default)]
    pub since: Option<Value>,
}

fn as_i64(v: &Option<Value>) -> Option<i64> {
    match v {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Identifier {
    pub fn parse(raw: &str) -> Option<Self> {
        serde_json::from_str(raw).ok()
    }
    pub fn account_id(&self) -> Option<i64> {
        as_i64(&self.account_id)
    }
    pub fn user_id(&self) -> Option<i64> {
        as_i64(&self.user_id)
    }
    pub fn since(&self) -> Option<i64> {
        as_i64(&self.since)
    }
}

pub fn welcome() -> String {
    json!({ "type": "welcome" }).to_string()
}

pub fn ping(epoch: i64) -> String {
    json!({ "type": "ping", "message": epoch }).to_string()
}

pub fn confirm(identifier: &str) -> String {
    json!({ "identifier": identifier, "type": "confirm_subscription" }).to_string()
}

pub fn reject(identifier: &str) -> String {
    json!({ "identifier": identifier, "type": "reject_subscription" }).to_string()
}

/// An event frame; `seq` lets the client resubscribe with `since`.
pub fn event(identifier: &str, event: &str, data: &Value, seq: i64) -> String {
    json!({ "identifier": identifier, "message": { "event": event, "data": data, "seq": seq } }).to_string()
}

/// An event frame from an identifier already serialized as a JSON string and the envelope's
/// shared `message` JSON: no per-socket serialization of the data.
pub fn event_frame(identifier_json: &str, message_json: &str) -> String {
    let mut frame = String::with_capacity(identifier_json.len() + message_json.len() + 28);
    frame.push_str("{\"identifier\":");
    frame.push_str(identifier_json);
    frame.push_str(",\"message\":");
    frame.push_str(message_json);
    frame.push('}');
    frame
}

/// Said when the events after `since` are no longer kept: reload instead of trusting the stream.
pub fn replay_gap(identifier: &str, since: i64, oldest_available: Option<i64>) -> String {
    json!({ "identifier": identifier, "message": { "event": "replay.unavailable", "data": { "since": since, "oldest_available_seq": oldest_available } } })
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_parse_numbers_or_strings() {
        let id = Identifier::parse(r#"{"channel":"RoomChannel","pubsub_token":"t","account_id":"3","user_id":7,"since":12}"#)
            .unwrap_or_default();
        assert_eq!(id.channel, "RoomChannel");
        assert_eq!((id.account_id(), id.user_id(), id.since()), (Some(3), Some(7), Some(12)));
        assert!(Identifier::parse("not json").is_none());
    }

    #[test]
    fn prebuilt_event_frames_match_the_plain_ones() {
        let ident = r#"{"channel":"RoomChannel"}"#;
        let data = json!({ "id": 1, "content": "h\"i" });
        let message = json!({ "event": "message.created", "data": data, "seq": 5 }).to_string();
        let fast: Value =
            serde_json::from_str(&event_frame(&serde_json::to_string(ident).unwrap_or_default(), &message)).unwrap_or_default();
        let plain: Value = serde_json::from_str(&event(ident, "message.created", &data, 5)).unwrap_or_default();
        assert_eq!(fast, plain);
    }

    #[test]
    fn frames_have_the_reference_shapes() {
        assert_eq!(welcome(), r#"{"type":"welcome"}"#);
        let frame: Value = serde_json::from_str(&event("{}", "message.created", &json!({"id": 1}), 5)).unwrap_or_default();
        assert_eq!(frame["message"]["event"], "message.created");
        assert_eq!(frame["message"]["seq"], 5);
        assert_eq!(frame["identifier"], "{}");
    }
}
