//! Turns an outgoing message into the BSP request for its type. The same function checks a
//! message when it is created (so a bad one is a 422 then, not a failure later) and builds the
//! request when the job sends it.

use serde_json::{json, Map, Value};
use switchboard_domain::whatsapp::{MAX_BUTTONS, TEXT_MAX};
use switchboard_domain::ValidationError;

pub use crate::channel::TemplateSend;

/// One POST to `{api_url}/v1/apikey/{service}/bsp/send`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub service: &'static str,
    pub body: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

impl MediaKind {
    /// From an attachment's file type (`file` is a document).
    pub fn of(file_type: &str, sticker: bool) -> Self {
        match file_type {
            _ if sticker => Self::Sticker,
            "image" => Self::Image,
            "audio" => Self::Audio,
            "video" => Self::Video,
            "sticker" => Self::Sticker,
            _ => Self::Document,
        }
    }

    fn wire(self) -> (&'static str, &'static str) {
        match self {
            Self::Image => ("imagebyurl", "image"),
            Self::Audio => ("audiobyurl", "audio"),
            Self::Video => ("videobyurl", "video"),
            Self::Document => ("docbyurl", "document"),
            Self::Sticker => ("stickerbyurl", "sticker"),
        }
    }
}

/// A file the BSP fetches from `link`.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub kind: MediaKind,
    pub link: String,
    pub file_name: String,
}

/// What the message says, in channel-neutral terms.
#[derive(Debug, Clone)]
pub struct Outbound<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub content: Option<&'a str>,
    pub content_type: &'a str,
    pub content_attributes: &'a Value,
    pub template: Option<TemplateSend>,
    pub media: Option<Media>,
    /// The source id of the message this one answers.
    pub reply_to: Option<&'a str>,
}

fn text_of(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|t| !t.is_empty())
}

fn has_link(text: &str) -> bool {
    text.contains("http://") || text.contains("https://")
}

fn invalid(field: &str, message: impl Into<String>) -> ValidationError {
    ValidationError::invalid(field, message)
}

fn object<'v>(v: &'v Value, field: &str) -> Result<&'v Map<String, Value>, ValidationError> {
    v.as_object().ok_or_else(|| invalid(field, "must be an object"))
}

fn require_str(obj: &Map<String, Value>, key: &str, field: &str) -> Result<(), ValidationError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        _ => Err(ValidationError::blank(&format!("{field}.{key}"))),
    }
}

/// The request for `o`, or the field that makes it unsendable.
pub fn build(o: &Outbound<'_>) -> Result<Request, ValidationError> {
    let attrs = o.content_attributes;
    let content = text_of(o.content);
    let (service, kind, payload) = if let Some(t) = &o.template {
        let mut template = json!({
            "language": { "policy": "deterministic", "code": t.language },
            "name": t.name,
            "components": t.components,
        });
        if let Some(ns) = &t.namespace {
            template["namespace"] = json!(ns);
        }
        ("template", "template", template)
    } else if let Some(m) = &o.media {
        let (service, kind) = m.kind.wire();
        let mut media = json!({ "link": m.link });
        if let (Some(caption), MediaKind::Image | MediaKind::Video | MediaKind::Document) = (content, m.kind) {
            media["caption"] = json!(caption);
        }
        if m.kind == MediaKind::Document {
            media["filename"] = json!(m.file_name);
        }
        (service, kind, media)
    } else if let Some(location) = attrs.get("location") {
        let obj = object(location, "content_attributes.location")?;
        for key in ["latitude", "longitude"] {
            if !obj.get(key).is_some_and(Value::is_number) {
                return Err(invalid(&format!("content_attributes.location.{key}"), "must be a number"));
            }
        }
        ("location", "location", location.clone())
    } else if let Some(contacts) = attrs.get("contacts") {
        let list = contacts
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| invalid("content_attributes.contacts", "must be a non-empty array"))?;
        for (i, c) in list.iter().enumerate() {
            let field = format!("content_attributes.contacts[{i}]");
            let name = object(c, &field)?.get("name").ok_or_else(|| ValidationError::blank(&format!("{field}.name")))?;
            require_str(object(name, &format!("{field}.name"))?, "formatted_name", &format!("{field}.name"))?;
        }
        ("contacts", "contacts", contacts.clone())
    } else if let Some(interactive) = attrs.get("interactive") {
        ("interactive", "interactive", interactive_of(interactive, content)?)
    } else if o.content_type == "input_select" {
        ("interactive", "interactive", select_of(attrs, content)?)
    } else {
        let body = content.ok_or_else(|| ValidationError::blank("content"))?;
        if body.chars().count() > TEXT_MAX {
            return Err(ValidationError::too_long("content", TEXT_MAX));
        }
        ("text", "text", json!({ "body": body }))
    };
    let mut body = json!({ "from": o.from, "to": o.to, "type": kind });
    if kind != "template" {
        body["recipient_type"] = json!("individual");
    }
    if kind == "text" && content.is_some_and(has_link) {
        body["preview_url"] = json!(true);
    }
    body[kind] = payload;
    if let Some(id) = o.reply_to {
        body["context"] = json!({ "message_id": id });
    }
    Ok(Request { service, body })
}

