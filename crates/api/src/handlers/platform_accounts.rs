//! `/platform/api/v1/accounts`: provisioning accounts and their members.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::text::{optional_text, required_name};
use switchboard_domain::users::Role;
use switchboard_domain::ValidationError;
use switchboard_store::models::AccountChanges;
use switchboard_store::platform::Permissible;

use super::{object, ok, path_id};
use crate::auth::PlatformCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, IdLike, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[derive(Deserialize, Default)]
pub struct AccountPayload {
    name: Option<String>,
    locale: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    support_email: Option<Option<String>>,
    status: Option<String>,
    limits: Option<Value>,
    custom_attributes: Option<Value>,
}
impl Payload for AccountPayload {
    const WRAPPER: Option<&'static str> = Some("account");
}

impl AccountPayload {
    fn changes(self) -> Result<AccountChanges, ValidationError> {
        let status = match self.status.as_deref().map(str::trim) {
            None => None,
            Some(s @ ("active" | "suspended")) => Some(s.to_string()),
            Some(_) => return Err(ValidationError::new("status", "inclusion", "must be active or suspended")),
        };
        Ok(AccountChanges {
            name: self.name.as_deref().map(|n| required_name("name", n)).transpose()?,
            locale: self.locale.as_deref().map(|l| required_name("locale", l)).transpose()?,
            domain: self.domain.map(|d| optional_text("domain", d.as_deref(), 255)).transpose()?,
            support_email: self.support_email.map(|d| optional_text("support_email", d.as_deref(), 255)).transpose()?,
            status,
            limits: self.limits.map(|v| object("limits", v)).transpose()?,
            custom_attributes: self
                .custom_attributes
                .map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v))
                .transpose()?,
            settings: None,
            slug: None,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn create(state: web::Data<AppState>, ctx: PlatformCtx, Body(body): Body<AccountPayload>) -> ApiResult<HttpResponse> {
    if body.name.is_none() {
        return Err(ValidationError::blank("name").into());
    }
    let changes = body.changes()?;
    let account = switchboard_core::accounts::create_for_app(&state, ctx.app.id, &changes).await?;
    Ok(ok(views::platform_account(&account)))
}

/// Loads an account this app may manage; anything else is 404.
async fn permitted_account(state: &AppState, ctx: &PlatformCtx, raw_id: &str) -> ApiResult<switchboard_store::models::Account> {
    let id = path_id(raw_id)?;
    ctx.require(state, Permissible::Account(id)).await?;
    let mut conn = state.conn().await?;
    Ok(switchboard_store::accounts::find(&mut conn, id).await?)
}

#[tracing::instrument(skip_all)]
pub async fn show(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let account = permitted_account(&state, &ctx, &path).await?;
    Ok(ok(views::platform_account(&account)))
}

#[tracing::instrument(skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    ctx: PlatformCtx,
    path: web::Path<String>,
    Body(body): Body<AccountPayload>,
) -> ApiResult<HttpResponse> {
    let account = permitted_account(&state, &ctx, &path).await?;
    let changes = body.changes()?;
    let account = switchboard_core::accounts::update_for_app(&state, account.id, &changes).await?;
    Ok(ok(views::platform_account(&account)))
}

#[tracing::instrument(skip_all)]
pub async fn delete(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let account = permitted_account(&state, &ctx, &path).await?;
    switchboard_core::accounts::delete_for_app(&state, account.id).await?;
    Ok(ok(views::Empty {}))
}

#[tracing::instrument(skip_all)]
pub async fn list_users(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let account = permitted_account(&state, &ctx, &path).await?;
    let mut conn = state.conn().await?;
    let members = switchboard_store::account_users::list_raw(&mut conn, account.id).await?;
    Ok(ok(members.iter().map(views::account_user).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
pub struct AccountUserPayload {
    user_id: IdLike,
    #[serde(default)]
    role: Option<String>,
}
impl Payload for AccountUserPayload {
    const WRAPPER: Option<&'static str> = Some("account_user");
}

#[tracing::instrument(skip_all)]
pub async fn add_user(
    state: web::Data<AppState>,
    ctx: PlatformCtx,
    path: web::Path<String>,
    Body(body): Body<AccountUserPayload>,
) -> ApiResult<HttpResponse> {
    let account = permitted_account(&state, &ctx, &path).await?;
    let role = Role::parse("role", body.role.as_deref().unwrap_or_default())?;
    let unknown = || ApiError::Invalid(ValidationError::invalid("user_id", "does not exist"));
    // An app attaches only users it created: anyone else's is as unknown as a missing one.
    ctx.require(&state, Permissible::User(body.user_id.0)).await.map_err(|_| unknown())?;
    Ok(ok(switchboard_core::users::attach(&state, account.id, body.user_id.0, role).await?))
}

#[derive(Deserialize)]
pub struct RemoveUserPayload {
    user_id: IdLike,
}
impl Payload for RemoveUserPayload {
    const WRAPPER: Option<&'static str> = Some("account_user");
}

#[tracing::instrument(skip_all)]
pub async fn remove_user(
    state: web::Data<AppState>,
    ctx: PlatformCtx,
    path: web::Path<String>,
    Body(body): Body<RemoveUserPayload>,
) -> ApiResult<HttpResponse> {
    let account = permitted_account(&state, &ctx, &path).await?;
    switchboard_core::users::detach(&state, account.id, body.user_id.0).await?;
    Ok(ok(views::Empty {}))
}
