//! Live updates: the event envelope and who may receive it, the ActionCable wire protocol, and
//! the broadcaster that carries events to every socket of this process.

pub mod broadcaster;
pub mod protocol;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every live event, by the name clients see (the reference's, plus ours). Publishing takes one
/// of these: an event name is never a free string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    MessageCreated,
    MessageUpdated,
    ConversationCreated,
    ConversationUpdated,
    ConversationStatusChanged,
    ConversationContactChanged,
    ConversationRead,
    ConversationTypingOn,
    ConversationTypingOff,
    /// To a user mentioned in a private note, alone.
    ConversationMentioned,
    AssigneeChanged,
    TeamChanged,
    ContactCreated,
    ContactUpdated,
    ContactDeleted,
    ContactMerged,
    ContactGroupSynced,
    NotificationCreated,
    PresenceUpdate,
    /// An inbox was created or changed: for readers of the log (outgoing webhooks), never sent
    /// to a socket (the reference's clients have no such live event).
    InboxCreated,
    InboxUpdated,
    /// A bot handed a conversation over to people: log-only, for reporting (the reference's
    /// `conversation_bot_handoff`); sockets see the status change itself.
    ConversationBotHandoff,
    /// A conversation's scheduled messages changed (to its inbox's agents).
    ScheduledMessageCreated,
    ScheduledMessageUpdated,
    ScheduledMessageDeleted,
    ScheduledMessageSent,
    /// Internal: tells every node's sockets to check the named users' subscriptions again
    /// (membership, role, deletion or credentials changed). It goes through the log and Redis
    /// like any event, so it reaches every node, but no client ever receives it.
    AccessChanged,
}

impl Event {
    /// Every event, for checks over the whole catalog.
    pub const ALL: [Event; 27] = [
        Self::MessageCreated,
        Self::MessageUpdated,
        Self::ConversationCreated,
        Self::ConversationUpdated,
        Self::ConversationStatusChanged,
        Self::ConversationContactChanged,
        Self::ConversationRead,
        Self::ConversationTypingOn,
        Self::ConversationTypingOff,
        Self::ConversationMentioned,
        Self::AssigneeChanged,
        Self::TeamChanged,
        Self::ContactCreated,
        Self::ContactUpdated,
        Self::ContactDeleted,
        Self::ContactMerged,
        Self::ContactGroupSynced,
        Self::NotificationCreated,
        Self::PresenceUpdate,
        Self::InboxCreated,
        Self::InboxUpdated,
        Self::ConversationBotHandoff,
        Self::ScheduledMessageCreated,
        Self::ScheduledMessageUpdated,
        Self::ScheduledMessageDeleted,
        Self::ScheduledMessageSent,
        Self::AccessChanged,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MessageCreated => "message.created",
            Self::MessageUpdated => "message.updated",
            Self::ConversationCreated => "conversation.created",
            Self::ConversationUpdated => "conversation.updated",
            Self::ConversationStatusChanged => "conversation.status_changed",
            Self::ConversationContactChanged => "conversation.contact_changed",
            Self::ConversationRead => "conversation.read",
            Self::ConversationTypingOn => "conversation.typing_on",
            Self::ConversationTypingOff => "conversation.typing_off",
            Self::ConversationMentioned => "conversation.mentioned",
            Self::AssigneeChanged => "assignee.changed",
            Self::TeamChanged => "team.changed",
            Self::ContactCreated => "contact.created",
            Self::ContactUpdated => "contact.updated",
            Self::ContactDeleted => "contact.deleted",
            Self::ContactMerged => "contact.merged",
            Self::ContactGroupSynced => "contact.group_synced",
            Self::NotificationCreated => "notification.created",
            Self::PresenceUpdate => "presence.update",
            Self::InboxCreated => "inbox.created",
            Self::InboxUpdated => "inbox.updated",
            Self::ConversationBotHandoff => "conversation.bot_handoff",
            Self::ScheduledMessageCreated => "scheduled_message.created",
            Self::ScheduledMessageUpdated => "scheduled_message.updated",
            Self::ScheduledMessageDeleted => "scheduled_message.deleted",
            Self::ScheduledMessageSent => "scheduled_message.sent",
            Self::AccessChanged => "access.changed",
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The wire name of `Event::AccessChanged`, which sockets look for.
pub const ACCESS_CHANGED: &str = Event::AccessChanged.as_str();

/// Whether sockets ever deliver the event: internal and log-only events they never do.
pub fn reaches_sockets(event: &str) -> bool {
    ![ACCESS_CHANGED, Event::InboxCreated.as_str(), Event::InboxUpdated.as_str(), Event::ConversationBotHandoff.as_str()].contains(&event)
}

/// Who an event is for, besides the account's administrators (who receive everything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Every user of the account (contact events, presence).
    #[serde(default)]
    pub account_wide: bool,
    /// Agents who are members of this inbox.
    pub inbox_id: Option<i64>,
    /// These users, whatever their inboxes.
    #[serde(default)]
    pub users: Vec<i64>,
    /// The contact subscribed with this contact-inbox pubsub token.
    pub contact_pubsub: Option<String>,
    /// Never this subscriber (the one typing, for typing events).
    pub exclude_pubsub: Option<String>,
    /// Only `users`, administrators included: a user's own notifications.
    #[serde(default)]
    pub personal: bool,
    /// How many automation rule steps led to this event (0: a person or a channel caused
    /// it). Kept with the event so rules stop a chain at `automation::MAX_DEPTH`; no
    /// client sees it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub automation_depth: i16,
}

fn is_zero(n: &i16) -> bool {
    *n == 0
}

/// One event, numbered within its account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub account_id: i64,
    pub seq: i64,
    pub event: String,
    pub data: Value,
    pub audience: Audience,
    /// `{"event":…,"data":…,"seq":…}` serialized once for every socket that sends it.
    #[serde(skip)]
    message_json: std::sync::OnceLock<String>,
}