/// A WhatsApp interactive object given as is: button, list, product or product_list.
fn interactive_of(raw: &Value, content: Option<&str>) -> Result<Value, ValidationError> {
    let field = "content_attributes.interactive";
    let mut v = raw.clone();
    let obj = v.as_object_mut().ok_or_else(|| invalid(field, "must be an object"))?;
    if !obj.contains_key("body") {
        if let Some(text) = content {
            obj.insert("body".into(), json!({ "text": text }));
        }
    }
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
    let action = obj.get("action").and_then(Value::as_object).ok_or_else(|| ValidationError::blank(&format!("{field}.action")))?;
    let needs_body = matches!(kind.as_str(), "button" | "list" | "product_list");
    if needs_body && obj.get("body").and_then(|b| b.get("text")).and_then(Value::as_str).is_none_or(|t| t.trim().is_empty()) {
        return Err(ValidationError::blank(&format!("{field}.body.text")));
    }
    let action_field = format!("{field}.action");
    match kind.as_str() {
        "button" => {
            let buttons = action
                .get("buttons")
                .and_then(Value::as_array)
                .ok_or_else(|| ValidationError::blank(&format!("{action_field}.buttons")))?;
            if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
                return Err(invalid(&format!("{action_field}.buttons"), format!("must have 1 to {MAX_BUTTONS} buttons")));
            }
        }
        "list" => {
            require_str(action, "button", &action_field)?;
            if action.get("sections").and_then(Value::as_array).is_none_or(|s| s.is_empty()) {
                return Err(ValidationError::blank(&format!("{action_field}.sections")));
            }
        }
        "product" => {
            require_str(action, "catalog_id", &action_field)?;
            require_str(action, "product_retailer_id", &action_field)?;
        }
        "product_list" => {
            require_str(action, "catalog_id", &action_field)?;
            if action.get("sections").and_then(Value::as_array).is_none_or(|s| s.is_empty()) {
                return Err(ValidationError::blank(&format!("{action_field}.sections")));
            }
            if obj.get("header").is_none() {
                return Err(ValidationError::blank(&format!("{field}.header")));
            }
        }
        _ => return Err(ValidationError::new(format!("{field}.type"), "inclusion", "must be button, list, product or product_list")),
    }
    Ok(v)
}

/// The dashboard's `input_select` (items with title and value): buttons for up to three
/// options, a list beyond, as the reference sends them.
fn select_of(attrs: &Value, content: Option<&str>) -> Result<Value, ValidationError> {
    let field = "content_attributes.items";
    let items = attrs.get("items").and_then(Value::as_array).filter(|i| !i.is_empty()).ok_or_else(|| ValidationError::blank(field))?;
    let body = content.ok_or_else(|| ValidationError::blank("content"))?;
    let mut options = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let title = item.get("title").and_then(Value::as_str).filter(|t| !t.trim().is_empty());
        let title = title.ok_or_else(|| ValidationError::blank(&format!("{field}[{i}].title")))?;
        let value = item.get("value").and_then(Value::as_str).unwrap_or(title);
        options.push((value.to_string(), title.to_string()));
    }
    if options.len() <= MAX_BUTTONS {
        let buttons: Vec<Value> =
            options.iter().map(|(id, title)| json!({ "type": "reply", "reply": { "id": id, "title": title } })).collect();
        Ok(json!({ "type": "button", "body": { "text": body }, "action": { "buttons": buttons } }))
    } else {
        let rows: Vec<Value> = options.iter().map(|(id, title)| json!({ "id": id, "title": title })).collect();
        Ok(
            json!({ "type": "list", "body": { "text": body }, "action": { "button": "Choose", "sections": [{ "title": "Options", "rows": rows }] } }),
        )
    }
}

