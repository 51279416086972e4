//! Dashboard sign-in, as devise_token_auth answers it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use switchboard_domain::ValidationError;

use crate::auth::{token_digest, verify_password, Credential, CurrentUser};
use crate::client_ip::client_ip;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[derive(Deserialize)]
pub struct SignIn {
    email: String,
    password: String,
}
impl Payload for SignIn {}

/// Failures are counted per (email, address), per address and per email, each with its limit.
fn throttle_keys(state: &AppState, email: &str, req: &HttpRequest) -> [(String, u32); 3] {
    // Emails are hashed so the keys in Redis reveal nobody's address.
    let email = token_digest(&email.trim().to_lowercase());
    let ip = client_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into());
    let limits = &state.settings.signin;
    [
        (format!("switchboard:signin:email-ip:{email}:{ip}"), limits.per_email_ip),
        (format!("switchboard:signin:ip:{ip}"), limits.per_ip),
        (format!("switchboard:signin:email:{email}"), limits.per_email),
    ]
}

#[tracing::instrument(skip_all)]
pub async fn sign_in(state: web::Data<AppState>, req: HttpRequest, Body(body): Body<SignIn>) -> ApiResult<HttpResponse> {
    if body.email.trim().is_empty() {
        return Err(ValidationError::blank("email").into());
    }
    let keys = throttle_keys(&state, &body.email, &req);
    let throttle = &state.throttle;
    for (key, limit) in &keys {
        if throttle.count(key).await >= *limit {
            tracing::warn!("sign-in throttled");
            return Err(ApiError::TooManyRequests { retry_after_secs: throttle.window().as_secs() });
        }
    }

    let mut conn = state.conn().await?;
    let user = switchboard_store::users::find_by_email(&mut conn, &body.email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let valid = verify_password(body.password, hash).await?;
    let address = client_ip(&req, &state.settings.trusted_proxies).map(|ip| ip.to_string());
    let Some(user) = user.clone().filter(|_| valid) else {
        for (key, _) in &keys {
            throttle.record_failure(key).await;
        }
        // A known user's accounts keep the failed attempt (an unknown email has no account).
        if let Some(known) = &user {
            switchboard_core::audit::sign_in(&mut conn, known, address, false).await?;
        }
        return Err(ApiError::InvalidCredentials);
    };
    // A success ends this address's run of failures for the email.
    throttle.clear(&keys[0].0).await;

    let session = switchboard_core::users::start_session(&state, &user, address).await?;
    let memberships = switchboard_store::users::memberships(&mut conn, user.id).await?;

    Ok(HttpResponse::Ok()
        .insert_header(("access-token", session.token))
        .insert_header(("token-type", "Bearer"))
        .insert_header(("client", session.client))
        .insert_header(("expiry", session.expires_at.timestamp().to_string()))
        .insert_header(("uid", user.email.clone()))
        .json(views::Data { data: views::user(&user, &memberships) }))
}

/// Ends the session whose headers came with the request (an API token has no session to end).
#[tracing::instrument(skip_all)]
pub async fn sign_out(state: web::Data<AppState>, current: CurrentUser) -> ApiResult<HttpResponse> {
    let Credential::Session(session_id) = current.credential else {
        return Ok(
            HttpResponse::NotFound().json(views::Success { success: false, errors: vec!["User was not found or was not logged in."] })
        );
    };
    switchboard_core::users::end_session(&state, session_id).await?;
    Ok(HttpResponse::Ok().json(views::Success { success: true, errors: vec![] }))
}
