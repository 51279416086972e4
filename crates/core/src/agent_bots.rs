//! Agent bots as accounts and platform apps manage them, and the bot an inbox puts first.
//! A bot hears its inboxes' events through the webhook delivery machinery (an endpoint per
//! bot and inbox, `store::agent_bots`); it answers with its access token (see `Actor::bot`).

use serde_json::Value;
use switchboard_domain::text::optional_text;
use switchboard_domain::ValidationError;
use switchboard_store::agent_bots::{AgentBotChanges, NewAgentBot};
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::AgentBot;

use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::tokens::random_token;
use crate::views::agent_bots::AgentBotView;

/// A create or update as submitted; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct BotInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub outgoing_url: Option<Option<String>>,
    pub bot_type: Option<Value>,
    pub bot_config: Option<Value>,
    pub avatar_url: Option<Option<String>>,
    /// Platform apps only: the account the bot belongs to (None: a system bot).
    pub account_id: Option<Option<i64>>,
}

/// The input, checked: text lengths, urls (the outgoing one against private addresses).
async fn checked(state: &AppState, input: BotInput) -> CoreResult<AgentBotChanges> {
    let name = match input.name {
        Some(raw) => Some(optional_text("name", Some(&raw), 255)?.ok_or_else(|| ValidationError::blank("name"))?),
        None => None,
    };
    let description = input.description.map(|d| optional_text("description", d.as_deref(), 2000)).transpose()?;
    let outgoing_url = match input.outgoing_url {
        Some(Some(raw)) if !raw.trim().is_empty() => Some(Some(crate::webhooks::checked_url(state, "outgoing_url", &raw).await?)),
        Some(_) => Some(None),
        None => None,
    };
    let avatar_url = match input.avatar_url {
        Some(Some(raw)) if !raw.trim().is_empty() => Some(Some(switchboard_domain::text::http_url("avatar_url", &raw)?)),
        Some(_) => Some(None),
        None => None,
    };
    let bot_type = input.bot_type.map(|t| switchboard_domain::agent_bots::bot_type("bot_type", &t).map(str::to_string)).transpose()?;
    let bot_config = input.bot_config.map(|c| switchboard_domain::agent_bots::bot_config("bot_config", c)).transpose()?;
    Ok(AgentBotChanges { name, description, outgoing_url, bot_type, bot_config, avatar_url, account_id: input.account_id })
}

/// Creates a bot; `made_by` a platform app, which is granted it in the same transaction.
async fn insert(state: &AppState, input: BotInput, made_by: Option<i64>) -> CoreResult<AgentBot> {
    let c = checked(state, input).await?;
    let new = NewAgentBot {
        account_id: c.account_id.flatten(),
        name: c.name.ok_or_else(|| ValidationError::blank("name"))?,
        description: c.description.flatten(),
        outgoing_url: c.outgoing_url.flatten(),
        bot_type: c.bot_type.unwrap_or_else(|| switchboard_domain::agent_bots::WEBHOOK.into()),
        bot_config: c.bot_config.unwrap_or_else(|| Value::Object(Default::default())),
        avatar_url: c.avatar_url.flatten(),
        access_token: random_token(24),
        secret: crate::webhooks::new_secret(),
    };
    let mut tx = Change::begin(state).await?;
    let result = async {
        let bot = switchboard_store::agent_bots::create(&mut tx.conn, &new).await?;
        if let Some(app_id) = made_by {
            switchboard_store::platform::grant(&mut tx.conn, app_id, switchboard_store::platform::Permissible::AgentBot(bot.id)).await?;
        }
        CoreResult::Ok(bot)
    }
    .await;
    tx.finish(state, result).await
}

/// Changes a bot and its endpoints in one transaction (saving a bot with a url turns its
/// endpoints back on, and their parked deliveries go out).
async fn change(state: &AppState, id: i64, input: BotInput) -> CoreResult<AgentBot> {
    let changes = checked(state, input).await?;
    let mut tx = Change::begin(state).await?;
    let result = switchboard_store::agent_bots::update(&mut tx.conn, id, &changes).await.map_err(CoreError::from);
    tx.finish(state, result).await
}

// The account's side.

/// The bots the account may use: its own and the system bots. Members read them; the token
/// and secret only administrators see, of the account's own bots.
pub async fn list(state: &AppState, account_id: i64, administrator: bool) -> CoreResult<Vec<AgentBotView>> {
    let mut conn = state.conn().await?;
    let bots = switchboard_store::agent_bots::usable_by(&mut conn, account_id).await?;
    Ok(bots
        .into_iter()
        .map(|b| {
            let own = b.account_id.is_some();
            AgentBotView::of(b, administrator && own)
        })
        .collect())
}

