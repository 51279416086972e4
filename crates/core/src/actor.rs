//! Who performs an operation, and what they may see.

use switchboard_store::inboxes::Visibility;
use switchboard_store::models::Conversation;
use switchboard_store::AsyncPgConnection;

use crate::error::{CoreError, CoreResult};

/// An agent, an administrator or an agent bot acting in one account.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: i64,
    /// 0 for a bot (and for an integrator's key).
    pub user_id: i64,
    /// An agent bot, with its token: it sees the inboxes it answers (`Visibility::AgentBot`),
    /// and its messages show it as their sender.
    pub agent_bot_id: Option<i64>,
    /// The name activity lines show ("Assigned to Bob by Ada").
    pub name: String,
    pub visibility: Visibility,
    /// An administrator of the account (may delete contacts, merge them, …).
    pub administrator: bool,
    /// A user's email and the address they called from, for the audit log.
    pub email: Option<String>,
    pub remote_address: Option<String>,
}

impl Actor {
    /// An agent bot acting in the account, through the inboxes it answers.
    pub fn bot(account_id: i64, bot: &switchboard_store::models::AgentBot) -> Self {
        Actor {
            account_id,
            user_id: 0,
            agent_bot_id: Some(bot.id),
            name: bot.name.clone(),
            visibility: Visibility::AgentBot(bot.id),
            administrator: false,
            email: None,
            remote_address: None,
        }
    }

    /// The conversation with this display id, if the actor may see it (404 otherwise).
    pub async fn conversation(&self, conn: &mut AsyncPgConnection, display_id: i64) -> CoreResult<Conversation> {
        switchboard_store::conversations::find(conn, self.account_id, display_id, self.visibility).await?.ok_or(CoreError::NotFound)
    }
}
