//! The presentation module: every shape a client reads, in Chatwoot's shapes, as a typed
//! `Serialize` struct built from stored rows. REST responses, the event log's payloads (and so
//! live sockets, replay and outgoing webhooks) are these types; `openapi/openapi.json` documents
//! them, and every response the tests receive is checked against it.
//!
//! Fields the reference always sends as null or empty keep a fixed value here, so a client that
//! reads them finds them. A field that only some readers see (an administrator's secrets, a
//! WhatsApp inbox's number) is `Option<…>` and skipped when absent; `Option<Option<…>>` is a
//! field that is present and may be null.

mod accounts;
pub mod agent_bots;
pub mod audit;
pub mod automation;
pub mod canned;
mod conversations;
pub mod csat;
pub mod custom_attributes;
pub mod custom_filters;
pub mod errors;
pub mod events;
pub mod groups;
pub mod help_center;
mod inboxes;
pub mod integration_apps;
pub mod integrators;
pub mod macros;
mod messages;
mod notifications;
mod people;
pub mod public;
pub mod reports;
mod responses;
pub mod retailer;
mod scheduled;
pub mod webhooks;

pub use accounts::{account, account_user, label, platform_account, team, Account, AccountUser, Label, PlatformAccount, Team};
pub use conversations::{conversation, listed_conversation, Assigned, Conversation, ListedConversation};
pub use inboxes::{inbox, inbox_with, message_template, Inbox, MessageTemplate};
pub use messages::{attachment, message, Attachment, Message, Sender};
pub use notifications::{notification, Notification, SecondaryActor};
pub use people::{
    agent, agent_bot_brief, agents, available_name, contact, contact_brief, contact_inbox, contact_sender, group_member, user, user_brief,
    Agent, AgentBotBrief, Contact, ContactBrief, ContactInbox, ContactSender, CreatedContact, GroupContact, GroupMember, Named, Profile,
    UserBrief,
};
pub use responses::{
    AgentSeen, ContactableInbox, ContactsMeta, CustomAttributes, Empty, Health, MembersMeta, MessagesMeta, NotificationsMeta, PageMeta,
    Presence, Said, StatusToggled, Success, TypingToggled, Upload,
};
pub use scheduled::{scheduled_message, ScheduledMessage};

use serde::Serialize;
use serde_json::Value;

/// A view as the event log stores it. Our views are plain structs with string keys, so this
/// does not fail; if one ever did, the change that stages it fails rather than logging null,
/// and the error names the caller's line.
#[track_caller]
pub fn value(view: &impl Serialize) -> crate::error::CoreResult<Value> {
    match serde_json::to_value(view) {
        Ok(v) => Ok(v),
        // Called here, not through `map_err`, so that `caused_by` sees our caller's location.
        Err(e) => Err(crate::error::CoreError::caused_by(e)),
    }
}

/// A timestamp as the reference shows it: seconds since the epoch.
fn seconds(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp())
}

/// `{"payload": …}`: the reference's wrapper of most lists and of some single records.
#[derive(Debug, Clone, Serialize)]
pub struct Payload<T: Serialize> {
    pub payload: T,
}

/// `{"meta": …, "payload": …}`: a list with its counts or page.
#[derive(Debug, Clone, Serialize)]
pub struct Page<M: Serialize, T: Serialize> {
    pub meta: M,
    pub payload: T,
}

/// `{"data": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct Data<T: Serialize> {
    pub data: T,
}

/// `{"meta": …}`: counts alone.
#[derive(Debug, Clone, Serialize)]
pub struct Meta<M: Serialize> {
    pub meta: M,
}

#[cfg(test)]
mod tests;
