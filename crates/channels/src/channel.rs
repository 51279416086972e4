//! The channel seam: what every provider does, in the inbox's terms. A provider connects and
//! disconnects a number, reads its webhooks into `InboundEvent`s, checks and sends an
//! `Outbound` message and, where it has them, lists, creates and deletes templates.
//! `registry::open` is the one place that picks the provider for an inbox.

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::Value;
use switchboard_domain::groups::GroupSetting;
pub use switchboard_domain::whatsapp::Capabilities;
use switchboard_domain::whatsapp::{AfterCrash, Provider};
use switchboard_domain::ValidationError;

use crate::groups::{GroupMetadata, JoinRequest};
use crate::inbound::InboundEvent;

/// Why a send did not go through, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A timeout, a connection failure, a 5xx or a 429: the provider may take it later.
    #[error("{0}")]
    Retryable(String),
    /// The provider refused the message (a 4xx), or it cannot be sent as it is: sending it
    /// again would get the same answer.
    #[error("{0}")]
    Rejected(String),
}

/// A call to the provider that failed (connecting a number, listing or changing templates).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ChannelError {
    pub message: String,
    /// The provider refused the request (a 4xx): the request's fault, not the provider's.
    pub refused: bool,
}

/// A webhook delivery that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Not the provider's format; the message names what is wrong.
    #[error("{0}")]
    Malformed(String),
    /// It did not carry the inbox's verify token.
    #[error("the webhook verify token is wrong")]
    BadToken,
}

/// How the provider must reach back to us when a number is connected.
pub struct Connect<'a> {
    /// The inbox's name, shown at the provider.
    pub name: &'a str,
    /// The inbox's webhook URL.
    pub webhook_url: &'a str,
    /// Off: the provider sends group activity summaries instead of group messages.
    pub groups_enabled: bool,
}

/// Who an outgoing message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A person: their id at the channel (a number, a LID or a business-scoped user id).
    Person(String),
    /// A group, by its JID.
    Group(String),
}

/// A file to send: the provider fetches it from `link`, or reads it at `path` when it is
/// stored here.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundFile {
    /// Our attachment file type: image, audio, video or file.
    pub file_type: String,
    /// Sent as a sticker (an image whose message says so).
    pub sticker: bool,
    pub content_type: String,
    pub file_name: String,
    pub link: String,
    pub path: Option<PathBuf>,
    /// A recorded voice note rather than an audio file.
    pub voice: bool,
}

/// The message an outgoing one answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// The channel's id of the quoted message.
    pub source_id: String,
    /// We sent it (not the contact).
    pub from_me: bool,
    /// In a group, who wrote it (when a contact did).
    pub participant: Option<String>,
    pub text: String,
}

/// The text of a message with its mentions written as WhatsApp shows them (`@<number>`), the
/// JIDs mentioned, and whether everyone is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mentions {
    pub text: String,
    pub jids: Vec<String>,
    pub everyone: bool,
}

/// A template send, already matched against the stored template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateSend {
    pub name: String,
    pub language: String,
    pub namespace: Option<String>,
    pub components: Vec<Value>,
}

/// A fetched file and the type its server declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// An outgoing message, in channel-neutral terms.
#[derive(Debug, Clone)]
pub struct Outbound<'a> {
    pub to: Recipient,
    pub content: Option<&'a str>,
    pub content_type: &'a str,
    pub content_attributes: &'a Value,
    pub template: Option<TemplateSend>,
    pub file: Option<OutboundFile>,
    pub reply_to: Option<Quoted>,
    /// Set when the content mentions contacts (providers with groups).
    pub mentions: Option<Mentions>,
    /// Lets a provider that supports it drop a repeat of a send whose answer we lost.
    pub idempotency_key: String,
}

/// An outgoing message being checked when it is created: its shape, before anything is stored.
pub struct Draft<'a> {
    pub content: Option<&'a str>,
    pub content_type: &'a str,
    pub content_attributes: &'a Value,
    pub template: Option<TemplateSend>,
    /// File types of its attachments (`image`, `file`, …).
    pub files: &'a [String],
}

/// A message template as the provider lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateListing {
    pub id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub components: Value,
}

