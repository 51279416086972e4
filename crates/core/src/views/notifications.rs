//! An agent's notifications: what happened (the conversation is the primary actor) and who or
//! what else took part (a user or a message).

use serde::Serialize;
use serde_json::{Map, Value};
use switchboard_store::models as rows;

use super::conversations::Conversation;
use super::messages::Message;
use super::people::UserBrief;
use super::seconds;

/// The user or message a notification also names.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SecondaryActor {
    User(UserBrief),
    Message(Box<Message>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub notification_type: String,
    pub push_message_title: String,
    pub primary_actor_type: &'static str,
    pub primary_actor_id: i64,
    pub primary_actor: Conversation,
    pub read_at: Option<i64>,
    pub secondary_actor: Option<SecondaryActor>,
    pub user: Option<UserBrief>,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub snoozed_until: Option<i64>,
    pub meta: Map<String, Value>,
    pub account_id: i64,
}

/// `title` is the push title; `conversation` the primary actor as shown.
pub fn notification(
    n: &rows::Notification,
    title: String,
    conversation: Conversation,
    secondary_actor: Option<SecondaryActor>,
    user: Option<UserBrief>,
) -> Notification {
    Notification {
        id: n.id,
        notification_type: n.notification_type.clone(),
        push_message_title: title,
        primary_actor_type: "Conversation",
        primary_actor_id: conversation.id,
        primary_actor: conversation,
        read_at: seconds(n.read_at),
        secondary_actor,
        user,
        created_at: n.created_at.timestamp(),
        last_activity_at: n.last_activity_at.timestamp(),
        snoozed_until: seconds(n.snoozed_until),
        meta: Map::new(),
        account_id: n.account_id,
    }
}
