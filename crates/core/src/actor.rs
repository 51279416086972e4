//! Who performs an operation, and what they may see.

use switchboard_store::inboxes::Visibility;
use switchboard_store::models::Conversation;
use switchboard_store::AsyncPgConnection;

use crate::error::{CoreError, CoreResult};

/// An agent or administrator acting in one account.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: i64,
    pub user_id: i64,
    /// The name activity lines show ("Assigned to Bob by Ada").
    pub name: String,
    pub visibility: Visibility,
    /// An administrator of the account (may delete contacts, merge them, …).
    pub administrator: bool,
}

impl Actor {
    /// The conversation with this display id, if the actor may see it (404 otherwise).
    pub async fn conversation(&self, conn: &mut AsyncPgConnection, display_id: i64) -> CoreResult<Conversation> {
        switchboard_store::conversations::find(conn, self.account_id, display_id, self.visibility).await?.ok_or(CoreError::NotFound)
    }
}
