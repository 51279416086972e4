//! Reads the BSP's webhooks: contact messages, delivery statuses and template events. Every
//! message type becomes content, content_attributes and at most one attachment; a type we
//! don't know is kept whole, never dropped.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field} {message}")]
pub struct WebhookError {
    pub field: String,
    pub message: String,
}

fn error(field: impl Into<String>, message: &str) -> WebhookError {
    WebhookError { field: field.into(), message: message.into() }
}

/// A file the contact sent; the BSP hosts it at `link`.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMedia {
    /// Our attachment file type: image, audio, video, file or sticker.
    pub file_type: &'static str,
    pub link: Option<String>,
    pub mime_type: Option<String>,
    pub meta: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub id: String,
    /// The sender's wa_id.
    pub from: String,
    pub profile_name: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub kind: String,
    /// The source id of the message this one answers.
    pub reply_to: Option<String>,
    pub content: Option<String>,
    pub content_attributes: Value,
    pub media: Option<InboundMedia>,
    pub unsupported: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub id: String,
    pub status: String,
    pub timestamp: Option<DateTime<Utc>>,
    /// The first error's text, for failures.
    pub error: Option<String>,
    /// conversation, pricing and errors, kept as sent.
    pub details: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplateEvent {
    Status { template_id: Option<String>, name: String, language: String, event: String, reason: Option<String> },
    Category { template_id: Option<String>, name: String, language: String, previous: Option<String>, new: String },
    Metrics(Vec<Value>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Webhook {
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<StatusUpdate>,
    pub templates: Vec<TemplateEvent>,
    /// Reactions to messages: they land on the message, not as messages.
    pub reactions: Vec<ReactionEvent>,
}

/// A contact's reaction to a message (`emoji: None` takes it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionEvent {
    /// The id of the message reacted to.
    pub target: String,
    /// The contact's wa_id.
    pub from: String,
    pub profile_name: Option<String>,
    pub emoji: Option<String>,
}

fn string(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The BSP sends epoch seconds, as a string or a number.
fn timestamp(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let secs: i64 = string(v)?.parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

/// Who a message or profile is from: their number (`from`, `wa_id`), or, where WhatsApp gives
/// only a business-scoped user id (BSUID) and no number, that id (`from_user_id`, `user_id`).
fn sender_id(v: &Value, number_key: &str) -> Option<String> {
    string(v.get(number_key)).or_else(|| string(v.get("from_user_id"))).or_else(|| string(v.get("user_id")))
}

fn non_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Parses a whole delivery. Structure errors (not an object, a message without id or
/// sender) name the field; content is never an error.
pub fn parse_webhook(body: &Value) -> Result<Webhook, WebhookError> {
    let root = body.as_object().ok_or_else(|| error("body", "must be a JSON object"))?;
    let mut out = Webhook::default();
    let profiles: Vec<(String, String)> = non_null(root.get("contacts"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| Some((sender_id(c, "wa_id")?, string(c.get("profile").and_then(|p| p.get("name")))?)))
        .collect();
    if let Some(messages) = non_null(root.get("messages")) {
        let list = messages.as_array().ok_or_else(|| error("messages", "must be a list"))?;
        for (i, m) in list.iter().enumerate() {
            if let Some(r) = reaction(m, &profiles) {
                out.reactions.push(r);
                continue;
            }
            out.messages.push(message(m, i, &profiles)?);
        }
    }
    if let Some(statuses) = non_null(root.get("statuses")) {
        let list = statuses.as_array().ok_or_else(|| error("statuses", "must be a list"))?;
        for (i, s) in list.iter().enumerate() {
            let id = string(s.get("id")).ok_or_else(|| error(format!("statuses[{i}].id"), "is missing"))?;
            let status = string(s.get("status")).ok_or_else(|| error(format!("statuses[{i}].status"), "is missing"))?;
            let errors = non_null(s.get("errors"));
            let error = errors.and_then(Value::as_array).and_then(|e| e.first()).map(|e| {
                let code = string(e.get("code"));
                let title = string(e.get("title")).or_else(|| string(e.get("message"))).or_else(|| e.as_str().map(str::to_string));
                match (code, title) {
                    (Some(c), Some(t)) => format!("{c}: {t}"),
                    (None, Some(t)) => t,
                    (Some(c), None) => c,
                    (None, None) => e.to_string(),
                }
            });
            let mut details = json!({});
            for key in ["conversation", "pricing", "errors", "recipient_id"] {
                if let Some(v) = non_null(s.get(key)) {
                    details[key] = v.clone();
                }
            }
            out.statuses.push(StatusUpdate { id, status, timestamp: timestamp(s.get("timestamp")), error, details });
        }
    }
    if let Some(field) = root.get("field").and_then(Value::as_str) {
        let value = root.get("value").cloned().unwrap_or(Value::Null);
        let name = string(value.get("message_template_name")).unwrap_or_default();
        let language = string(value.get("message_template_language")).unwrap_or_default();
        let template_id = string(value.get("message_template_id"));
        match field {
            "message_template_status_update" => out.templates.push(TemplateEvent::Status {
                template_id,
                name,
                language,
                event: string(value.get("event")).unwrap_or_default(),
                reason: string(value.get("reason")),
            }),
            "template_category_update" => out.templates.push(TemplateEvent::Category {
                template_id,
                name,
                language,
                previous: string(value.get("previous_category")),
                new: string(value.get("new_category")).unwrap_or_default(),
            }),
            "template_performance_metrics" => {
                let list = value.get("templates_performance_metrics").and_then(Value::as_array).cloned().unwrap_or_default();
                out.templates.push(TemplateEvent::Metrics(list));
            }
            other => tracing::info!(field = other, "ignoring an unknown webhook field"),
        }
    }
    Ok(out)
}

/// `{type: "reaction", reaction: {message_id, emoji}}`; an empty emoji removes the reaction.
fn reaction(m: &Value, profiles: &[(String, String)]) -> Option<ReactionEvent> {
    if string(m.get("type")).as_deref() != Some("reaction") {
        return None;
    }
    let r = non_null(m.get("reaction"))?;
    let from = sender_id(m, "from")?;
    Some(ReactionEvent {
        target: string(r.get("message_id"))?,
        profile_name: profiles.iter().find(|(wa, _)| *wa == from).map(|(_, n)| n.clone()),
        from,
        emoji: string(r.get("emoji")),
    })
}

fn message(m: &Value, i: usize, profiles: &[(String, String)]) -> Result<InboundMessage, WebhookError> {
    let at = |f: &str| format!("messages[{i}].{f}");
    let id = string(m.get("id")).ok_or_else(|| error(at("id"), "is missing"))?;
    let from = sender_id(m, "from").ok_or_else(|| error(at("from"), "is missing"))?;
    let kind = string(m.get("type")).unwrap_or_else(|| "unknown".into());
    let profile_name = profiles.iter().find(|(wa, _)| *wa == from).map(|(_, n)| n.clone());
    let reply_to = non_null(m.get("context")).and_then(|c| string(c.get("id")));
    let payload = non_null(m.get(kind.as_str())).cloned();
    let mut attrs = json!({});
    let mut media = None;
    let mut unsupported = false;
    let content = match (kind.as_str(), &payload) {
        ("text", Some(p)) => string(p.get("body")),
        ("image" | "audio" | "video" | "document" | "voice" | "sticker", Some(p)) => {
            let file_type = match kind.as_str() {
                "image" => "image",
                "audio" | "voice" => "audio",
                "video" => "video",
                "sticker" => "sticker",
                _ => "file",
            };
            let mut meta = json!({ "kind": kind });
            for key in ["id", "sha256", "caption", "filename", "mime_type", "file"] {
                if let Some(v) = non_null(p.get(key)) {
                    meta[key] = v.clone();
                }
            }
            // A voice note (recorded in the app) rather than an audio file.
            if kind == "voice" || p.get("voice").and_then(Value::as_bool) == Some(true) {
                meta["is_recorded_audio"] = json!(true);
            }
            media = Some(InboundMedia { file_type, link: string(p.get("link")), mime_type: string(p.get("mime_type")), meta });
            string(p.get("caption"))
        }
        ("location", Some(p)) => {
            attrs["location"] = p.clone();
            let parts: Vec<String> = ["name", "address"].iter().filter_map(|k| string(p.get(*k))).collect();
            Some(if parts.is_empty() { "Location".into() } else { parts.join(", ") })
        }
        ("contacts", Some(p)) => {
            attrs["contacts"] = p.clone();
            let names: Vec<String> =
                p.as_array().into_iter().flatten().filter_map(|c| string(c.get("name").and_then(|n| n.get("formatted_name")))).collect();
            Some(if names.is_empty() { "Contact".into() } else { names.join(", ") })
        }
        ("interactive", Some(p)) => {
            attrs["interactive"] = p.clone();
            let reply = non_null(p.get("list_reply")).or_else(|| non_null(p.get("button_reply")));
            reply.and_then(|r| string(r.get("title")))
        }
        ("button", Some(p)) => {
            attrs["button"] = p.clone();
            string(p.get("text")).or_else(|| string(p.get("payload")))
        }
        ("order", Some(p)) => {
            attrs["order"] = p.clone();
            let n = p.get("product_items").and_then(Value::as_array).map_or(0, Vec::len);
            Some(format!("Order: {n} item{}", if n == 1 { "" } else { "s" }))
        }
        _ => {
            unsupported = true;
            attrs["is_unsupported"] = json!(true);
            attrs["raw"] = m.clone();
            None
        }
    };
    // A referral (an ad or post the contact came from) rides on an ordinary message.
    if let Some(r) = non_null(m.get("referral")) {
        attrs["referral"] = r.clone();
    }
    if let Some(c) = non_null(m.get("context")) {
        attrs["context"] = c.clone();
    }
    Ok(InboundMessage {
        id,
        from,
        profile_name,
        timestamp: timestamp(m.get("timestamp")),
        kind,
        reply_to,
        content,
        content_attributes: attrs,
        media,
        unsupported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_text_reply_with_context() -> TestResult {
        let body = json!({
            "contacts": [{"profile": {"name": "William G."}, "wa_id": "573130000001"}],
            "messages": [{"context": {"from": "57323", "id": "gBEG1", "mentions": null, "forwarded": false},
                          "from": "573130000001", "id": "ABEG1", "timestamp": "1636642802", "type": "text",
                          "text": {"body": "Hi"}, "audio": null}],
            "statuses": null, "originNumber": "57323"
        });
        let w = parse_webhook(&body)?;
        let m = &w.messages[0];
        assert_eq!((m.id.as_str(), m.from.as_str(), m.content.as_deref()), ("ABEG1", "573130000001", Some("Hi")));
        assert_eq!(m.profile_name.as_deref(), Some("William G."));
        assert_eq!(m.reply_to.as_deref(), Some("gBEG1"));
        assert_eq!(m.timestamp.map(|t| t.timestamp()), Some(1636642802));
        Ok(())
    }

    #[test]
    fn unknown_types_are_kept_and_structure_errors_named() -> TestResult {
        let body = json!({"messages": [{"from": "1", "id": "x", "type": "reaction", "reaction": {"emoji": "👍"}}]});
        let w = parse_webhook(&body)?;
        assert!(w.messages[0].unsupported);
        assert_eq!(w.messages[0].content_attributes["raw"]["reaction"]["emoji"], "👍");
        let bad = json!({"messages": [{"from": "1", "type": "text"}]});
        assert_eq!(parse_webhook(&bad).err().map(|e| e.field), Some("messages[0].id".into()));
        assert!(parse_webhook(&json!([1])).is_err());
        Ok(())
    }

    #[test]
    fn statuses_keep_their_details() -> TestResult {
        let body = json!({"statuses": [{"id": "gB1", "timestamp": 1636642666, "status": "failed",
            "errors": [{"code": 131047, "title": "Re-engagement message"}],
            "pricing": {"billable": true}, "conversation": {"id": "c1"}}]});
        let w = parse_webhook(&body)?;
        let s = &w.statuses[0];
        assert_eq!(s.error.as_deref(), Some("131047: Re-engagement message"));
        assert_eq!(s.details["pricing"]["billable"], true);
        Ok(())
    }
}
