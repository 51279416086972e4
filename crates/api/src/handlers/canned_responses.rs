//! `/api/v1/accounts/{account_id}/canned_responses`: members read (`?search=` over short code
//! and content), administrators write. The work is `switchboard_core::canned`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use switchboard_core::canned;
use switchboard_core::state::AppState;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, Params, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedPayload {
    short_code: Option<String>,
    content: Option<String>,
}
impl Payload for CannedPayload {
    const WRAPPER: Option<&'static str> = Some("canned_response");
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(canned::list(&state, ctx.account_id, params.str("search")).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<CannedPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(canned::create(&state, ctx.account_id, body.short_code.as_deref(), body.content.as_deref()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<CannedPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    Ok(HttpResponse::Ok().json(canned::update(&state, ctx.account_id, id, body.short_code.as_deref(), body.content.as_deref()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    canned::delete(&state, ctx.account_id, path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().finish())
}
