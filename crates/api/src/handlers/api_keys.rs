//! `/api/v1/accounts/{account_id}/api_keys`: integrators' keys, for administrators. A new key is
//! shown once, in the answer that makes it; lists show it masked.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let keys = switchboard_core::integrators::list_keys(&state, &ctx.actor()).await?;
    Ok(ok(views::Payload { payload: keys }))
}

#[derive(Deserialize)]
pub struct KeyPayload {
    name: String,
}
impl Payload for KeyPayload {
    const WRAPPER: Option<&'static str> = Some("api_key");
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<KeyPayload>) -> ApiResult<HttpResponse> {
    Ok(ok(switchboard_core::integrators::create_key(&state, &ctx.actor(), &body.name).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    switchboard_core::integrators::revoke_key(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().finish())
}
