//! The provider's webhook envelope `{event, data, webhookVerifyToken}` and the events we act on.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is not a webhook envelope")]
    NotAnEnvelope,
}

/// A delivery: the token it carried, and what happened.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub verify_token: Option<String>,
    pub event: Event,
}

#[derive(Debug, Clone)]
pub enum Event {
    Messages(Vec<UpsertMessage>),
    Participants(ParticipantsUpdate),
    Groups(Vec<GroupUpdate>),
    /// `message-receipt.update` and `messages.update`: how far our messages got.
    Receipts(Vec<Receipt>),
    /// Blank, or an event we do not act on (connection updates, receipts, …).
    Ignored(String),
}

/// One message of `messages.upsert`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsertMessage {
    pub id: String,
    pub remote_jid: String,
    pub from_me: bool,
    /// In groups: who wrote it, and the alternate JID (LID ↔ phone).
    pub participant: Option<String>,
    pub participant_alt: Option<String>,
    pub push_name: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub content: Option<String>,
    /// Set for a type we do not render: `is_unsupported` and the raw message, as the BSP path does.
    pub content_attributes: Value,
    /// The provider's id of the message this one quotes.
    pub reply_to: Option<String>,
    /// Reactions, protocol messages (edits, deletions) and group stubs create no message.
    pub is_message: bool,
}

/// A message of ours reached someone (`delivered`) or was read (`read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's id of the message (our source_id).
    pub id: String,
    /// `delivered` or `read`.
    pub status: &'static str,
}

/// A receipt of `message-receipt.update`: `{key, receipt: {receiptTimestamp?, readTimestamp?,
/// playedTimestamp?}}`; reading (or playing) outranks delivery.
fn receipt(v: &Value) -> Option<Receipt> {
    let id = text(v.get("key")?, "id")?;
    let r = v.get("receipt")?;
    let has = |k: &str| r.get(k).is_some_and(|t| !t.is_null());
    let status = if has("readTimestamp") || has("playedTimestamp") {
        "read"
    } else if has("receiptTimestamp") {
        "delivered"
    } else {
        return None;
    };
    Some(Receipt { id, status })
}

/// An entry of `messages.update` with a status (Baileys' `WAMessageStatus`: 4 delivered,
/// 5 read, 6 played); other updates (edits, reactions) are not receipts.
fn status_update(v: &Value) -> Option<Receipt> {
    let id = text(v.get("key")?, "id")?;
    let status = match v.pointer("/update/status")? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => match s.as_str() {
            "DELIVERY_ACK" => 4,
            "READ" => 5,
            "PLAYED" => 6,
            _ => return None,
        },
        _ => return None,
    };
    let status = match status {
        4 => "delivered",
        5 | 6 => "read",
        _ => return None,
    };
    Some(Receipt { id, status })
}

/// `group-participants.update`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantsUpdate {
    pub group: String,
    pub author: Option<String>,
    pub action: String,
    pub participants: Vec<super::Participant>,
}

/// One entry of `groups.update`. `desc: Some(None)` is a removed description.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupUpdate {
    pub id: String,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub desc: Option<Option<String>>,
    pub invite_code: Option<String>,
    pub restrict: Option<bool>,
    pub announce: Option<bool>,
    pub member_add_mode: Option<bool>,
    pub join_approval_mode: Option<bool>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A Baileys timestamp: seconds as a number, a string, or a Long `{low, high}`.
fn timestamp(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let secs = match v? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        Value::Object(o) => {
            let low = o.get("low")?.as_i64()?;
            let high = o.get("high").and_then(Value::as_i64).unwrap_or(0);
            (high << 32) | (low & 0xffff_ffff)
        }
        _ => return None,
    };
    Utc.timestamp_opt(secs, 0).single()
}

/// The text of a message and whether we render its type.
fn content_of(message: &Value) -> (Option<String>, bool, Option<String>) {
    let context = |inner: &Value| inner.pointer("/contextInfo/stanzaId").and_then(Value::as_str).map(str::to_string);
    if let Some(t) = message.get("conversation").and_then(Value::as_str) {
        return (Some(t.to_string()), true, None);
    }
    if let Some(inner) = message.get("extendedTextMessage") {
        return (text(inner, "text"), true, context(inner));
    }
    // Media and anything else: kept as unsupported, with a caption when there is one.
    let envelope_keys = ["senderKeyDistributionMessage", "messageContextInfo"];
    let inner =
        message.as_object().and_then(|o| o.iter().find(|(k, v)| v.is_object() && !envelope_keys.contains(&k.as_str())).map(|(_, v)| v));
    let caption = inner.and_then(|i| text(i, "caption"));
    (caption, false, inner.and_then(context))
}

