//! Who performs an operation, and what they may see.

use switchboard_store::inboxes::Visibility;

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
