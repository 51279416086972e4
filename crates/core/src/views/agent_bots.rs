//! Agent bots as the API shows them.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::AgentBot;

/// A bot as the API shows it. The access token and the signing secret are shown only to those
/// who manage the bot (administrators of its account, or the platform app that made it).
#[derive(Debug, Serialize)]
pub struct AgentBotView {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub thumbnail: String,
    pub outgoing_url: Option<String>,
    pub bot_type: String,
    pub bot_config: Value,
    pub account_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Signs every delivery to `outgoing_url` (`X-Chatwoot-Signature`), as webhooks' secrets do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Made by a platform app and usable by every account.
    pub system_bot: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl AgentBotView {
    pub fn of(b: AgentBot, manager: bool) -> Self {
        Self {
            id: b.id,
            system_bot: b.account_id.is_none(),
            name: b.name,
            description: b.description,
            thumbnail: b.avatar_url.unwrap_or_default(),
            outgoing_url: b.outgoing_url,
            bot_type: b.bot_type,
            bot_config: b.bot_config,
            account_id: b.account_id,
            access_token: manager.then_some(b.access_token),
            secret: manager.then_some(b.secret),
            created_at: b.created_at.timestamp(),
            updated_at: b.updated_at.timestamp(),
        }
    }
}

/// `{"agent_bot": {…}}`, or `{"agent_bot": null}` when the inbox has none (the reference's shape).
#[derive(Debug, Serialize)]
pub struct InboxBot {
    pub agent_bot: Option<AgentBotView>,
}
