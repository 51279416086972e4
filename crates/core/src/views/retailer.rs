//! The retailer API's shapes (`retailer-api.apib.md`): agents, customers with their tags and
//! custom fields, templates, the answer to a sent notification, and WhatsApp conversations and
//! messages. Ids are the document's web ids (`crate::web_ids`).

use serde::Serialize;
use serde_json::{json, Value};
use switchboard_domain::contacts::split_name;
use switchboard_domain::conversations::MessageType;
use switchboard_domain::whatsapp::Delivery;
use switchboard_store::models::{Attachment, Contact, Label, Message, MessageTemplate};

use crate::web_ids::{template_internal_id, web_id};

/// The document's time: RFC 3339 with milliseconds, in UTC.
fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub admin: bool,
}

pub fn agent(a: &switchboard_store::models::Agent) -> Agent {
    let (first_name, last_name) = split_name(&a.user.name);
    Agent { id: a.user.id, first_name, last_name, email: a.user.email.clone(), admin: a.member.role.can_administer() }
}

/// `GET /retailers/api/v1/agents`.
#[derive(Debug, Clone, Serialize)]
pub struct Agents {
    pub agents: Vec<Agent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub tag: String,
    pub web_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomField {
    pub field_name: String,
    /// The document's key, colon included.
    #[serde(rename = "field_content:")]
    pub field_content: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub meli_customer_id: Option<String>,
    pub meli_nickname: Option<String>,
    pub whatsapp_opt_in: bool,
    pub whatsapp_name: Value,
    pub tags: Vec<Tag>,
    pub custom_fields: Vec<CustomField>,
    pub notes: Value,
    pub address: Value,
    pub city: Value,
    pub state: Value,
    pub zip_code: Value,
    pub country_id: Value,
    pub id_type: Value,
    pub id_number: Value,
}

/// A customer as the document shows one; `labels` are the account's (a tag shows the name it
/// was given, kept as its label's description).
pub fn customer(c: &Contact, labels: &[Label]) -> Customer {
    let (first_name, last_name) = split_name(&c.name);
    let attribute = |k: &str| c.additional_attributes.get(k).filter(|v| !v.is_null()).cloned().unwrap_or(Value::Null);
    let tags = c
        .labels
        .iter()
        .map(|title| {
            let label = labels.iter().find(|l| &l.title == title);
            let name = label.and_then(|l| l.description.clone()).filter(|d| !d.is_empty()).unwrap_or_else(|| title.clone());
            Tag { tag: name, web_id: web_id(c.account_id, label.map(|l| l.id).unwrap_or(0)) }
        })
        .collect();
    let custom_fields = c
        .custom_attributes
        .as_object()
        .map(|o| o.iter().map(|(k, v)| CustomField { field_name: k.clone(), field_content: v.clone() }).collect())
        .unwrap_or_default();
    Customer {
        id: web_id(c.account_id, c.id),
        first_name,
        last_name,
        email: c.email.clone(),
        phone: c.phone_number.clone(),
        meli_customer_id: None,
        meli_nickname: None,
        whatsapp_opt_in: c.additional_attributes.get("whatsapp_opt_in").and_then(Value::as_bool).unwrap_or(false),
        whatsapp_name: c.additional_attributes.get("whatsapp_name").cloned().unwrap_or(Value::Null),
        tags,
        custom_fields,
        notes: attribute("notes"),
        address: attribute("address"),
        city: attribute("city"),
        state: attribute("state"),
        zip_code: attribute("zip_code"),
        country_id: attribute("country_id"),
        id_type: attribute("id_type"),
        id_number: attribute("id_number"),
    }
}

/// `GET /retailers/api/v1/customers?page=`.
#[derive(Debug, Clone, Serialize)]
pub struct Customers {
    pub results: i64,
    pub total_pages: i64,
    pub customers: Vec<Customer>,
}

/// A customer found or made, with the document's words.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerAnswer {
    pub message: &'static str,
    pub customer: Customer,
}

/// An answer that is only the document's words.
pub use super::Said;

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub text: String,
    pub status: String,
    pub template_type: String,
    pub internal_id: String,
}

/// Each template's text with its placeholders as `*`.
pub fn template(account_id: i64, t: &MessageTemplate) -> Template {
    let text = switchboard_domain::whatsapp::body_text(&t.components).unwrap_or_default();
    let shape = switchboard_domain::whatsapp::TemplateShape::of(&t.components);
    Template {
        text: switchboard_domain::whatsapp::render_placeholders(text, |_| Some("*".into())),
        status: if t.status.eq_ignore_ascii_case("APPROVED") { "active".to_string() } else { t.status.to_lowercase() },
        template_type: shape.header_media.as_deref().map(str::to_lowercase).unwrap_or_else(|| "text".into()),
        internal_id: template_internal_id(account_id, t.id),
    }
}

