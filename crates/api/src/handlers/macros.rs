//! `/api/v1/accounts/{account_id}/macros`: members list the account's global macros and their
//! own, write their own personal ones (administrators also the global ones), and execute them
//! on conversations they can see. The work is `switchboard_core::macros`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::macros::{self, MacroInput};
use switchboard_core::state::AppState;
use switchboard_core::views;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroPayload {
    name: Option<String>,
    visibility: Option<String>,
    actions: Option<Value>,
}
impl Payload for MacroPayload {
    const WRAPPER: Option<&'static str> = Some("macro");
}

impl From<MacroPayload> for MacroInput {
    fn from(p: MacroPayload) -> Self {
        Self { name: p.name, visibility: p.visibility, actions: p.actions }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutePayload {
    conversation_ids: Vec<i64>,
}
impl Payload for ExecutePayload {}

fn payload<T: serde::Serialize>(v: T) -> HttpResponse {
    HttpResponse::Ok().json(views::Payload { payload: v })
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    Ok(payload(macros::list(&state, &ctx.actor()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    Ok(payload(macros::show(&state, &ctx.actor(), path_id(&path.1)?).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MacroPayload>) -> ApiResult<HttpResponse> {
    Ok(payload(macros::save(&state, &ctx.actor(), None, body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<MacroPayload>,
) -> ApiResult<HttpResponse> {
    Ok(payload(macros::save(&state, &ctx.actor(), Some(path_id(&path.1)?), body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    macros::delete(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(views::Empty {}))
}

/// `POST …/macros/{id}/execute {conversation_ids}`: what happened to each conversation.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn execute(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<ExecutePayload>,
) -> ApiResult<HttpResponse> {
    Ok(payload(macros::execute(&state, &ctx.actor(), path_id(&path.1)?, &body.conversation_ids).await?))
}

/// `POST …/macros/attach_file`: a file for `send_attachment` (see `form::single_upload`).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn attach_file(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, body: web::Payload) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::form::single_upload(&state, ctx.account_id, req, body).await?))
}
