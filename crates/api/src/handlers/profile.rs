//! `GET/PUT /api/v1/profile`: the signed-in user.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::text::{optional_text, required_name, NAME_MAX};
use switchboard_domain::users::{Availability, Email, Password};
use switchboard_domain::ValidationError;
use switchboard_store::models::UserChanges;

use super::{object, ok};
use crate::auth::{hash_password, random_token, verify_password, Credential, CurrentUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, IdLike, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(user_id = current.user.id))]
pub async fn show(state: web::Data<AppState>, current: CurrentUser) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let memberships = switchboard_store::users::memberships(&mut conn, current.user.id).await?;
    Ok(ok(views::user(&current.user, &memberships)))
}

#[derive(Deserialize)]
pub struct ProfileUpdate {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    display_name: Option<Option<String>>,
    email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    message_signature: Option<Option<String>>,
    password: Option<String>,
    password_confirmation: Option<String>,
    current_password: Option<String>,
    ui_settings: Option<Value>,
    availability: Option<String>,
    account_id: Option<IdLike>,
}
impl Payload for ProfileUpdate {
    const WRAPPER: Option<&'static str> = Some("profile");
}

#[tracing::instrument(skip_all, fields(user_id = current.user.id))]
pub async fn update(state: web::Data<AppState>, current: CurrentUser, Body(body): Body<ProfileUpdate>) -> ApiResult<HttpResponse> {
    let user = &current.user;
    let email = body.email.as_deref().map(|e| Email::parse("email", e).map(Email::into_inner)).transpose()?;
    // A new email is a new way to sign in (and to reset the password): like a new password, it
    // needs the current one, unless none was ever set.
    let email_changes = email.as_deref().is_some_and(|e| e != user.email);
    if (body.password.is_some() || email_changes) && user.password_hash.is_some() {
        let current_pw = body.current_password.clone().unwrap_or_default();
        if !verify_password(current_pw, user.password_hash.clone()).await? {
            return Err(ValidationError::invalid("current_password", "is invalid").into());
        }
    }
    let password_hash = match body.password.as_deref() {
        None => None,
        Some(raw) => {
            let password = Password::parse("password", raw)?;
            if body.password_confirmation.as_deref().is_some_and(|c| c != raw) {
                return Err(ValidationError::new("password_confirmation", "confirmation", "doesn't match password").into());
            }
            Some(Some(hash_password(password.expose().to_string()).await?))
        }
    };
    let changes = UserChanges {
        name: body.name.as_deref().map(|n| required_name("name", n)).transpose()?,
        display_name: body.display_name.map(|d| optional_text("display_name", d.as_deref(), NAME_MAX)).transpose()?,
        email,
        message_signature: body.message_signature.map(|d| optional_text("message_signature", d.as_deref(), 10_000)).transpose()?,
        ui_settings: body.ui_settings.map(|v| object("ui_settings", v)).transpose()?,
        // A new password also replaces the socket credential, so open sockets lose access.
        pubsub_token: password_hash.is_some().then(|| random_token(16)),
        password_hash,
        ..Default::default()
    };
    let availability = body.availability.as_deref().map(|a| Availability::parse("availability", a)).transpose()?;

    let availability = match availability {
        Some(a) => Some((body.account_id.ok_or_else(|| ApiError::Invalid(ValidationError::blank("account_id")))?.0, a)),
        None => None,
    };
    // Other dashboards signed in with the old password are signed out; this one stays.
    let keep = match current.credential {
        Credential::Session(id) => Some(id),
        Credential::ApiToken => None,
    };
    let updated = switchboard_core::users::update(&state, user.id, &changes, keep, availability).await?;
    let mut conn = state.conn().await?;
    let memberships = switchboard_store::users::memberships(&mut conn, user.id).await?;
    Ok(ok(views::user(&updated, &memberships)))
}