fn upsert_message(m: &Value) -> Option<UpsertMessage> {
    let key = m.get("key")?;
    let message = m.get("message").cloned().unwrap_or(Value::Null);
    let stub = m.get("messageStubType").is_some_and(|s| !s.is_null());
    // Reactions, edits/deletions, and key distribution alone (sent with a group's first message).
    let only_keys = message.as_object().is_some_and(|o| o.len() == 1 && o.contains_key("senderKeyDistributionMessage"));
    let silent = message.get("reactionMessage").is_some() || message.get("protocolMessage").is_some() || only_keys;
    let (content, supported, reply_to) = content_of(&message);
    let content_attributes = if supported || message.is_null() {
        Value::Object(Default::default())
    } else {
        serde_json::json!({ "is_unsupported": true, "whatsapp": message })
    };
    Some(UpsertMessage {
        id: text(key, "id")?,
        remote_jid: text(key, "remoteJid")?,
        from_me: key.get("fromMe").and_then(Value::as_bool).unwrap_or(false),
        participant: text(key, "participant"),
        participant_alt: text(key, "participantAlt").or_else(|| text(m, "participantAlt")),
        push_name: text(m, "pushName"),
        timestamp: timestamp(m.get("messageTimestamp")),
        content,
        content_attributes,
        reply_to,
        is_message: !stub && !silent && !message.is_null(),
    })
}

fn participant(v: &Value) -> Option<super::Participant> {
    match v {
        Value::String(id) => Some(super::Participant { id: id.clone(), ..Default::default() }),
        Value::Object(_) => serde_json::from_value(v.clone()).ok(),
        _ => None,
    }
}

fn optional_bool(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        // memberAddMode / joinApprovalMode may come as their names.
        Value::String(s) => Some(matches!(s.as_str(), "all_member_add" | "on" | "true")),
        _ => None,
    }
}