/// `GET /retailers/api/v1/whatsapp_templates`.
#[derive(Debug, Clone, Serialize)]
pub struct Templates {
    pub templates: Vec<Template>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SentContent {
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SentInfo {
    pub channel: &'static str,
    pub content: SentContent,
    pub direction: &'static str,
    pub status: &'static str,
    pub destination: String,
    pub country: Option<String>,
    pub created_time: String,
    pub error: Option<String>,
}

/// `send_notification_by_id`'s answer; a repeat with the same idempotency key gets it again.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationSent {
    pub message: &'static str,
    pub info: SentInfo,
}

pub fn notification_sent(
    text: String,
    destination: String,
    country: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> NotificationSent {
    NotificationSent {
        message: "Ok",
        info: SentInfo {
            channel: "whatsapp",
            content: SentContent { text },
            direction: "outbound",
            status: "submitted",
            destination,
            country,
            created_time: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            error: None,
        },
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatsappConversation {
    pub id: Option<String>,
    pub customer_id: i64,
    pub message_count: i64,
    pub last_interaction: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub agent_id: Option<i64>,
}

pub fn whatsapp_conversation(r: &switchboard_store::integrations::WhatsappConversation) -> WhatsappConversation {
    let (first_name, last_name) = split_name(&r.name);
    WhatsappConversation {
        id: None,
        customer_id: r.contact_id,
        message_count: r.message_count,
        last_interaction: iso(r.last_activity_at),
        first_name,
        last_name,
        email: r.email.clone(),
        phone: r.phone_number.clone(),
        agent_id: r.assignee_id,
    }
}

/// `GET /retailers/api/v1/whatsapp_conversations`.
#[derive(Debug, Clone, Serialize)]
pub struct WhatsappConversations {
    pub results: i64,
    pub total_pages: i64,
    pub whatsapp_conversations: Vec<WhatsappConversation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatsappMessage {
    pub id: String,
    pub status: &'static str,
    pub direction: &'static str,
    pub channel: &'static str,
    pub message_type: &'static str,
    pub message_identifier: Option<String>,
    pub created_time: String,
    pub replied_message: Value,
    pub filename: String,
    pub content_type: String,
    pub content_text: String,
    pub content_media_url: String,
    pub content_media_caption: String,
    pub content_media_type: String,
    pub content_location_longitude: String,
    pub content_location_latitude: String,
    pub content_location_label: String,
    pub content_location_address: String,
    pub account_uid: Option<String>,
    pub contacts_information: Value,
    pub error_code: &'static str,
    pub error_message: String,
}

/// A message as the document shows it: its file (`url` its address) or its text, its location.
pub fn whatsapp_message(m: &Message, file: Option<&Attachment>, url: String, account_uid: Option<String>) -> WhatsappMessage {
    let incoming = m.message_type == MessageType::Incoming;
    let text = m.content.clone().unwrap_or_default();
    let location = |key: &str| m.content_attributes.pointer(&format!("/location/{key}"));
    WhatsappMessage {
        id: m.id.to_string(),
        status: match m.status {
            Delivery::Progress => "submitted",
            Delivery::Failed => "error",
            other => other.as_str(),
        },
        direction: if incoming { "inbound" } else { "outbound" },
        channel: "whatsapp",
        message_type: if m.additional_attributes.get("whatsapp_template").is_some() { "notification" } else { "conversation" },
        message_identifier: m.source_id.clone(),
        created_time: iso(m.created_at),
        replied_message: m.content_attributes.get("in_reply_to").cloned().unwrap_or(Value::Null),
        filename: file.map(|a| a.file_name.clone()).unwrap_or_default(),
        content_type: file.map(|a| a.file_type.clone()).unwrap_or_else(|| "text".into()),
        content_text: if file.is_some() { String::new() } else { text.clone() },
        content_media_url: url,
        content_media_caption: if file.is_some() { text } else { String::new() },
        content_media_type: file.map(|a| a.content_type.clone()).unwrap_or_default(),
        content_location_longitude: location("longitude").map(|v| v.to_string()).unwrap_or_default(),
        content_location_latitude: location("latitude").map(|v| v.to_string()).unwrap_or_default(),
        content_location_label: location("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        content_location_address: location("address").and_then(Value::as_str).unwrap_or_default().to_string(),
        account_uid,
        contacts_information: m.content_attributes.get("contacts").cloned().unwrap_or(json!([])),
        error_code: "",
        error_message: m.external_error.clone().unwrap_or_default(),
    }
}

/// `GET /retailers/api/v1/customers/{id}/whatsapp_conversations`.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerWhatsapp {
    pub whatsapp_conversations: Vec<WhatsappMessage>,
    pub total_pages: i64,
}

/// Messenger conversations: we have no Messenger channel, so the list is always empty.
#[derive(Debug, Clone, Serialize)]
pub struct MessengerConversations {
    pub results: i64,
    pub total_pages: i64,
    pub messenger_conversations: Vec<Value>,
}

impl MessengerConversations {
    pub fn none() -> Self {
        Self { results: 0, total_pages: 0, messenger_conversations: vec![] }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RefusalInfo {
    pub data: serde_json::Map<String, Value>,
}

/// A notification not sent, in the document's words: `{"message": …, "info": {"data": {}}}`.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationRefused {
    pub message: String,
    pub info: RefusalInfo,
}

pub fn notification_refused(message: String) -> NotificationRefused {
    NotificationRefused { message, info: RefusalInfo { data: Default::default() } }
}
