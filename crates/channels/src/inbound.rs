//! What a channel's webhook means, in the inbox's terms: messages from people or groups,
//! how far our messages got, reactions, template news and group changes. Every provider
//! parses its own wire format into these events; the operations store them the same way
//! whatever provider they came from.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::whatsapp::Delivery;

/// One thing a webhook delivery says. A delivery is a list of these, applied in order
/// (messages before the reactions to them).
#[derive(Debug, Clone, PartialEq)]
pub enum InboundEvent {
    /// Messages from contacts (our own, written on the phone, are not among them).
    Messages(Vec<InboundMessage>),
    /// How far our messages got.
    Statuses(Vec<StatusUpdate>),
    /// Reactions, which land on the message they react to.
    Reactions(Vec<Reaction>),
    /// News about the inbox's message templates.
    Templates(Vec<TemplateEvent>),
    /// A group's system messages (a new picture, a request to join, the group created).
    GroupStubs(Vec<GroupStub>),
    /// People added to, removed from, promoted or demoted in a group.
    Participants(ParticipantsUpdate),
    /// A group's subject, description or settings changed.
    GroupSettings(Vec<GroupUpdate>),
    /// What happened in groups while they are soft-disabled.
    GroupActivity(Vec<GroupActivity>),
}

/// A message a contact sent.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// The channel's id of the message (our `source_id`): a second delivery of it is a no-op.
    pub id: String,
    pub chat: Chat,
    pub timestamp: Option<DateTime<Utc>>,
    pub content: Option<String>,
    /// Set for a type we do not render: `is_unsupported` and the message as sent.
    pub content_attributes: Value,
    /// The channel's id of the message this one answers.
    pub reply_to: Option<String>,
    pub file: Option<InboundFile>,
    /// JIDs mentioned, and whether everyone was (groups).
    pub mentioned: Vec<String>,
    pub mentions_everyone: bool,
}

/// Where a message was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chat {
    /// To the inbox's number, by one person: their id at the channel, their number (E.164)
    /// when the id is one, and the name to show.
    Person { wa_id: String, phone: Option<String>, name: String },
    /// In a group (its JID), by a participant (their JID, its alternate, their push name).
    Group { jid: String, participant: String, participant_alt: Option<String>, push_name: Option<String> },
}

/// A file that came with a message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundFile {
    /// Our attachment file type: image, audio, video, file or sticker.
    pub file_type: &'static str,
    pub content_type: String,
    pub file_name: String,
    pub meta: Value,
    pub source: FileSource,
}

/// Where a file's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// The channel hosts it at a link, which may expire.
    Link(String),
    /// It came along with the webhook.
    Inline(Vec<u8>),
    /// The channel keeps it; a job fetches it by the message's id.
    AtProvider,
}

/// A provider's word on how far one of our messages got.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// The channel's id of our message.
    pub source_id: String,
    pub status: Delivery,
    pub error: Option<String>,
    /// What the provider said besides, kept on the message.
    pub details: Value,
}

/// Someone's reaction to a message (`emoji: None` takes it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The channel's id of the message reacted to.
    pub target: String,
    /// Who reacted, as the channel names them (`me` for the inbox's own number).
    pub from: String,
    pub name: Option<String>,
    pub emoji: Option<String>,
}

/// News about one of the inbox's templates.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateEvent {
    pub template_id: Option<String>,
    pub name: String,
    pub language: String,
    pub change: TemplateNews,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplateNews {
    /// Approved, rejected, paused…
    Status {
        event: String,
        reason: Option<String>,
    },
    Category {
        previous: Option<String>,
        new: String,
    },
    /// Performance metrics, kept as sent.
    Metrics(Value),
}

/// A group's system message (`messageStubType`) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stub {
    /// The stub type's name (`GROUP_CHANGE_ICON`, …) or number, as sent.
    pub kind: String,
    pub parameters: Vec<String>,
}

/// A system message in a group (its JID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStub {
    pub jid: String,
    pub stub: Stub,
}

/// A member of a group, as the channel names them.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Participant {
    pub id: String,
    pub phone_number: Option<String>,
    pub admin: Option<String>,
}

/// People added, removed, promoted or demoted in a group.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantsUpdate {
    pub group: String,
    pub author: Option<String>,
    pub action: String,
    pub participants: Vec<Participant>,
}

/// A change to a group's settings. `desc: Some(None)` is a removed description.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupUpdate {
    pub id: String,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub desc: Option<Option<String>>,
    pub invite_code: Option<String>,
    pub restrict: Option<bool>,
    pub announce: Option<bool>,
    pub member_add_mode: Option<bool>,
    pub join_approval_mode: Option<bool>,
}

/// A group's activity summary: unread messages, and when the last one came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupActivity {
    pub jid: String,
    pub unread_count: i64,
    pub last_message_at: Option<DateTime<Utc>>,
}
