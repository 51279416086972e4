//! Macros as the API shows them, and what executing one did.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::Macro;

use super::people::Named;

#[derive(Debug, Serialize)]
pub struct MacroView {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub visibility: String,
    pub actions: Value,
    pub created_by: Option<Named>,
    pub updated_by: Option<Named>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What executing a macro did to one conversation.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub conversation_id: i64,
    /// applied, or failed (then nothing of the macro stayed on this conversation).
    pub status: &'static str,
    pub actions: Vec<super::automation::AppliedAction>,
    pub error: Option<String>,
}

/// A macro; `names` are the users who made and last changed it, by id.
pub fn macro_view(m: Macro, names: &[(i64, String)]) -> MacroView {
    let user =
        |id: Option<i64>| id.and_then(|id| names.iter().find(|(i, _)| *i == id)).map(|(id, name)| Named { id: *id, name: name.clone() });
    MacroView {
        id: m.id,
        account_id: m.account_id,
        created_by: user(m.created_by_id),
        updated_by: user(m.updated_by_id),
        name: m.name,
        visibility: m.visibility,
        actions: m.actions,
        created_at: m.created_at.timestamp(),
        updated_at: m.updated_at.timestamp(),
    }
}
