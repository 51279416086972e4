//! The provider's webhook envelope `{event, data, webhookVerifyToken}` and the events we act on.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::inbound::Participant;
pub use crate::inbound::{GroupActivity, GroupUpdate, ParticipantsUpdate, Stub};

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
    /// Files sent along (`extra.media`: message id → base64), when the provider includes them.
    pub media: std::collections::HashMap<String, String>,
}

/// A file in a message; the provider keeps it (`GET /media/:messageId`) unless it came along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundFile {
    /// Our attachment file type: image, audio, video, file or sticker.
    pub file_type: &'static str,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
    /// A voice note (`ptt`), not an audio file.
    pub voice: bool,
}

/// A reaction to a message: `emoji: None` takes the sender's reaction back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The provider's id of the message reacted to.
    pub target: String,
    pub emoji: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Event {
    Messages(Vec<UpsertMessage>),
    Participants(ParticipantsUpdate),
    Groups(Vec<GroupUpdate>),
    /// `groups.activity`: what happened in groups while they are soft-disabled.
    Activity(Vec<GroupActivity>),
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
    pub media: Option<InboundFile>,
    /// JIDs mentioned (`contextInfo.mentionedJid`).
    pub mentioned: Vec<String>,
    /// `@everyone` (`contextInfo.groupMentions`).
    pub mentions_everyone: bool,
    pub reaction: Option<Reaction>,
    pub stub: Option<Stub>,
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

/// What a message says: its text, whether we render its type, what it quotes, its file, and
/// its context (mentions).
struct Content {
    text: Option<String>,
    supported: bool,
    reply_to: Option<String>,
    media: Option<InboundFile>,
    context: Option<Value>,
}

const MEDIA: [(&str, &str); 5] = [
    ("imageMessage", "image"),
    ("videoMessage", "video"),
    ("audioMessage", "audio"),
    ("documentMessage", "file"),
    ("stickerMessage", "sticker"),
];

fn content_of(message: &Value) -> Content {
    let context = |inner: &Value| inner.get("contextInfo").cloned();
    let quoted = |ctx: &Option<Value>| ctx.as_ref().and_then(|c| c.get("stanzaId")).and_then(Value::as_str).map(str::to_string);
    if let Some(t) = message.get("conversation").and_then(Value::as_str) {
        let ctx = message.get("messageContextInfo").cloned().filter(|c| c.get("mentionedJid").is_some());
        return Content { text: Some(t.to_string()), supported: true, reply_to: None, media: None, context: ctx };
    }
    if let Some(inner) = message.get("extendedTextMessage") {
        let ctx = context(inner);
        return Content { text: text(inner, "text"), supported: true, reply_to: quoted(&ctx), media: None, context: ctx };
    }
    // A document with a caption comes wrapped.
    let message = message.pointer("/documentWithCaptionMessage/message").unwrap_or(message);
    for (key, file_type) in MEDIA {
        if let Some(inner) = message.get(key) {
            let ctx = context(inner);
            let media = InboundFile {
                file_type,
                mime_type: text(inner, "mimetype"),
                file_name: text(inner, "fileName"),
                voice: file_type == "audio" && inner.get("ptt").and_then(Value::as_bool) == Some(true),
            };
            return Content { text: text(inner, "caption"), supported: true, reply_to: quoted(&ctx), media: Some(media), context: ctx };
        }
    }
    // Anything else: kept as unsupported, with a caption when there is one.
    let envelope_keys = ["senderKeyDistributionMessage", "messageContextInfo"];
    let inner =
        message.as_object().and_then(|o| o.iter().find(|(k, v)| v.is_object() && !envelope_keys.contains(&k.as_str())).map(|(_, v)| v));
    let ctx = inner.and_then(context);
    Content { text: inner.and_then(|i| text(i, "caption")), supported: false, reply_to: quoted(&ctx), media: None, context: ctx }
}

fn upsert_message(m: &Value) -> Option<UpsertMessage> {
    let key = m.get("key")?;
    let message = m.get("message").cloned().unwrap_or(Value::Null);
    let stub = m.get("messageStubType").filter(|s| !s.is_null()).map(|kind| Stub {
        kind: kind.as_str().map(str::to_string).unwrap_or_else(|| kind.to_string()),
        parameters: m
            .get("messageStubParameters")
            .and_then(Value::as_array)
            .map(|l| l.iter().map(|p| p.as_str().map(str::to_string).unwrap_or_else(|| p.to_string())).collect())
            .unwrap_or_default(),
    });
    let reaction =
        message.get("reactionMessage").and_then(|r| Some(Reaction { target: text(r.get("key")?, "id")?, emoji: text(r, "text") }));
    // Edits/deletions, and key distribution alone (sent with a group's first message).
    let only_keys = message.as_object().is_some_and(|o| o.len() == 1 && o.contains_key("senderKeyDistributionMessage"));
    let silent = message.get("reactionMessage").is_some() || message.get("protocolMessage").is_some() || only_keys;
    let content = content_of(&message);
    let content_attributes = if content.supported || message.is_null() {
        Value::Object(Default::default())
    } else {
        serde_json::json!({ "is_unsupported": true, "whatsapp": message })
    };
    let ctx = content.context.unwrap_or(Value::Null);
    let mentioned = ctx
        .get("mentionedJid")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let mentions_everyone = ctx.get("groupMentions").and_then(Value::as_array).is_some_and(|l| !l.is_empty());
    Some(UpsertMessage {
        id: text(key, "id")?,
        remote_jid: text(key, "remoteJid")?,
        from_me: key.get("fromMe").and_then(Value::as_bool).unwrap_or(false),
        participant: text(key, "participant"),
        participant_alt: text(key, "participantAlt").or_else(|| text(m, "participantAlt")),
        push_name: text(m, "pushName"),
        timestamp: timestamp(m.get("messageTimestamp")),
        content: content.text,
        content_attributes,
        reply_to: content.reply_to,
        is_message: stub.is_none() && !silent && !message.is_null(),
        media: content.media,
        mentioned,
        mentions_everyone,
        reaction,
        stub,
    })
}

fn participant(v: &Value) -> Option<Participant> {
    match v {
        Value::String(id) => Some(Participant { id: id.clone(), ..Default::default() }),
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
    let media = body
        .pointer("/extra/media")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(id, b64)| Some((id.clone(), b64.as_str()?.to_string()))).collect())
        .unwrap_or_default();
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
        "groups.activity" => {
            let list = match &data {
                Value::Array(l) => l.clone(),
                other => vec![other.clone()],
            };
            Event::Activity(
                list.iter()
                    .filter_map(|a| {
                        Some(GroupActivity {
                            jid: text(a, "jid")?,
                            unread_count: a.get("unreadCount").and_then(Value::as_i64).unwrap_or(0).max(0),
                            last_message_at: timestamp(a.get("lastMessageAt")),
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
    Ok(Webhook { verify_token, event, media })
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
        assert_eq!(list[2].media.as_ref().map(|m| (m.file_type, m.mime_type.as_deref())), Some(("image", Some("image/jpeg"))));
        assert_eq!(list[2].content_attributes, json!({}), "an image is a message with a file, not unsupported");
        assert_eq!(list[1].reaction, None, "a reaction without the key of its message names nothing");
        Ok(())
    }

    #[test]
    fn files_voice_notes_reactions_mentions_and_stubs() -> TestResult {
        let body = json!({ "event": "messages.upsert", "extra": { "media": { "V1": "aGVsbG8=" } }, "data": { "messages": [
            { "key": { "remoteJid": "120363@g.us", "id": "V1", "participant": "2771@lid" },
              "message": { "audioMessage": { "mimetype": "audio/ogg; codecs=opus", "ptt": true } } },
            { "key": { "remoteJid": "120363@g.us", "id": "D1", "participant": "2771@lid" },
              "message": { "documentWithCaptionMessage": { "message": { "documentMessage": { "fileName": "pedido.pdf", "caption": "el pedido", "mimetype": "application/pdf" } } } } },
            { "key": { "remoteJid": "120363@g.us", "id": "R1", "participant": "2771@lid" },
              "message": { "reactionMessage": { "key": { "id": "M9" }, "text": "" } } },
            { "key": { "remoteJid": "120363@g.us", "id": "T1", "participant": "2771@lid" },
              "message": { "extendedTextMessage": { "text": "hola @2772 y @everyone", "contextInfo": { "mentionedJid": ["2772@lid"], "groupMentions": [{ "groupSubject": "everyone" }] } } } },
            { "key": { "remoteJid": "120363@g.us", "id": "S1" }, "messageStubType": "GROUP_CHANGE_ICON", "messageStubParameters": ["x"] }
        ] } });
        let hook = parse_webhook(&body)?;
        assert_eq!(hook.media.get("V1").map(String::as_str), Some("aGVsbG8="));
        let Event::Messages(list) = hook.event else { return Err("messages expected".into()) };
        let voice = list[0].media.clone().ok_or("a file")?;
        assert!(voice.voice && voice.file_type == "audio");
        let doc = list[1].media.clone().ok_or("a file")?;
        assert_eq!((doc.file_type, doc.file_name.as_deref(), list[1].content.as_deref()), ("file", Some("pedido.pdf"), Some("el pedido")));
        assert_eq!(list[2].reaction, Some(Reaction { target: "M9".into(), emoji: None }), "an empty reaction takes it back");
        assert!(!list[2].is_message);
        assert_eq!((list[3].mentioned.clone(), list[3].mentions_everyone), (vec!["2772@lid".to_string()], true));
        assert_eq!(list[4].stub, Some(Stub { kind: "GROUP_CHANGE_ICON".into(), parameters: vec!["x".into()] }));
        assert!(!list[4].is_message);
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
