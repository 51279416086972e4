//! `/api/v1/accounts/{account_id}/automation_rules` (administrators): CRUD, `clone`, the
//! rule's recorded runs, and `attach_file` for `send_attachment` actions. Rules run from the
//! event log (`switchboard_core::automation`), never from these handlers.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::automation::{self, RuleInput};
use switchboard_core::state::AppState;
use switchboard_core::views;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Params, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulePayload {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    event_name: Option<String>,
    conditions: Option<Value>,
    actions: Option<Value>,
    active: Option<bool>,
}
impl Payload for RulePayload {
    const WRAPPER: Option<&'static str> = Some("automation_rule");
}

impl From<RulePayload> for RuleInput {
    fn from(p: RulePayload) -> Self {
        Self {
            name: p.name,
            description: p.description,
            event_name: p.event_name,
            conditions: p.conditions,
            actions: p.actions,
            active: p.active,
        }
    }
}

fn payload<T: serde::Serialize>(v: T) -> HttpResponse {
    HttpResponse::Ok().json(views::Payload { payload: v })
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(payload(automation::list(&state, ctx.account_id).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(payload(automation::show(&state, ctx.account_id, path_id(&path.1)?).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<RulePayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(payload(automation::save(&state, &ctx.actor(), None, body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<RulePayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = Some(path_id(&path.1)?);
    Ok(payload(automation::save(&state, &ctx.actor(), id, body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    automation::delete(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(views::Empty {}))
}

/// `POST …/automation_rules/{id}/clone`: a copy named "… (copy)".
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn clone(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(payload(automation::clone(&state, &ctx.actor(), path_id(&path.1)?).await?))
}

/// `GET …/automation_rules/{id}/runs?page=`: what the rule did, newest first.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn runs(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(automation::runs(&state, ctx.account_id, path_id(&path.1)?, params.page()).await?))
}

/// `POST …/automation_rules/attach_file`: a multipart `attachment`, stored for
/// `send_attachment` actions (see `form::single_upload`).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn attach_file(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, body: web::Payload) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(crate::form::single_upload(&state, ctx.account_id, req, body).await?))
}
