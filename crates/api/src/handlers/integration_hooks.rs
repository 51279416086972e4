//! The Integrations tag: `GET …/integrations/apps` (members; hooks' settings for
//! administrators) and `POST/PATCH/DELETE …/integrations/hooks` (administrators). The work is
//! `switchboard_core::integration_apps`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::integration_apps::{self, HookInput};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_domain::ValidationError;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Payload};

/// The webhook app's settings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    subscriptions: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePayload {
    /// The app's id: "webhook" (the reference's apps have string ids).
    app_id: Option<Value>,
    inbox_id: Option<i64>,
    /// 1 (on) or 0 (off); true or false too.
    status: Option<Value>,
    settings: Option<WebhookSettings>,
}
impl Payload for CreatePayload {
    const WRAPPER: Option<&'static str> = Some("hook");
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePayload {
    status: Option<Value>,
    settings: Option<WebhookSettings>,
}
impl Payload for UpdatePayload {
    const WRAPPER: Option<&'static str> = Some("hook");
}

fn status(raw: Option<Value>) -> ApiResult<Option<bool>> {
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(v) if v.as_i64() == Some(1) || v.as_str() == Some("1") => Ok(Some(true)),
        Some(v) if v.as_i64() == Some(0) || v.as_str() == Some("0") => Ok(Some(false)),
        Some(_) => Err(ValidationError::invalid("status", "must be 1 (active) or 0 (inactive)").into()),
    }
}

fn input(settings: Option<WebhookSettings>, status: Option<bool>) -> HookInput {
    let s = settings.unwrap_or_default();
    HookInput { url: s.url, name: s.name, subscriptions: s.subscriptions, status }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn apps(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let apps = integration_apps::apps(&state, ctx.account_id, ctx.role.can_administer()).await?;
    Ok(HttpResponse::Ok().json(views::Payload { payload: apps }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<CreatePayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let app = match body.app_id {
        Some(Value::String(id)) => id,
        Some(Value::Null) | None => return Err(ValidationError::blank("app_id").into()),
        // No app of ours has a numeric id.
        Some(_) => return Err(crate::error::ApiError::NotFound),
    };
    integration_apps::app(&app)?;
    let status = status(body.status)?;
    Ok(HttpResponse::Ok().json(integration_apps::create(&state, &ctx.actor(), body.inbox_id, input(body.settings, status)).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<UpdatePayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    let status = status(body.status)?;
    Ok(HttpResponse::Ok().json(integration_apps::update(&state, &ctx.actor(), id, input(body.settings, status)).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    integration_apps::delete(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().finish())
}
