//! Messages with their sender and attachments, as lists, events and webhooks carry them.

use serde::Serialize;
use serde_json::{json, Value};
use switchboard_domain::conversations::{MessageType, SenderType};
use switchboard_domain::whatsapp::Delivery;
use switchboard_store::models as rows;

use super::people::{AgentBotBrief, ContactSender, UserBrief};

/// An attachment; `data_url` is its signed (or external) address.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub message_id: i64,
    pub account_id: i64,
    pub file_type: String,
    pub content_type: String,
    pub file_name: String,
    pub extension: Option<String>,
    pub file_size: i64,
    pub data_url: String,
    pub thumb_url: String,
    pub meta: Value,
}

pub fn attachment(a: &rows::Attachment, url: String) -> Attachment {
    Attachment {
        id: a.id,
        message_id: a.message_id,
        account_id: a.account_id,
        file_type: a.file_type.clone(),
        content_type: a.content_type.clone(),
        file_name: a.file_name.clone(),
        extension: a.file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase()),
        file_size: a.file_size,
        thumb_url: if a.file_type == "image" { url.clone() } else { String::new() },
        data_url: url,
        meta: a.meta.clone(),
    }
}

/// Who wrote a message; each form names itself in `type`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Sender {
    Contact(ContactSender),
    User(UserBrief),
    AgentBot(AgentBotBrief),
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub content: Option<String>,
    pub account_id: i64,
    pub inbox_id: i64,
    pub conversation_id: i64,
    pub message_type: MessageType,
    pub content_type: String,
    pub status: Delivery,
    pub content_attributes: Value,
    pub additional_attributes: Value,
    pub created_at: i64,
    pub updated_at: i64,
    pub private: bool,
    pub source_id: Option<String>,
    pub echo_id: Option<String>,
    pub sender_type: Option<&'static str>,
    pub sender_id: Option<i64>,
    pub sender: Option<Sender>,
    pub external_error: Option<String>,
    pub processed_message_content: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// A message; `display_id` is its conversation's public id and `sender` the resolved sender.
pub fn message(m: &rows::Message, display_id: i64, sender: Option<Sender>, attachments: Vec<Attachment>) -> Message {
    let mut attributes = m.content_attributes.clone();
    if let (Some(obj), Some(err)) = (attributes.as_object_mut(), &m.external_error) {
        obj.insert("external_error".into(), json!(err));
    }
    Message {
        id: m.id,
        content: m.content.clone(),
        account_id: m.account_id,
        inbox_id: m.inbox_id,
        conversation_id: display_id,
        message_type: m.message_type,
        content_type: m.content_type.clone(),
        status: m.status,
        content_attributes: attributes,
        additional_attributes: m.additional_attributes.clone(),
        created_at: m.created_at.timestamp(),
        updated_at: m.updated_at.timestamp(),
        private: m.private,
        source_id: m.source_id.clone(),
        echo_id: m.echo_id.clone(),
        sender_type: m.sender_type.map(SenderType::class_name),
        sender_id: m.sender_id,
        sender,
        external_error: m.external_error.clone(),
        processed_message_content: m.content.clone(),
        attachments,
    }
}
