//! The reference's small answers and wrappers: `{}`, `{"message": …}`, `{"success": …}`, page
//! metadata, and the shapes of answers that only acknowledge or report one field.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use switchboard_domain::conversations::Status;

use super::inboxes::Inbox;
use super::people::{Agent, ContactSender};

/// `{}`: the reference's answer to a delete or an acknowledged action.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Empty {}

/// `{"message": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct Said {
    pub message: &'static str,
}

/// `{"success": true}` (a session ended), or `{"success": false, "errors": […]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Success {
    pub success: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<&'static str>,
}

/// `{"status": …}`, with the database's state for readiness probes.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// A page's metadata: how many match and which page this is (`per_page` where it is fixed).
#[derive(Debug, Clone, Serialize)]
pub struct PageMeta {
    pub count: i64,
    pub current_page: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<i64>,
}

/// The contacts list's metadata: the reference sends the page as a string.
#[derive(Debug, Clone, Serialize)]
pub struct ContactsMeta {
    pub count: i64,
    pub current_page: String,
}

/// Notifications' metadata: unread and all of the user's, and the page.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationsMeta {
    pub unread_count: i64,
    pub count: i64,
    pub current_page: i64,
}

/// A conversation's messages' metadata: the conversation's labels and people.
#[derive(Debug, Clone, Serialize)]
pub struct MessagesMeta {
    pub labels: Vec<String>,
    pub additional_attributes: Value,
    pub contact: ContactSender,
    pub assignee: Option<Agent>,
    pub agent_last_seen_at: Option<i64>,
    pub assignee_last_seen_at: Option<i64>,
}

/// A group's members' metadata: the total, the page, and the inbox's own standing in the group.
#[derive(Debug, Clone, Serialize)]
pub struct MembersMeta {
    pub total_count: i64,
    pub page: i64,
    pub per_page: i64,
    pub inbox_phone_number: Option<String>,
    pub is_inbox_admin: bool,
}

/// `toggle_status`'s payload.
#[derive(Debug, Clone, Serialize)]
pub struct StatusToggled {
    pub success: bool,
    pub current_status: Status,
    pub conversation_id: i64,
    pub snoozed_until: Option<i64>,
}

/// `toggle_typing_status`'s acknowledgement.
#[derive(Debug, Clone, Serialize)]
pub struct TypingToggled {
    pub conversation_id: i64,
    pub typing_status: String,
    pub is_private: bool,
}

/// `update_last_seen`'s answer.
#[derive(Debug, Clone, Serialize)]
pub struct AgentSeen {
    pub id: i64,
    pub agent_last_seen_at: i64,
}

/// A record's custom attributes alone.
#[derive(Debug, Clone, Serialize)]
pub struct CustomAttributes {
    pub custom_attributes: Value,
}

/// An inbox a contact can be written to, with its id there (existing, or the one it would get).
#[derive(Debug, Clone, Serialize)]
pub struct ContactableInbox {
    pub source_id: String,
    pub inbox: Inbox,
}

/// An uploaded file, ready to be attached (`blob_id`).
#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub blob_id: i64,
    pub blob_key: String,
    pub filename: String,
}

/// `presence.update`: who is online in the account, users with their chosen availability.
#[derive(Debug, Clone, Serialize)]
pub struct Presence {
    pub account_id: i64,
    pub users: BTreeMap<String, String>,
    pub contacts: BTreeMap<String, &'static str>,
}
