//! `/api/v1/accounts/{account_id}/webhooks`: account webhooks (administrators), their secret,
//! their delivery log and redelivery. The work is `switchboard_core::webhooks`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_core::webhooks::{self, WebhookInput};

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Params, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPayload {
    url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    subscriptions: Option<Vec<String>>,
    /// Ours: `true` enables an endpoint that was disabled after failing; `false` disables it.
    enabled: Option<bool>,
}
impl Payload for WebhookPayload {
    const WRAPPER: Option<&'static str> = Some("webhook");
}

impl From<WebhookPayload> for WebhookInput {
    fn from(p: WebhookPayload) -> Self {
        Self { name: p.name, url: p.url, subscriptions: p.subscriptions, enabled: p.enabled }
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(webhooks::list(&mut conn, ctx.account_id).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<WebhookPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(webhooks::create(&state, &ctx.actor(), body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<WebhookPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    Ok(HttpResponse::Ok().json(webhooks::update(&state, &ctx.actor(), id, body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    webhooks::delete(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(views::Said { message: "Webhook deleted" }))
}

/// `POST …/webhooks/{id}/rotate_secret`: a new signing secret, in force for the next attempt.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn rotate_secret(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(webhooks::rotate_secret(&state, &ctx.actor(), path_id(&path.1)?).await?))
}

/// `GET …/webhooks/{id}/deliveries?page=`: the delivery log, newest first.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn deliveries(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let page = params.page();
    let (payload, count) = webhooks::deliveries(&state, ctx.account_id, path_id(&path.1)?, page).await?;
    Ok(HttpResponse::Ok()
        .json(views::Page { meta: views::PageMeta { count, current_page: page, per_page: Some(webhooks::PER_PAGE) }, payload }))
}

/// `POST …/webhooks/{id}/deliveries/{delivery_id}/redeliver`: queued again (202).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn redeliver(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let delivery = webhooks::redeliver(&state, ctx.account_id, path_id(&path.1)?, path_id(&path.2)?).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