impl Envelope {
    pub fn new(account_id: i64, seq: i64, event: String, data: Value, audience: Audience) -> Self {
        Self { account_id, seq, event, data, audience, message_json: std::sync::OnceLock::new() }
    }

    /// An access change (`ACCESS_CHANGED`) for these users: never sent to a client; sockets check
    /// those users' subscriptions again instead.
    pub fn access_changed(&self) -> Option<Vec<i64>> {
        if self.event != ACCESS_CHANGED {
            return None;
        }
        let users = self.data.get("user_ids")?.as_array()?;
        Some(users.iter().filter_map(Value::as_i64).collect())
    }

    /// The frame's `message` member, serialized on first use and shared by all sockets.
    pub fn message_json(&self) -> &str {
        self.message_json.get_or_init(|| serde_json::json!({ "event": self.event, "data": self.data, "seq": self.seq }).to_string())
    }
}

/// Who a subscription belongs to, as established when it was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriber {
    User { account_id: i64, user_id: i64, admin: bool, inboxes: Vec<i64>, pubsub_token: String },
    Contact { account_id: i64, pubsub_token: String },
}

impl Subscriber {
    pub fn account_id(&self) -> i64 {
        match self {
            Self::User { account_id, .. } | Self::Contact { account_id, .. } => *account_id,
        }
    }

    fn pubsub_token(&self) -> &str {
        match self {
            Self::User { pubsub_token, .. } | Self::Contact { pubsub_token, .. } => pubsub_token,
        }
    }