/// One template parameter: plain text from a string or number, or a typed object checked for
/// the fields its type needs.
fn parameter(v: &Value, field: &str) -> Result<Value, ValidationError> {
    match v {
        Value::String(s) => Ok(json!({ "type": "text", "text": s })),
        Value::Number(n) => Ok(json!({ "type": "text", "text": n.to_string() })),
        Value::Object(obj) => {
            let kind = obj.get("type").and_then(Value::as_str).ok_or_else(|| ValidationError::blank(&format!("{field}.type")))?;
            let inner =
                |key: &str| obj.get(key).and_then(Value::as_object).ok_or_else(|| ValidationError::blank(&format!("{field}.{key}")));
            match kind {
                "text" => require_str(obj, "text", field)?,
                "payload" => require_str(obj, "payload", field)?,
                "currency" => {
                    let c = inner("currency")?;
                    require_str(c, "fallback_value", &format!("{field}.currency"))?;
                    require_str(c, "code", &format!("{field}.currency"))?;
                    if !c.get("amount_1000").is_some_and(Value::is_i64) {
                        return Err(invalid(&format!("{field}.currency.amount_1000"), "must be an integer"));
                    }
                }
                "date_time" => require_str(inner("date_time")?, "fallback_value", &format!("{field}.date_time"))?,
                "image" | "document" | "video" => {
                    let m = inner(kind)?;
                    if !m.contains_key("link") && !m.contains_key("id") {
                        return Err(ValidationError::blank(&format!("{field}.{kind}.link")));
                    }
                }
                _ => {
                    return Err(ValidationError::new(
                        format!("{field}.type"),
                        "inclusion",
                        "must be text, currency, date_time, image, document, video or payload",
                    ))
                }
            }
            Ok(v.clone())
        }
        _ => Err(invalid(field, "must be a string or a parameter object")),
    }
}

fn parameters(v: Option<&Value>, field: &str) -> Result<Vec<Value>, ValidationError> {
    match v {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(list)) => list.iter().enumerate().map(|(i, p)| parameter(p, &format!("{field}[{i}]"))).collect(),
        // The reference's processed_params: {"1": "Ana", "2": "42"}, in placeholder order.
        Some(Value::Object(map)) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| k.parse::<u32>().unwrap_or(u32::MAX));
            entries.into_iter().map(|(k, p)| parameter(p, &format!("{field}.{k}"))).collect()
        }
        Some(_) => Err(invalid(field, "must be a list of parameters")),
    }
}

/// A message's template parameters, as sent, and what is needed to check them against the
/// stored template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateParams {
    pub components: Vec<Value>,
    pub header: Vec<Value>,
    pub body_count: usize,
    pub url_buttons: Vec<usize>,
}

