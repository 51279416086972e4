//! Scheduled messages: the reference's shape, plus ours (recurrence, sends, cancel_on_reply,
//! error, message_id).

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::{ScheduledMessage as Row, Upload};

use super::messages::Message;
use super::people::Named;

/// The file a scheduled message carries (an upload until it is sent).
#[derive(Debug, Clone, Serialize)]
pub struct ScheduledFile {
    pub id: i64,
    pub scheduled_message_id: i64,
    pub file_type: String,
    pub account_id: i64,
    pub filename: String,
    pub blob_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduledMessage {
    pub id: i64,
    pub content: Option<String>,
    pub inbox_id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    pub status: String,
    pub scheduled_at: i64,
    pub template_params: Option<Value>,
    pub author_id: Option<i64>,
    pub author_type: &'static str,
    pub author: Option<Named>,
    pub attachment: Option<ScheduledFile>,
    pub recurrence: Option<Value>,
    pub sends: i32,
    pub cancel_on_reply: bool,
    pub error: Option<String>,
    pub message_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `scheduled_message.sent` only: the message that went out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

pub fn scheduled_message(s: &Row, display_id: i64, author: Option<&(i64, String)>, upload: Option<&Upload>) -> ScheduledMessage {
    ScheduledMessage {
        id: s.id,
        content: s.content.clone(),
        inbox_id: s.inbox_id,
        conversation_id: display_id,
        account_id: s.account_id,
        status: s.status.clone(),
        scheduled_at: s.scheduled_at.timestamp(),
        template_params: s.template_params.clone(),
        author_id: s.author_id,
        author_type: "User",
        author: author.map(|(id, name)| Named { id: *id, name: name.clone() }),
        attachment: upload.map(|u| ScheduledFile {
            id: u.id,
            scheduled_message_id: s.id,
            file_type: u.content_type.clone(),
            account_id: u.account_id,
            filename: u.file_name.clone(),
            blob_id: u.id.to_string(),
        }),
        recurrence: s.recurrence.clone(),
        sends: s.sends,
        cancel_on_reply: s.cancel_on_reply,
        error: s.error.clone(),
        message_id: s.message_id,
        created_at: s.created_at.timestamp(),
        updated_at: s.updated_at.timestamp(),
        message: None,
    }
}