    /// The recipient rules of the reference: nothing crosses accounts; a personal event (a
    /// notification) reaches only its user; otherwise administrators get the account's events; agents those of their inboxes or addressed to them; a contact only what
    /// names its own token; the typer never gets its own typing events.
    pub fn may_receive(&self, e: &Envelope) -> bool {
        if e.account_id != self.account_id() || !reaches_sockets(&e.event) {
            return false;
        }
        if e.audience.exclude_pubsub.as_deref() == Some(self.pubsub_token()) {
            return false;
        }
        match self {
            Self::User { user_id, .. } if e.audience.personal => e.audience.users.contains(user_id),
            Self::User { user_id, admin, inboxes, .. } => {
                *admin
                    || e.audience.account_wide
                    || e.audience.users.contains(user_id)
                    || e.audience.inbox_id.is_some_and(|i| inboxes.contains(&i))
            }
            Self::Contact { pubsub_token, .. } => e.audience.contact_pubsub.as_deref() == Some(pubsub_token.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(account_id: i64, audience: Audience) -> Envelope {
        Envelope::new(account_id, 1, "message.created".into(), json!({}), audience)
    }

    fn agent(inboxes: Vec<i64>) -> Subscriber {
        Subscriber::User { account_id: 1, user_id: 7, admin: false, inboxes, pubsub_token: "agent".into() }
    }

    #[test]
    fn recipients_follow_the_reference() {
        let admin = Subscriber::User { account_id: 1, user_id: 1, admin: true, inboxes: vec![], pubsub_token: "admin".into() };
        let contact = Subscriber::Contact { account_id: 1, pubsub_token: "c1".into() };
        let in_inbox = Audience { inbox_id: Some(3), contact_pubsub: Some("c1".into()), ..Default::default() };
        assert!(admin.may_receive(&env(1, in_inbox.clone())));
        assert!(!admin.may_receive(&env(2, in_inbox.clone())), "never across accounts");
        assert!(agent(vec![3]).may_receive(&env(1, in_inbox.clone())));
        assert!(!agent(vec![4]).may_receive(&env(1, in_inbox.clone())));
        assert!(contact.may_receive(&env(1, in_inbox.clone())));
        let private = Audience { inbox_id: Some(3), ..Default::default() };
        assert!(!contact.may_receive(&env(1, private)), "private notes and activity never reach the contact");
        let everyone = Audience { account_wide: true, ..Default::default() };
        assert!(agent(vec![]).may_receive(&env(1, everyone.clone())));
        assert!(!contact.may_receive(&env(1, everyone)), "account-wide means the account's users");
        let addressed = Audience { users: vec![7], ..Default::default() };
        assert!(agent(vec![]).may_receive(&env(1, addressed)));
        let typing = Audience { inbox_id: Some(3), exclude_pubsub: Some("agent".into()), ..Default::default() };
        assert!(!agent(vec![3]).may_receive(&env(1, typing)), "typing never goes back to the typer");
    }

    #[test]
    fn event_names_are_distinct_and_dotted() {
        let all = Event::ALL;
        let mut names: Vec<&str> = all.iter().map(|e| e.as_str()).collect();
        assert!(names.iter().all(|n| n.split('.').count() == 2 && n == &n.to_lowercase()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(Event::ConversationStatusChanged.to_string(), "conversation.status_changed");
    }

    #[test]
    fn access_changes_reach_no_client_and_name_their_users() {
        let admin = Subscriber::User { account_id: 1, user_id: 1, admin: true, inboxes: vec![], pubsub_token: "admin".into() };
        let change = Envelope::new(
            1,
            5,
            ACCESS_CHANGED.into(),
            json!({ "user_ids": [7, 8] }),
            Audience { account_wide: true, ..Default::default() },
        );
        assert!(!admin.may_receive(&change));
        assert!(!agent(vec![]).may_receive(&change));
        assert_eq!(change.access_changed(), Some(vec![7, 8]));
        assert_eq!(env(1, Audience::default()).access_changed(), None);
    }

    #[test]
    fn personal_events_reach_only_their_user_not_even_administrators() {
        let admin = Subscriber::User { account_id: 1, user_id: 1, admin: true, inboxes: vec![], pubsub_token: "admin".into() };
        let agent = Subscriber::User { account_id: 1, user_id: 2, admin: false, inboxes: vec![], pubsub_token: "agent".into() };
        let contact = Subscriber::Contact { account_id: 1, pubsub_token: "c1".into() };
        let to_agent = env(1, Audience { users: vec![2], personal: true, ..Default::default() });
        assert!(agent.may_receive(&to_agent));
        assert!(!admin.may_receive(&to_agent));
        assert!(!contact.may_receive(&to_agent));
        let other_account = Subscriber::User { account_id: 2, user_id: 2, admin: false, inboxes: vec![], pubsub_token: "x".into() };
        assert!(!other_account.may_receive(&to_agent));
    }
}