/// The send's components from a message's `template_params`: `header`, `body` (or the
/// reference's `processed_params`) and `buttons` ([{index, sub_type, parameters}]).
pub fn template_components(params: &Value) -> Result<TemplateParams, ValidationError> {
    let header = parameters(params.get("header"), "template_params.header")?;
    let body = match params.get("body") {
        Some(b) if !b.is_null() => parameters(Some(b), "template_params.body")?,
        _ => parameters(params.get("processed_params"), "template_params.processed_params")?,
    };
    let mut components = Vec::new();
    if !header.is_empty() {
        components.push(json!({ "type": "header", "parameters": header }));
    }
    if !body.is_empty() {
        components.push(json!({ "type": "body", "parameters": body }));
    }
    let mut url_buttons = Vec::new();
    let buttons = match params.get("buttons") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(b)) => b.clone(),
        Some(_) => return Err(invalid("template_params.buttons", "must be a list")),
    };
    for (i, b) in buttons.iter().enumerate() {
        let field = format!("template_params.buttons[{i}]");
        let index = match b.get("index") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let index = index.ok_or_else(|| invalid(&format!("{field}.index"), "must be a button index"))? as usize;
        let sub_type = b.get("sub_type").and_then(Value::as_str).unwrap_or("quick_reply");
        if !matches!(sub_type, "quick_reply" | "url") {
            return Err(ValidationError::new(format!("{field}.sub_type"), "inclusion", "must be quick_reply or url"));
        }
        if sub_type == "url" {
            url_buttons.push(index);
        }
        let params = parameters(b.get("parameters"), &format!("{field}.parameters"))?;
        let params: Vec<Value> = if sub_type == "quick_reply" {
            // Quick replies carry payloads; a bare string is the payload.
            params
                .into_iter()
                .map(|p| match p.get("type").and_then(Value::as_str) {
                    Some("text") => json!({ "type": "payload", "payload": p.get("text").cloned().unwrap_or(Value::Null) }),
                    _ => p,
                })
                .collect()
        } else {
            params
        };
        components.push(json!({ "type": "button", "sub_type": sub_type, "index": index.to_string(), "parameters": params }));
    }
    Ok(TemplateParams { components, header, body_count: body.len(), url_buttons })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn out<'a>(attrs: &'a Value, content: Option<&'a str>) -> Outbound<'a> {
        Outbound {
            from: "573000000001",
            to: "573130000002",
            content,
            content_type: "text",
            content_attributes: attrs,
            template: None,
            media: None,
            reply_to: None,
        }
    }

    #[test]
    fn text_with_link_previews_and_replies_carry_context() -> TestResult {
        let attrs = json!({});
        let mut o = out(&attrs, Some("see https://x.example"));
        o.reply_to = Some("wamid.1");
        let r = build(&o)?;
        assert_eq!(r.service, "text");
        assert_eq!(
            r.body,
            json!({"from": "573000000001", "to": "573130000002", "type": "text", "recipient_type": "individual",
                   "preview_url": true, "text": {"body": "see https://x.example"}, "context": {"message_id": "wamid.1"}})
        );
        let long = "a".repeat(TEXT_MAX + 1);
        assert_eq!(build(&out(&attrs, Some(&long))).err().map(|e| e.field), Some("content".into()));
        Ok(())
    }

    #[test]
    fn media_goes_to_its_endpoint() -> TestResult {
        let attrs = json!({});
        let mut o = out(&attrs, Some("the invoice"));
        o.media = Some(Media { kind: MediaKind::Document, link: "https://us/f".into(), file_name: "inv.pdf".into() });
        let r = build(&o)?;
        assert_eq!(r.service, "docbyurl");
        assert_eq!(r.body["document"], json!({"link": "https://us/f", "caption": "the invoice", "filename": "inv.pdf"}));
        o.media = Some(Media { kind: MediaKind::Sticker, link: "https://us/s".into(), file_name: "s.webp".into() });
        assert_eq!(build(&o)?.service, "stickerbyurl");
        assert_eq!(MediaKind::of("file", false), MediaKind::Document);
        Ok(())
    }

    #[test]
    fn interactive_buttons_are_limited() -> TestResult {
        let buttons: Vec<Value> = (0..4).map(|i| json!({"type": "reply", "reply": {"id": i.to_string(), "title": "t"}})).collect();
        let attrs = json!({"interactive": {"type": "button", "action": {"buttons": buttons}}});
        assert_eq!(build(&out(&attrs, Some("pick"))).err().map(|e| e.field), Some("content_attributes.interactive.action.buttons".into()));
        let attrs = json!({"items": [{"title": "A", "value": "a"}, {"title": "B", "value": "b"}]});
        let mut o = out(&attrs, Some("pick"));
        o.content_type = "input_select";
        let r = build(&o)?;
        assert_eq!(r.body["interactive"]["type"], "button");
        assert_eq!(r.body["interactive"]["action"]["buttons"][1]["reply"], json!({"id": "b", "title": "B"}));
        Ok(())
    }

    #[test]
    fn template_parameters() -> TestResult {
        let params = json!({
            "name": "order", "language": "es",
            "header": [{"type": "image", "image": {"link": "https://x/y.png"}}],
            "body": ["Ana", {"type": "currency", "currency": {"fallback_value": "$1", "code": "USD", "amount_1000": 1000}}],
            "buttons": [{"index": 0, "sub_type": "quick_reply", "parameters": ["yes"]}]
        });
        let t = template_components(&params)?;
        assert_eq!((t.header.len(), t.body_count, t.url_buttons.len()), (1, 2, 0));
        assert_eq!(
            t.components[2],
            json!({"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "yes"}]})
        );
        let bad = json!({"name": "x", "body": [{"type": "currency", "currency": {"code": "USD"}}]});
        assert_eq!(template_components(&bad).err().map(|e| e.field), Some("template_params.body[0].currency.fallback_value".into()));
        let processed = json!({"name": "x", "processed_params": {"2": "b", "1": "a"}});
        let t = template_components(&processed)?;
        assert_eq!(t.components[0]["parameters"][0]["text"], "a");
        Ok(())
    }
}
