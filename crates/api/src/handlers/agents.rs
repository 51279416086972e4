//! `/api/v1/accounts/{account_id}/agents`: the account's members.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::text::required_name;
use switchboard_domain::users::{Availability, Email, Password, Role};
use switchboard_domain::ValidationError;
use switchboard_store::models::NewAccountUser;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::users::{create_user, NewUserInput};
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let agents = switchboard_store::account_users::list(&mut conn, ctx.account_id).await?;
    Ok(ok(Value::Array(views::agents(&agents))))
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

    let mut conn = state.conn().await?;
    let user = match switchboard_store::users::find_by_email(&mut conn, email.as_str()).await? {
        Some(user) => user,
        None => {
            let input = NewUserInput { name, display_name: None, email, password, custom_attributes: json!({}) };
            create_user(&mut conn, input).await?
        }
    };
    let member = NewAccountUser {
        account_id: ctx.account_id,
        user_id: user.id,
        role: role.as_str().into(),
        availability: availability.as_str().into(),
        auto_offline: body.auto_offline.unwrap_or(true),
        inviter_id: Some(ctx.user.id),
    };
    let member = switchboard_store::account_users::add(&mut conn, &member).await.map_err(|e| match e {
        switchboard_store::StoreError::Conflict { .. } => ApiError::Invalid(ValidationError::taken("email")),
        other => other.into(),
    })?;
    Ok(ok(views::agent(&switchboard_store::models::Agent { user, member })))
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
    Ok(ok(json!({})))
}
