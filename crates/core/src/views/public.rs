//! The public client API's shapes: what a chat widget or SDK sees of its inbox, its own
//! contact, its conversations and their public messages. Agents appear by name only.

use serde::Serialize;
use serde_json::Value;
use switchboard_domain::conversations::{MessageType, Status};
use switchboard_domain::whatsapp::Delivery;
use switchboard_store::models as rows;

use super::messages::Attachment;
use super::people::{available_name, AgentBotBrief, ContactBrief};
use super::seconds;

/// The inbox as a widget needs it.
#[derive(Debug, Clone, Serialize)]
pub struct WidgetInbox {
    pub identifier: String,
    pub name: String,
    pub timezone: String,
    pub working_hours_enabled: bool,
    pub working_hours: Value,
    pub out_of_office_message: Option<String>,
    pub greeting_enabled: bool,
    pub greeting_message: Option<String>,
    pub csat_survey_enabled: bool,
    pub enable_email_collect: bool,
    pub identity_validation_enabled: bool,
}

pub fn widget_inbox(i: &rows::Inbox) -> WidgetInbox {
    WidgetInbox {
        identifier: i.inbox_identifier.clone(),
        name: i.name.clone(),
        timezone: i.timezone.clone(),
        working_hours_enabled: i.working_hours_enabled,
        working_hours: i.working_hours.clone(),
        out_of_office_message: i.out_of_office_message.clone(),
        greeting_enabled: i.greeting_enabled,
        greeting_message: i.greeting_message.clone(),
        csat_survey_enabled: i.csat_survey_enabled,
        enable_email_collect: i.enable_email_collect,
        identity_validation_enabled: i.hmac_mandatory,
    }
}

/// The contact as its own client sees it: with its `source_id` and the `pubsub_token` it
/// subscribes to `/cable` with.
#[derive(Debug, Clone, Serialize)]
pub struct OwnContact {
    pub id: i64,
    pub source_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    pub custom_attributes: Value,
    pub pubsub_token: String,
    pub hmac_verified: bool,
}

pub fn own_contact(c: &rows::Contact, identity: &rows::ContactInbox) -> OwnContact {
    OwnContact {
        id: c.id,
        source_id: identity.source_id.clone(),
        name: c.name.clone(),
        email: c.email.clone(),
        phone_number: c.phone_number.clone(),
        identifier: c.identifier.clone(),
        custom_attributes: c.custom_attributes.clone(),
        pubsub_token: identity.pubsub_token.clone(),
        hmac_verified: identity.hmac_verified,
    }
}

/// An agent, by name.
#[derive(Debug, Clone, Serialize)]
pub struct AgentName {
    pub id: i64,
    pub name: String,
    pub available_name: String,
    pub thumbnail: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub fn agent_name(u: &rows::User) -> AgentName {
    let name = available_name(u).to_string();
    AgentName { id: u.id, name: name.clone(), available_name: name, thumbnail: "", kind: "user" }
}

/// Who wrote a message, as the contact sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PublicSender {
    Contact(ContactBrief),
    User(AgentName),
    AgentBot(AgentBotBrief),
}

/// A public message.
#[derive(Debug, Clone, Serialize)]
pub struct PublicMessage {
    pub id: i64,
    pub content: Option<String>,
    pub message_type: MessageType,
    pub content_type: String,
    pub content_attributes: Value,
    pub created_at: i64,
    pub conversation_id: i64,
    pub status: Delivery,
    pub echo_id: Option<String>,
    pub attachments: Vec<Attachment>,
    pub sender: Option<PublicSender>,
}

pub fn public_message(
    c: &rows::Conversation,
    m: &rows::Message,
    sender: Option<PublicSender>,
    attachments: Vec<Attachment>,
) -> PublicMessage {
    PublicMessage {
        id: m.id,
        content: m.content.clone(),
        message_type: m.message_type,
        content_type: m.content_type.clone(),
        content_attributes: m.content_attributes.clone(),
        created_at: m.created_at.timestamp(),
        conversation_id: c.display_id,
        status: m.status,
        echo_id: m.echo_id.clone(),
        attachments,
        sender,
    }
}

/// The conversation's contact, as its conversations carry it.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationContact {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
}

/// One of the contact's conversations, with its latest public messages.
#[derive(Debug, Clone, Serialize)]
pub struct PublicConversation {
    pub id: i64,
    pub uuid: String,
    pub inbox_id: i64,
    pub status: Status,
    pub contact_last_seen_at: Option<i64>,
    pub agent_last_seen_at: Option<i64>,
    pub custom_attributes: Value,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub messages: Vec<PublicMessage>,
    pub contact: ConversationContact,
}

pub fn public_conversation(c: &rows::Conversation, contact: &rows::Contact, messages: Vec<PublicMessage>) -> PublicConversation {
    PublicConversation {
        id: c.display_id,
        uuid: c.uuid.clone(),
        inbox_id: c.inbox_id,
        status: c.status,
        contact_last_seen_at: seconds(c.contact_last_seen_at),
        agent_last_seen_at: seconds(c.agent_last_seen_at),
        custom_attributes: c.custom_attributes.clone(),
        created_at: c.created_at.timestamp(),
        last_activity_at: c.last_activity_at.timestamp(),
        messages,
        contact: ConversationContact {
            id: contact.id,
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone_number: contact.phone_number.clone(),
        },
    }
}

/// When the contact last saw its conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Seen {
    pub id: i64,
    pub contact_last_seen_at: Option<i64>,
}
