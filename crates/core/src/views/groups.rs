//! WhatsApp group administration's answers: per-participant outcomes, invites, a created group.

use serde::Serialize;

/// The provider's status for one participant of a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outcome {
    /// As the caller named them.
    pub participant: String,
    pub jid: String,
    /// The provider's status for them (`"200"` is success), or none when the call failed.
    pub status: Option<String>,
    pub success: bool,
    pub error: Option<String>,
}

/// An invite code and the link it makes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Invite {
    pub invite_code: String,
    pub invite_url: String,
}

impl Invite {
    pub fn of(code: String) -> Self {
        Self { invite_url: format!("https://chat.whatsapp.com/{code}"), invite_code: code }
    }
}

/// What `POST /groups` answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Created {
    pub group_jid: String,
    pub subject: String,
    /// The group's contact here.
    pub contact_id: i64,
}

/// A group's description as changed: its name and attributes (subject, description, picture,
/// settings).
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    pub id: i64,
    pub name: String,
    pub additional_attributes: serde_json::Value,
}

pub fn described(c: &switchboard_store::models::Contact) -> Described {
    Described { id: c.id, name: c.name.clone(), additional_attributes: c.additional_attributes.clone() }
}