/// Reads an envelope. A body that is not one is an error; an event we do not act on is not.
pub fn parse_webhook(body: &Value) -> Result<Webhook, WebhookError> {
    let obj = body.as_object().ok_or(WebhookError::NotAnEnvelope)?;
    let verify_token = text(body, "webhookVerifyToken");
    let event = obj.get("event").and_then(Value::as_str).unwrap_or_default().trim().to_string();
    let data = obj.get("data").cloned().unwrap_or(Value::Null);
    let event = match event.as_str() {
        _ if data.is_null() => Event::Ignored(event),
        "messages.upsert" => {
            let list = match &data {
                Value::Array(l) => l.clone(),
                Value::Object(o) => match o.get("messages") {
                    Some(Value::Array(l)) => l.clone(),
                    _ => vec![data.clone()],
                },
                _ => vec![],
            };
            Event::Messages(list.iter().filter_map(upsert_message).collect())
        }
        "group-participants.update" => match text(&data, "id") {
            Some(group) => Event::Participants(ParticipantsUpdate {
                group,
                author: text(&data, "author"),
                action: text(&data, "action").unwrap_or_default(),
                participants: data
                    .get("participants")
                    .and_then(Value::as_array)
                    .map(|l| l.iter().filter_map(participant).collect())
                    .unwrap_or_default(),
            }),
            None => Event::Ignored(event),
        },
        "groups.update" => {
            let list = match &data {
                Value::Array(l) => l.clone(),
                other => vec![other.clone()],
            };
            Event::Groups(
                list.iter()
                    .filter_map(|g| {
                        Some(GroupUpdate {
                            id: text(g, "id")?,
                            author: text(g, "author"),
                            subject: text(g, "subject"),
                            desc: g.get("desc").map(|d| d.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)),
                            invite_code: text(g, "inviteCode"),
                            restrict: optional_bool(g, "restrict"),
                            announce: optional_bool(g, "announce"),
                            member_add_mode: optional_bool(g, "memberAddMode"),
                            join_approval_mode: optional_bool(g, "joinApprovalMode"),
                        })
                    })
                    .collect(),
            )
        }
        "message-receipt.update" | "messages.update" => {
            let list = match &data {
                Value::Array(l) => l.clone(),
                other => vec![other.clone()],
            };
            let read = if event == "messages.update" { status_update } else { receipt };
            Event::Receipts(list.iter().filter_map(read).collect())
        }
        _ => Event::Ignored(event),
    };
    Ok(Webhook { verify_token, event })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;
    use serde_json::json;

    #[test]
    fn receipts_say_delivered_or_read() -> TestResult {
        let body = json!({ "event": "message-receipt.update", "data": [
            { "key": { "id": "A", "remoteJid": "120363@g.us", "fromMe": true }, "receipt": { "userJid": "2771@lid", "receiptTimestamp": 1763700000 } },
            { "key": { "id": "B", "fromMe": true }, "receipt": { "userJid": "2771@lid", "readTimestamp": 1763700001 } },
            { "key": { "id": "C" }, "receipt": { "userJid": "2771@lid" } }
        ] });
        let Event::Receipts(list) = parse_webhook(&body)?.event else { return Err("receipts expected".into()) };
        assert_eq!(list, vec![Receipt { id: "A".into(), status: "delivered" }, Receipt { id: "B".into(), status: "read" }]);
        let body = json!({ "event": "messages.update", "data": [
            { "key": { "id": "D" }, "update": { "status": 4 } }, { "key": { "id": "E" }, "update": { "status": "READ" } },
            { "key": { "id": "F" }, "update": { "message": { "editedMessage": {} } } }
        ] });
        let Event::Receipts(list) = parse_webhook(&body)?.event else { return Err("receipts expected".into()) };
        assert_eq!(list, vec![Receipt { id: "D".into(), status: "delivered" }, Receipt { id: "E".into(), status: "read" }]);
        Ok(())
    }

    #[test]
    fn group_messages_carry_their_participant_and_text() -> TestResult {
        let body = json!({
            "event": "messages.upsert",
            "webhookVerifyToken": "tok",
            "data": { "type": "notify", "messages": [
                { "key": { "remoteJid": "120363@g.us", "fromMe": false, "id": "M1", "participant": "2771@lid", "participantAlt": "573001112222@s.whatsapp.net" },
                  "pushName": "Ana", "messageTimestamp": 1763700000, "message": { "extendedTextMessage": { "text": "hola", "contextInfo": { "stanzaId": "M0" } } } },
                { "key": { "remoteJid": "120363@g.us", "id": "M2", "participant": "2771@lid" }, "message": { "reactionMessage": { "text": "👍" } } },
                { "key": { "remoteJid": "573001112222@s.whatsapp.net", "id": "M3" }, "messageTimestamp": "1763700001",
                  "message": { "imageMessage": { "caption": "look", "mimetype": "image/jpeg" } } }
            ] }
        });
        let hook = parse_webhook(&body)?;
        assert_eq!(hook.verify_token.as_deref(), Some("tok"));
        let Event::Messages(list) = hook.event else { return Err("messages expected".into()) };
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].participant.as_deref(), Some("2771@lid"));
        assert_eq!(list[0].participant_alt.as_deref(), Some("573001112222@s.whatsapp.net"));
        assert_eq!((list[0].content.as_deref(), list[0].reply_to.as_deref()), (Some("hola"), Some("M0")));
        assert_eq!(list[0].timestamp.map(|t| t.timestamp()), Some(1763700000));
        assert!(list[0].is_message && !list[1].is_message, "a reaction makes no message");
        assert_eq!(list[2].content.as_deref(), Some("look"));
        assert_eq!(list[2].content_attributes["is_unsupported"], true);
        Ok(())
    }

    #[test]
    fn participant_and_group_updates_are_read_whatever_their_shape() -> TestResult {
        let hook = parse_webhook(&json!({ "event": "group-participants.update", "data": {
            "id": "120363@g.us", "author": "2771@lid", "action": "promote", "participants": [{ "id": "2772@lid", "phoneNumber": "573002223333@s.whatsapp.net", "admin": "admin" }, "2773@lid"] } }))?;
        let Event::Participants(p) = hook.event else { return Err("participants expected".into()) };
        assert_eq!((p.group.as_str(), p.action.as_str(), p.participants.len()), ("120363@g.us", "promote", 2));
        assert_eq!(p.participants[0].phone_number.as_deref(), Some("573002223333@s.whatsapp.net"));
        assert_eq!(p.participants[1].id, "2773@lid");

        let hook = parse_webhook(
            &json!({ "event": "groups.update", "data": [{ "id": "120363@g.us", "subject": "New name", "desc": null, "announce": true }] }),
        )?;
        let Event::Groups(g) = hook.event else { return Err("groups expected".into()) };
        assert_eq!(g[0].subject.as_deref(), Some("New name"));
        assert_eq!(g[0].desc, Some(None), "a removed description");
        assert_eq!((g[0].announce, g[0].restrict), (Some(true), None));

        assert!(matches!(parse_webhook(&json!({ "event": "connection.update", "data": {} }))?.event, Event::Ignored(_)));
        assert!(matches!(parse_webhook(&json!({ "event": "", "data": null }))?.event, Event::Ignored(_)));
        assert!(parse_webhook(&json!([1])).is_err());
        Ok(())
    }
}
