//! `/api/v1/accounts/{account_id}/agents`: the account's members.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use switchboard_domain::text::required_name;
use switchboard_domain::users::{Availability, Email, Password, Role};
use switchboard_domain::ValidationError;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::users::NewUserInput;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let agents = switchboard_store::account_users::list(&mut conn, ctx.account_id).await?;
    Ok(ok(views::agents(&agents)))
}

#[derive(Deserialize)]
pub struct AgentCreate {
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    availability_status: Option<String>,
    availability: Option<String>,
    auto_offline: Option<bool>,
    /// Not in the reference (which emails an invitation); lets a self-hosted admin hand out a
    /// first password directly.
    password: Option<String>,
}
impl Payload for AgentCreate {
    const WRAPPER: Option<&'static str> = Some("agent");
}

fn availability(status: Option<&str>, legacy: Option<&str>) -> Result<Option<Availability>, ValidationError> {
    match (status, legacy) {
        (Some(s), _) => Availability::parse("availability_status", s).map(Some),
        (None, Some(a)) => Availability::parse("availability", a).map(Some),
        (None, None) => Ok(None),
    }
}

/// Adds a member; an existing user (by email) joins the account, otherwise the user is created.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<AgentCreate>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let name = required_name("name", body.name.as_deref().unwrap_or_default())?;
    let email = Email::parse("email", body.email.as_deref().unwrap_or_default())?;
    let role = Role::parse("role", body.role.as_deref().unwrap_or_default())?;
    let availability = availability(body.availability_status.as_deref(), body.availability.as_deref())?.unwrap_or(Availability::Online);
    let password = body.password.as_deref().map(|p| Password::parse("password", p)).transpose()?;

    let input = NewUserInput { name, display_name: None, email, password, custom_attributes: json!({}) };
    let auto_offline = body.auto_offline.unwrap_or(true);
    Ok(ok(switchboard_core::agents::add(&state, &ctx.actor(), input, role, availability, auto_offline).await?))
}

#[derive(Deserialize)]
pub struct AgentUpdate {
    role: Option<String>,
    availability_status: Option<String>,
    availability: Option<String>,
    auto_offline: Option<bool>,
}
impl Payload for AgentUpdate {
    const WRAPPER: Option<&'static str> = Some("agent");
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<AgentUpdate>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let user_id = path_id(&path.1)?;
    let role = body.role.as_deref().map(|r| Role::parse("role", r)).transpose()?;
    let availability = availability(body.availability_status.as_deref(), body.availability.as_deref())?;

    let agent = switchboard_core::agents::update(&state, &ctx.actor(), user_id, role, availability, body.auto_offline).await?;
    Ok(ok(agent))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let user_id = path_id(&path.1)?;
    switchboard_core::agents::remove(&state, &ctx.actor(), user_id).await?;
    Ok(ok(views::Empty {}))
}