/// One inbox's number at its provider.
#[async_trait]
pub trait Channel: Send + Sync {
    fn provider(&self) -> Provider;

    fn capabilities(&self) -> Capabilities {
        self.provider().capabilities()
    }

    /// What the next attempt does with a send a crash interrupted, its outcome unknown.
    fn after_crash(&self) -> AfterCrash;

    /// Opens the number's connection at the provider. Providers without connections have
    /// nothing to open.
    async fn connect(&self, _setup: &Connect<'_>) -> Result<(), ChannelError> {
        Ok(())
    }

    /// Closes the number's connection; one the provider no longer has is closed already.
    async fn disconnect(&self) -> Result<(), ChannelError> {
        Ok(())
    }

    /// Reads one webhook delivery. Content is never an error: a type we do not know is kept
    /// whole. An event we do not act on reads as nothing.
    fn parse_webhook(&self, body: &Value) -> Result<Vec<InboundEvent>, WebhookError>;

    /// Refuses a message the provider could never send, naming the field.
    fn check(&self, draft: &Draft<'_>) -> Result<(), ValidationError>;

    /// Sends one message; the provider's id for it.
    async fn send(&self, message: &Outbound<'_>) -> Result<Option<String>, SendError>;

    /// The file of a message we received (its channel id, and the link the webhook gave, if
    /// any), refusing more than `limit` bytes.
    async fn download(&self, message_id: &str, link: Option<&str>, limit: usize) -> Result<Downloaded, SendError>;

    /// Group administration, where the provider reaches groups.
    fn groups(&self) -> Option<&dyn Groups> {
        None
    }

    /// The picture of a group or person (by JID), where the provider shows pictures; `Ok(None)`
    /// when they have none we may see.
    async fn picture(&self, _jid: &str, _limit: usize) -> Option<Result<Option<Downloaded>, SendError>> {
        None
    }

    /// The number's templates, where the provider has templates.
    async fn templates(&self) -> Option<Result<Vec<TemplateListing>, ChannelError>> {
        None
    }

    /// Submits a template (`{name, category, language, components}`) for approval; the
    /// provider's id for it. `None`: the provider has no templates.
    async fn create_template(&self, _template: &Value) -> Option<Result<Option<String>, ChannelError>> {
        None
    }

    /// Deletes every language of a template name. `None`: the provider has no templates.
    async fn delete_template(&self, _name: &str) -> Option<Result<(), ChannelError>> {
        None
    }
}

/// Administering groups at a provider that reaches them; groups are named by JID. Every call
/// asks the provider: only what it accepted may change here.
#[async_trait]
pub trait Groups: Send + Sync {
    /// A group's subject, settings and participants.
    async fn metadata(&self, jid: &str) -> Result<GroupMetadata, ChannelError>;
    /// A new group with the inbox's number in it, and these participants.
    async fn create(&self, subject: &str, participants: &[String]) -> Result<GroupMetadata, ChannelError>;
    /// Adds, removes, promotes or demotes one participant; the provider's status for them
    /// (`"200"` is success).
    async fn participant(&self, jid: &str, participant: &str, action: &str) -> Result<String, ChannelError>;
    async fn set_subject(&self, jid: &str, subject: &str) -> Result<(), ChannelError>;
    async fn set_description(&self, jid: &str, description: &str) -> Result<(), ChannelError>;
    async fn set_picture(&self, jid: &str, image_base64: &str) -> Result<(), ChannelError>;
    async fn invite_code(&self, jid: &str) -> Result<String, ChannelError>;
    /// A new invite code; the old one stops working.
    async fn revoke_invite(&self, jid: &str) -> Result<String, ChannelError>;
    async fn join_requests(&self, jid: &str) -> Result<Vec<JoinRequest>, ChannelError>;
    /// Approves (`approve`) or rejects (`reject`) these participants' requests.
    async fn handle_join_requests(&self, jid: &str, participants: &[String], action: &str) -> Result<(), ChannelError>;
    async fn set_setting(&self, jid: &str, setting: &GroupSetting) -> Result<(), ChannelError>;
    /// The inbox's number leaves the group.
    async fn leave(&self, jid: &str) -> Result<(), ChannelError>;
}