pub async fn show(state: &AppState, account_id: i64, id: i64, administrator: bool) -> CoreResult<AgentBotView> {
    let mut conn = state.conn().await?;
    let bot = switchboard_store::agent_bots::find_usable(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?;
    let own = bot.account_id.is_some();
    Ok(AgentBotView::of(bot, administrator && own))
}

pub async fn create(state: &AppState, account_id: i64, mut input: BotInput) -> CoreResult<AgentBotView> {
    input.account_id = Some(Some(account_id));
    Ok(AgentBotView::of(insert(state, input, None).await?, true))
}

/// The account's own bot: a system bot is the platform app's to change (403).
async fn own(state: &AppState, account_id: i64, id: i64) -> CoreResult<AgentBot> {
    let mut conn = state.conn().await?;
    let bot = switchboard_store::agent_bots::find_usable(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?;
    if bot.account_id.is_none() {
        return Err(CoreError::Forbidden);
    }
    Ok(bot)
}

pub async fn update(state: &AppState, account_id: i64, id: i64, mut input: BotInput) -> CoreResult<AgentBotView> {
    own(state, account_id, id).await?;
    input.account_id = None;
    Ok(AgentBotView::of(change(state, id, input).await?, true))
}

pub async fn delete(state: &AppState, account_id: i64, id: i64) -> CoreResult<()> {
    own(state, account_id, id).await?;
    let mut conn = state.conn().await?;
    switchboard_store::agent_bots::delete(&mut conn, id).await?;
    Ok(())
}

/// The bot of an inbox the caller may see (None: it has none).
pub async fn of_inbox(
    state: &AppState,
    account_id: i64,
    inbox_id: i64,
    vis: Visibility,
    administrator: bool,
) -> CoreResult<Option<AgentBotView>> {
    let mut conn = state.conn().await?;
    switchboard_store::inboxes::find(&mut conn, account_id, inbox_id, vis).await?.ok_or(CoreError::NotFound)?;
    let bot = switchboard_store::agent_bots::of_inbox(&mut conn, inbox_id).await?;
    Ok(bot.map(|b| {
        let own = b.account_id.is_some();
        AgentBotView::of(b, administrator && own)
    }))
}

/// Puts a bot the account may use on one of its inboxes, or (None) takes the inbox's bot away.
pub async fn set_on_inbox(state: &AppState, account_id: i64, inbox_id: i64, bot_id: Option<i64>) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let conn = &mut *tx.conn;
        switchboard_store::inboxes::find(conn, account_id, inbox_id, Visibility::All).await?.ok_or(CoreError::NotFound)?;
        let bot = match bot_id {
            Some(id) => Some(switchboard_store::agent_bots::find_usable(conn, account_id, id).await?.ok_or(CoreError::NotFound)?),
            None => None,
        };
        Ok(switchboard_store::agent_bots::set_on_inbox(conn, account_id, inbox_id, bot.as_ref()).await?)
    }
    .await;
    tx.finish(state, result).await
}

// The platform app's side: it manages the bots it made, system bots or bots of accounts it
// made (the handler checks the account grant).

pub async fn platform_list(state: &AppState, app_id: i64) -> CoreResult<Vec<AgentBotView>> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::agent_bots::of_platform_app(&mut conn, app_id).await?.into_iter().map(|b| AgentBotView::of(b, true)).collect())
}

pub async fn platform_show(state: &AppState, id: i64) -> CoreResult<AgentBotView> {
    let mut conn = state.conn().await?;
    Ok(AgentBotView::of(switchboard_store::agent_bots::find(&mut conn, id).await?.ok_or(CoreError::NotFound)?, true))
}

pub async fn platform_create(state: &AppState, app_id: i64, input: BotInput) -> CoreResult<AgentBotView> {
    Ok(AgentBotView::of(insert(state, input, Some(app_id)).await?, true))
}

pub async fn platform_update(state: &AppState, id: i64, input: BotInput) -> CoreResult<AgentBotView> {
    Ok(AgentBotView::of(change(state, id, input).await?, true))
}

pub async fn platform_delete(state: &AppState, id: i64) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    if !switchboard_store::agent_bots::delete(&mut conn, id).await? {
        return Err(CoreError::NotFound);
    }
    switchboard_store::platform::revoke_all(&mut conn, switchboard_store::platform::Permissible::AgentBot(id)).await?;
    Ok(())
}
