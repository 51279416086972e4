//! Dashboard sign-in, as devise_token_auth answers it.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use switchboard_domain::ValidationError;

use crate::auth::{random_token, token_digest, verify_password, Credential, CurrentUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Payload};
use crate::state::AppState;
use crate::views;

#[derive(Deserialize)]
pub struct SignIn {
    email: String,
    password: String,
}
impl Payload for SignIn {}

fn throttle_keys(email: &str, req: &HttpRequest) -> (String, String) {
    // Emails are hashed so the keys in Redis reveal nobody's address.
    let email_key = format!("switchboard:signin:email:{}", token_digest(&email.trim().to_lowercase()));
    let ip = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    (email_key, format!("switchboard:signin:ip:{ip}"))
}

#[tracing::instrument(skip_all)]
pub async fn sign_in(state: web::Data<AppState>, req: HttpRequest, Body(body): Body<SignIn>) -> ApiResult<HttpResponse> {
    if body.email.trim().is_empty() {
        return Err(ValidationError::blank("email").into());
    }
    let limits = &state.settings.signin;
    let (email_key, ip_key) = throttle_keys(&body.email, &req);
    let throttle = &state.throttle;
    if throttle.count(&email_key).await >= limits.per_email || throttle.count(&ip_key).await >= limits.per_ip {
        tracing::warn!("sign-in throttled");
        return Err(ApiError::TooManyRequests { retry_after_secs: throttle.window().as_secs() });
    }

    let mut conn = state.conn().await?;
    let user = switchboard_store::users::find_by_email(&mut conn, &body.email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let valid = verify_password(body.password, hash).await?;
    let Some(user) = user.filter(|_| valid) else {
        throttle.record_failure(&email_key).await;
        throttle.record_failure(&ip_key).await;
        return Err(ApiError::InvalidCredentials);
    };
    throttle.clear(&email_key).await;

    let client = random_token(16);
    let token = random_token(32);
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).map_err(ApiError::internal)?;
    let expires_at = Utc::now() + ttl;
    switchboard_store::users::create_session(&mut conn, user.id, &client, &token_digest(&token), expires_at).await?;
    let memberships = switchboard_store::users::memberships(&mut conn, user.id).await?;

    Ok(HttpResponse::Ok()
        .insert_header(("access-token", token))
        .insert_header(("token-type", "Bearer"))
        .insert_header(("client", client))
        .insert_header(("expiry", expires_at.timestamp().to_string()))
        .insert_header(("uid", user.email.clone()))
        .json(json!({ "data": views::user(&user, &memberships) })))
}

/// Ends the session whose headers came with the request (an API token has no session to end).
#[tracing::instrument(skip_all)]
pub async fn sign_out(state: web::Data<AppState>, current: CurrentUser) -> ApiResult<HttpResponse> {
    let Credential::Session(session_id) = current.credential else {
        return Ok(HttpResponse::NotFound().json(json!({ "success": false, "errors": ["User was not found or was not logged in."] })));
    };
    let mut conn = state.conn().await?;
    switchboard_store::users::delete_session(&mut conn, session_id).await?;
    Ok(HttpResponse::Ok().json(json!({ "success": true })))
}
