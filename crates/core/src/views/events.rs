//! The payloads of the event log: what live sockets, replay with `since` and outgoing webhooks
//! receive. Most wrap a view (a message, a conversation, a contact) with the context a reader
//! needs beside it.

use serde::Serialize;
use serde_json::Value;
use switchboard_domain::conversations::Status;
use switchboard_store::models as rows;

use super::conversations::Conversation;
use super::messages::Message;
use super::people::{ContactBrief, UserBrief};

/// Where a message's conversation stands, as message events carry it.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationState {
    pub id: i64,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub inbox_id: i64,
}

/// `message.created` / `message.updated`.
#[derive(Debug, Serialize)]
pub struct MessageEvent<'a> {
    #[serde(flatten)]
    pub message: &'a Message,
    pub conversation: ConversationState,
}

pub fn message_event<'a>(message: &'a Message, c: &rows::Conversation) -> MessageEvent<'a> {
    MessageEvent {
        message,
        conversation: ConversationState { id: c.display_id, status: c.status, assignee_id: c.assignee_id, inbox_id: c.inbox_id },
    }
}

/// A conversation event; a change of an existing conversation also says what changed
/// (`changed_attributes`, as the reference's conversation_updated webhook has it).
#[derive(Debug, Serialize)]
pub struct ConversationEvent<'a> {
    #[serde(flatten)]
    pub conversation: &'a Conversation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_attributes: Option<Vec<ChangedAttribute>>,
}

/// An attribute's value before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub previous_value: Value,
    pub current_value: Value,
}

/// One entry of `changed_attributes`: `{"status": {"previous_value": …, "current_value": …}}`.
pub type ChangedAttribute = std::collections::BTreeMap<&'static str, Change>;

/// A contact event: the contact (in the shape of the surface that changed it) and its account.
#[derive(Debug, Serialize)]
pub struct ContactEvent<'a, T: Serialize> {
    #[serde(flatten)]
    pub contact: &'a T,
    pub account_id: i64,
}

/// A contact that no longer exists (deleted, or merged into another).
#[derive(Debug, Clone, Serialize)]
pub struct ContactRef {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
}

pub fn contact_ref(c: &rows::Contact) -> ContactRef {
    ContactRef {
        id: c.id,
        name: c.name.clone(),
        email: c.email.clone(),
        phone_number: c.phone_number.clone(),
        identifier: c.identifier.clone(),
    }
}

/// `contact.merged`: the contact that stayed, and the one merged into it.
#[derive(Debug, Serialize)]
pub struct ContactMerged<'a, T: Serialize> {
    #[serde(flatten)]
    pub contact: &'a T,
    pub mergee: ContactRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct TypingConversation {
    pub id: i64,
    pub inbox_id: i64,
}

/// Who is typing: an agent, or the contact in its own client.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Typer {
    User(UserBrief),
    Contact(ContactBrief),
}

/// `conversation.typing_on` / `_off`.
#[derive(Debug, Clone, Serialize)]
pub struct Typing {
    pub conversation: TypingConversation,
    pub user: Typer,
    pub is_private: bool,
    pub account_id: i64,
}

/// `access.changed`: these users' rights in the account changed.
#[derive(Debug, Clone, Serialize)]
pub struct AccessChanged<'a> {
    pub user_ids: &'a [i64],
    pub account_id: i64,
}

/// A webhook body: a view with the name of the event that sent it (`"event": "…"`), as the
/// reference's webhooks and automation rules' `send_webhook_event` post them.
#[derive(Debug, Serialize)]
pub struct WithEvent<'a, T: Serialize> {
    #[serde(flatten)]
    pub body: &'a T,
    pub event: &'a str,
}
