//! Conversations: the reference's list/show shape, and the conversations-list API's.

use serde::Serialize;
use serde_json::Value;
use switchboard_domain::conversations::{SenderType, Status};
use switchboard_domain::inbox::ChannelType;
use switchboard_store::models as rows;

use super::accounts::{team, Team};
use super::messages::{message, Attachment, Message, Sender};
use super::people::{contact_sender, user_brief, ContactSender, UserBrief};
use super::seconds;

#[derive(Debug, Clone, Serialize)]
pub struct ConversationMeta {
    pub sender: Option<ContactSender>,
    pub channel: Option<&'static str>,
    pub assignee: Option<UserBrief>,
    pub team: Option<Team>,
    pub hmac_verified: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub account_id: i64,
    pub uuid: String,
    pub inbox_id: i64,
    pub status: Status,
    pub priority: Option<String>,
    pub group_type: String,
    pub labels: Vec<String>,
    pub muted: bool,
    pub can_reply: bool,
    pub snoozed_until: Option<i64>,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
    pub agent_last_seen_at: Option<i64>,
    pub assignee_last_seen_at: Option<i64>,
    pub contact_last_seen_at: Option<i64>,
    pub first_reply_created_at: Option<i64>,
    pub waiting_since: Option<i64>,
    pub last_activity_at: i64,
    pub timestamp: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub unread_count: i64,
    pub messages: Vec<Message>,
    pub last_non_activity_message: Option<Message>,
    pub meta: ConversationMeta,
}

/// A soft-disabled group's messages are not stored; its summary says how many came. They are
/// unseen until an agent looks at the conversation after the last one.
fn unseen_group_activity(c: &rows::Conversation) -> i64 {
    let Some(summary) = c.additional_attributes.get("group_activity") else { return 0 };
    let last = summary.get("last_message_at").and_then(Value::as_i64).unwrap_or(0);
    if c.agent_last_seen_at.is_some_and(|seen| seen.timestamp() >= last) {
        return 0;
    }
    summary.get("unread_count").and_then(Value::as_i64).unwrap_or(0)
}

/// A conversation in the reference's list/show shape, from a page's batch-loaded relations;
/// `attachments` are those of the page's last messages.
pub fn conversation(
    c: &rows::Conversation,
    inbox: Option<&rows::Inbox>,
    related: &switchboard_store::conversations::Related,
    attachments: &[(i64, Attachment)],
) -> Conversation {
    let sender = related.contact(c).map(contact_sender);
    let last = related.last_message(c).map(|m| {
        let from = match m.sender_type {
            Some(SenderType::Contact) => sender.clone().map(Sender::Contact),
            Some(SenderType::User) => {
                m.sender_id.and_then(|id| related.assignees.iter().find(|u| u.id == id)).map(|u| Sender::User(user_brief(u)))
            }
            _ => None,
        };
        let files = attachments.iter().filter(|(id, _)| *id == m.id).map(|(_, a)| a.clone()).collect();
        message(m, c.display_id, from, files)
    });
    Conversation {
        id: c.display_id,
        account_id: c.account_id,
        uuid: c.uuid.clone(),
        inbox_id: c.inbox_id,
        status: c.status,
        priority: c.priority.clone(),
        group_type: c.group_type.clone(),
        labels: c.labels.clone(),
        muted: c.muted,
        can_reply: true,
        snoozed_until: seconds(c.snoozed_until),
        additional_attributes: c.additional_attributes.clone(),
        custom_attributes: c.custom_attributes.clone(),
        agent_last_seen_at: seconds(c.agent_last_seen_at),
        assignee_last_seen_at: seconds(c.assignee_last_seen_at),
        contact_last_seen_at: seconds(c.contact_last_seen_at),
        first_reply_created_at: seconds(c.first_reply_created_at),
        waiting_since: seconds(c.waiting_since),
        last_activity_at: c.last_activity_at.timestamp(),
        timestamp: c.last_activity_at.timestamp(),
        created_at: c.created_at.timestamp(),
        updated_at: c.updated_at.timestamp(),
        unread_count: related.unread_count(c).max(unseen_group_activity(c)),
        messages: last.iter().cloned().collect(),
        last_non_activity_message: last,
        meta: ConversationMeta {
            sender,
            channel: inbox.map(|i| i.channel_type.reference_name()),
            assignee: related.assignee(c).map(user_brief),
            team: related.team(c).map(|t| team(t, false)),
            hmac_verified: false,
        },
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RecipientDetails {
    pub phone_number: Option<String>,
    pub name: String,
}

/// A conversation as the conversations-list API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedConversation {
    pub conversation_id: String,
    pub last_user_channel: &'static str,
    pub recipient_details: RecipientDetails,
    pub from: String,
    pub first_message_at: Option<String>,
    pub last_message_at: Option<String>,
    pub last_message: Option<String>,
    pub purpose: &'static str,
    pub color: u8,
    pub number_of_messages: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_assigned_to: Option<String>,
}

/// `purpose` is `alert` when we wrote first (a notification or an outreach) and `conversation`
/// when the contact did; `color` is the status: 0 open, 1 pending, 2 resolved, 3 snoozed.
pub fn listed_conversation(c: &switchboard_store::integrations::ListedConversation) -> ListedConversation {
    let iso = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
    let channel = match c.channel_type {
        ChannelType::Whatsapp => "whatsapp",
        ChannelType::Api => "api",
    };
    let from = match c.inbox_phone.as_deref() {
        Some(phone) => phone.trim_start_matches('+').to_string(),
        None => c.inbox_identifier.clone(),
    };
    let purpose = match c.first_message_type {
        Some(0) | None => "conversation",
        Some(_) => "alert",
    };
    let color = match c.status.as_str() {
        "pending" => 1,
        "resolved" => 2,
        "snoozed" => 3,
        _ => 0,
    };
    ListedConversation {
        conversation_id: c.display_id.to_string(),
        last_user_channel: channel,
        recipient_details: RecipientDetails {
            phone_number: c.contact_phone.as_deref().map(|p| p.trim_start_matches('+').to_string()),
            name: c.contact_name.clone(),
        },
        from,
        first_message_at: iso(c.first_message_at).or_else(|| iso(Some(c.created_at))),
        last_message_at: iso(c.last_message_at).or_else(|| iso(Some(c.created_at))),
        last_message: c.last_message.clone(),
        purpose,
        color,
        number_of_messages: c.number_of_messages,
        agent_assigned_to: c.agent_name.clone(),
    }
}

/// Who a conversation was given to: the agent, or the team when only the team was given.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Assigned {
    Agent(super::people::Agent),
    Team(Team),
}
