//! Agent bots: account bots and platform apps' system bots, the inbox each answers, and each
//! bot-inbox pair's delivery endpoint (a `webhooks` row), kept in step with both.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::models::AgentBot;
use crate::schema::{agent_bot_inboxes as links, agent_bots, platform_app_permissibles as perms, webhooks};
use crate::StoreResult;

/// Why a bot's endpoint is off while the bot has no `outgoing_url`.
pub const NO_URL: &str = "the agent bot has no outgoing_url";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agent_bots)]
pub struct NewAgentBot {
    pub account_id: Option<i64>,
    pub name: String,
    pub description: Option<String>,
    pub outgoing_url: Option<String>,
    pub bot_type: String,
    pub bot_config: Value,
    pub avatar_url: Option<String>,
    pub access_token: String,
    pub secret: String,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = agent_bots)]
pub struct AgentBotChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub outgoing_url: Option<Option<String>>,
    pub bot_type: Option<String>,
    pub bot_config: Option<Value>,
    pub avatar_url: Option<Option<String>>,
    pub account_id: Option<Option<i64>>,
}

pub async fn create(conn: &mut AsyncPgConnection, new: &NewAgentBot) -> StoreResult<AgentBot> {
    Ok(diesel::insert_into(agent_bots::table).values(new).returning(AgentBot::as_returning()).get_result(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Option<AgentBot>> {
    Ok(agent_bots::table.find(id).select(AgentBot::as_select()).first(conn).await.optional()?)
}

/// What an account may use: its own bots and the system bots, oldest first.
pub async fn usable_by(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<AgentBot>> {
    Ok(agent_bots::table
        .filter(agent_bots::account_id.eq(account_id).or(agent_bots::account_id.is_null()))
        .order(agent_bots::id)
        .select(AgentBot::as_select())
        .load(conn)
        .await?)
}

/// One bot the account may use (its own, or a system bot).
pub async fn find_usable(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<AgentBot>> {
    Ok(agent_bots::table
        .filter(agent_bots::id.eq(id))
        .filter(agent_bots::account_id.eq(account_id).or(agent_bots::account_id.is_null()))
        .select(AgentBot::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The bots a platform app made, oldest first.
pub async fn of_platform_app(conn: &mut AsyncPgConnection, app_id: i64) -> StoreResult<Vec<AgentBot>> {
    let mine = perms::table
        .filter(perms::platform_app_id.eq(app_id))
        .filter(perms::permissible_type.eq("agent_bot"))
        .select(perms::permissible_id);
    Ok(agent_bots::table.filter(agent_bots::id.eq_any(mine)).order(agent_bots::id).select(AgentBot::as_select()).load(conn).await?)
}

pub async fn by_ids(conn: &mut AsyncPgConnection, ids: &[i64]) -> StoreResult<Vec<AgentBot>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(agent_bots::table.filter(agent_bots::id.eq_any(ids)).select(AgentBot::as_select()).load(conn).await?)
}

pub async fn find_by_token(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<AgentBot>> {
    Ok(agent_bots::table.filter(agent_bots::access_token.eq(token)).select(AgentBot::as_select()).first(conn).await.optional()?)
}

/// Updates a bot, and its endpoints to match (url, and on or off as it has a url or not).
pub async fn update(conn: &mut AsyncPgConnection, id: i64, changes: &AgentBotChanges) -> StoreResult<AgentBot> {
    let bot = diesel::update(agent_bots::table.find(id))
        .set((changes, agent_bots::updated_at.eq(diesel::dsl::now)))
        .returning(AgentBot::as_returning())
        .get_result(conn)
        .await?;
    sync_endpoints(conn, &bot).await?;
    Ok(bot)
}

/// Deletes a bot: its inboxes are left without one, and its endpoints and their log go.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(agent_bots::table.find(id)).execute(conn).await? > 0)
}

/// Whether the bot answers some inbox of the account (a system bot acts only there).
pub async fn serves_account(conn: &mut AsyncPgConnection, bot_id: i64, account_id: i64) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(links::table.filter(links::account_id.eq(account_id)).filter(links::agent_bot_id.eq(bot_id))))
        .get_result(conn)
        .await?)
}

/// The bot that answers the inbox, if any.
pub async fn of_inbox(conn: &mut AsyncPgConnection, inbox_id: i64) -> StoreResult<Option<AgentBot>> {
    Ok(links::table
        .inner_join(agent_bots::table)
        .filter(links::inbox_id.eq(inbox_id))
        .select(AgentBot::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Which of these inboxes a bot answers.
pub async fn answering(conn: &mut AsyncPgConnection, inbox_ids: &[i64]) -> StoreResult<Vec<i64>> {
    Ok(links::table.filter(links::inbox_id.eq_any(inbox_ids)).select(links::inbox_id).load(conn).await?)
}

/// Whether a bot answers the inbox (new conversations then start pending).
pub async fn answers(conn: &mut AsyncPgConnection, inbox_id: i64) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(links::table.filter(links::inbox_id.eq(inbox_id)))).get_result(conn).await?)
}

/// Puts `bot` on the inbox (None: takes the inbox's bot away) with the bot's endpoint for it.
/// Putting the same bot again keeps its endpoint and its pending deliveries.
pub async fn set_on_inbox(conn: &mut AsyncPgConnection, account_id: i64, inbox_id: i64, bot: Option<&AgentBot>) -> StoreResult<()> {
    match bot {
        None => {
            diesel::delete(links::table.filter(links::inbox_id.eq(inbox_id))).execute(conn).await?;
        }
        Some(bot) => {
            diesel::insert_into(links::table)
                .values((links::inbox_id.eq(inbox_id), links::agent_bot_id.eq(bot.id), links::account_id.eq(account_id)))
                .on_conflict(links::inbox_id)
                .do_update()
                .set(links::agent_bot_id.eq(bot.id))
                .execute(conn)
                .await?;
        }
    }
    let mut stale = webhooks::table.filter(webhooks::inbox_id.eq(inbox_id)).filter(webhooks::agent_bot_id.is_not_null()).into_boxed();
    if let Some(bot) = bot {
        stale = stale.filter(webhooks::agent_bot_id.ne(bot.id));
    }
    diesel::delete(webhooks::table.filter(webhooks::id.eq_any(stale.select(webhooks::id)))).execute(conn).await?;
    let Some(bot) = bot else { return Ok(()) };
    crate::events::ensure_reader(conn, account_id, crate::webhooks::READER).await?;
    let subscriptions: Vec<String> = switchboard_domain::webhooks::WebhookEvent::AGENT_BOT.iter().map(|e| e.as_str().to_string()).collect();
    diesel::sql_query(
        "INSERT INTO webhooks (account_id, inbox_id, agent_bot_id, url, subscriptions, secret, enabled, disabled_reason, disabled_at) \
         VALUES ($1, $2, $3, COALESCE($4, ''), $5, $6, $4 IS NOT NULL, CASE WHEN $4 IS NULL THEN $7 END, CASE WHEN $4 IS NULL THEN now() END) \
         ON CONFLICT (inbox_id) WHERE agent_bot_id IS NOT NULL DO NOTHING",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(inbox_id)
    .bind::<BigInt, _>(bot.id)
    .bind::<Nullable<Text>, _>(bot.outgoing_url.as_deref())
    .bind::<Array<Text>, _>(&subscriptions)
    .bind::<Text, _>(&bot.secret)
    .bind::<Text, _>(NO_URL)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Endpoint {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    enabled: bool,
}

/// Brings the bot's endpoints in step with it. Saving a bot that has a url turns its endpoints
/// back on (one disabled after failing for a day included): an administrator looked at it; its
/// parked deliveries then go out in order.
async fn sync_endpoints(conn: &mut AsyncPgConnection, bot: &AgentBot) -> StoreResult<()> {
    let rows: Vec<Endpoint> = diesel::sql_query(
        "UPDATE webhooks SET url = COALESCE($2, ''), secret = $3, updated_at = now() WHERE agent_bot_id = $1 RETURNING id, enabled",
    )
    .bind::<BigInt, _>(bot.id)
    .bind::<Nullable<Text>, _>(bot.outgoing_url.as_deref())
    .bind::<Text, _>(&bot.secret)
    .load(conn)
    .await?;
    for row in rows {
        match (&bot.outgoing_url, row.enabled) {
            (None, true) => crate::webhooks::disable(conn, row.id, NO_URL).await?,
            (Some(_), false) => crate::webhooks::enable(conn, row.id).await?,
            _ => {}
        }
    }
    Ok(())
}
