//! Agent bots: the account's (`/api/v1/accounts/{account_id}/agent_bots`; members read,
//! administrators write), platform apps' (`/platform/api/v1/agent_bots`, only the bots the app
//! made), and an inbox's bot (`…/inboxes/{id}/agent_bot`, `…/set_agent_bot`). The work is
//! `switchboard_core::agent_bots`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::agent_bots::{self, BotInput};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_store::platform::Permissible;

use super::path_id;
use crate::auth::{AccountCtx, PlatformCtx};
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotPayload {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    outgoing_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    avatar_url: Option<Option<String>>,
    /// 0 (or "webhook"), the one type served.
    bot_type: Option<Value>,
    bot_config: Option<Value>,
    /// Platform apps only: the account the bot belongs to; null or absent makes a system bot.
    #[serde(default, deserialize_with = "nullable")]
    account_id: Option<Option<i64>>,
}
impl Payload for BotPayload {
    const WRAPPER: Option<&'static str> = Some("agent_bot");
}

impl From<BotPayload> for BotInput {
    fn from(p: BotPayload) -> Self {
        Self {
            name: p.name,
            description: p.description,
            outgoing_url: p.outgoing_url,
            bot_type: p.bot_type,
            bot_config: p.bot_config,
            avatar_url: p.avatar_url,
            account_id: p.account_id,
        }
    }
}

/// An account's body may not move a bot to another account.
fn account_input(p: BotPayload) -> ApiResult<BotInput> {
    if p.account_id.is_some() {
        return Err(switchboard_domain::ValidationError::invalid("account_id", "is set by the path").into());
    }
    Ok(p.into())
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(agent_bots::list(&state, ctx.account_id, ctx.role.can_administer()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    Ok(HttpResponse::Ok().json(agent_bots::show(&state, ctx.account_id, id, ctx.role.can_administer()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<BotPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(agent_bots::create(&state, ctx.account_id, account_input(body)?).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<BotPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    Ok(HttpResponse::Ok().json(agent_bots::update(&state, ctx.account_id, id, account_input(body)?).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    agent_bots::delete(&state, ctx.account_id, path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().finish())
}

/// `{"agent_bot": {…}}`, or `{"agent_bot": null}` when the inbox has none (the reference's shape).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn of_inbox(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let inbox_id = path_id(&path.1)?;
    let bot = agent_bots::of_inbox(&state, ctx.account_id, inbox_id, ctx.inbox_visibility(), ctx.role.can_administer()).await?;
    Ok(HttpResponse::Ok().json(views::agent_bots::InboxBot { agent_bot: bot }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetBotPayload {
    /// A bot id, or null to take the inbox's bot away.
    #[serde(default, deserialize_with = "nullable")]
    agent_bot: Option<Option<i64>>,
}
impl Payload for SetBotPayload {}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn set_on_inbox(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<SetBotPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let inbox_id = path_id(&path.1)?;
    let bot = body.agent_bot.ok_or_else(|| switchboard_domain::ValidationError::blank("agent_bot"))?;
    agent_bots::set_on_inbox(&state, ctx.account_id, inbox_id, bot).await?;
    Ok(HttpResponse::NoContent().finish())
}

// Platform apps.

/// A bot made for an account needs the app's grant on that account (404 otherwise).
async fn check_account(state: &AppState, ctx: &PlatformCtx, body: &BotPayload) -> ApiResult<()> {
    if let Some(Some(account_id)) = body.account_id {
        ctx.require(state, Permissible::Account(account_id)).await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn platform_list(state: web::Data<AppState>, ctx: PlatformCtx) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(agent_bots::platform_list(&state, ctx.app.id).await?))
}

#[tracing::instrument(skip_all)]
pub async fn platform_create(state: web::Data<AppState>, ctx: PlatformCtx, Body(body): Body<BotPayload>) -> ApiResult<HttpResponse> {
    check_account(&state, &ctx, &body).await?;
    Ok(HttpResponse::Ok().json(agent_bots::platform_create(&state, ctx.app.id, body.into()).await?))
}

#[tracing::instrument(skip_all)]
pub async fn platform_show(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    ctx.require(&state, Permissible::AgentBot(id)).await?;
    Ok(HttpResponse::Ok().json(agent_bots::platform_show(&state, id).await?))
}

#[tracing::instrument(skip_all)]
pub async fn platform_update(
    state: web::Data<AppState>,
    ctx: PlatformCtx,
    path: web::Path<String>,
    Body(body): Body<BotPayload>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    ctx.require(&state, Permissible::AgentBot(id)).await?;
    check_account(&state, &ctx, &body).await?;
    Ok(HttpResponse::Ok().json(agent_bots::platform_update(&state, id, body.into()).await?))
}

#[tracing::instrument(skip_all)]
pub async fn platform_delete(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    ctx.require(&state, Permissible::AgentBot(id)).await?;
    agent_bots::platform_delete(&state, id).await?;
    Ok(HttpResponse::Ok().finish())
}
