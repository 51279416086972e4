//! `/platform/api/v1/users`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::text::{optional_text, required_name, NAME_MAX};
use switchboard_domain::users::{Email, Password};
use switchboard_store::models::{User, UserChanges};
use switchboard_store::platform::Permissible;

use super::{ok, path_id};
use crate::auth::{hash_password, random_token, PlatformCtx};
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::users::NewUserInput;
use switchboard_core::views;

#[derive(Deserialize)]
pub struct UserPayload {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    display_name: Option<Option<String>>,
    email: Option<String>,
    password: Option<String>,
    custom_attributes: Option<Value>,
}
impl Payload for UserPayload {
    const WRAPPER: Option<&'static str> = Some("user");
}

async fn render(state: &AppState, user: &User) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let memberships = switchboard_store::users::memberships(&mut conn, user.id).await?;
    Ok(ok(views::user(user, &memberships)))
}

#[tracing::instrument(skip_all)]
pub async fn create(state: web::Data<AppState>, ctx: PlatformCtx, Body(body): Body<UserPayload>) -> ApiResult<HttpResponse> {
    let name = required_name("name", body.name.as_deref().unwrap_or_default())?;
    let email = Email::parse("email", body.email.as_deref().unwrap_or_default())?;
    let password = body.password.as_deref().map(|p| Password::parse("password", p)).transpose()?;
    let input = NewUserInput {
        name,
        display_name: body
            .display_name
            .flatten()
            .as_deref()
            .map(|d| optional_text("display_name", Some(d), NAME_MAX))
            .transpose()?
            .flatten(),
        email,
        password,
        custom_attributes: body
            .custom_attributes
            .map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v))
            .transpose()?
            .unwrap_or_else(|| json!({})),
    };
    let user = switchboard_core::users::create_for_app(&state, ctx.app.id, input).await?;
    render(&state, &user).await
}

async fn permitted_user(state: &AppState, ctx: &PlatformCtx, raw_id: &str) -> ApiResult<User> {
    let id = path_id(raw_id)?;
    ctx.require(state, Permissible::User(id)).await?;
    let mut conn = state.conn().await?;
    Ok(switchboard_store::users::find(&mut conn, id).await?)
}

#[tracing::instrument(skip_all)]
pub async fn show(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = permitted_user(&state, &ctx, &path).await?;
    render(&state, &user).await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    ctx: PlatformCtx,
    path: web::Path<String>,
    Body(body): Body<UserPayload>,
) -> ApiResult<HttpResponse> {
    let user = permitted_user(&state, &ctx, &path).await?;
    let password_hash = match body.password.as_deref() {
        Some(p) => Some(Some(hash_password(Password::parse("password", p)?.expose().to_string()).await?)),
        None => None,
    };
    let changes = UserChanges {
        name: body.name.as_deref().map(|n| required_name("name", n)).transpose()?,
        display_name: body.display_name.map(|d| optional_text("display_name", d.as_deref(), NAME_MAX)).transpose()?,
        email: body.email.as_deref().map(|e| Email::parse("email", e).map(Email::into_inner)).transpose()?,
        pubsub_token: password_hash.is_some().then(|| random_token(16)),
        password_hash,
        custom_attributes: body
            .custom_attributes
            .map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v))
            .transpose()?,
        ..Default::default()
    };
    let updated = switchboard_core::users::update(&state, user.id, &changes, None, None).await?;
    render(&state, &updated).await
}

#[tracing::instrument(skip_all)]
pub async fn delete(state: web::Data<AppState>, ctx: PlatformCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = permitted_user(&state, &ctx, &path).await?;
    switchboard_core::users::delete(&state, user.id).await?;
    Ok(ok(views::Empty {}))
}
