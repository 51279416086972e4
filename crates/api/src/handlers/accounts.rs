//! `GET/PATCH /api/v1/accounts/{account_id}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::text::{optional_text, required_name};
use switchboard_domain::ValidationError;
use switchboard_store::models::AccountChanges;

use super::ok;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let account = switchboard_store::accounts::find(&mut conn, ctx.account_id).await?;
    Ok(ok(views::account(&account)))
}

#[derive(Deserialize)]
pub struct AccountUpdate {
    name: Option<String>,
    locale: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    support_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    auto_resolve_after: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    auto_resolve_message: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    auto_resolve_ignore_waiting: Option<Option<bool>>,
    industry: Option<String>,
    company_size: Option<String>,
    timezone: Option<String>,
    /// How integrators name the account (`api-login`, `Slug`); `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    slug: Option<Option<String>>,
}
impl Payload for AccountUpdate {
    const WRAPPER: Option<&'static str> = Some("account");
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<AccountUpdate>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    if let Some(Some(minutes)) = body.auto_resolve_after {
        if !(10..=1_439_856).contains(&minutes) {
            return Err(ValidationError::invalid("auto_resolve_after", "must be between 10 and 1439856 minutes").into());
        }
    }
    let changes = AccountChanges {
        name: body.name.as_deref().map(|n| required_name("name", n)).transpose()?,
        locale: body.locale.as_deref().map(|l| required_name("locale", l)).transpose()?,
        domain: body.domain.map(|d| optional_text("domain", d.as_deref(), 255)).transpose()?,
        support_email: body.support_email.map(|d| optional_text("support_email", d.as_deref(), 255)).transpose()?,
        slug: body.slug.map(|s| s.as_deref().map(|s| switchboard_domain::text::slug("slug", s)).transpose()).transpose()?,
        ..Default::default()
    };
    let set = |v: Option<String>| v.map(|v| Some(Value::from(v)));
    let update = switchboard_core::accounts::AccountUpdate {
        changes,
        settings: vec![
            ("auto_resolve_after", body.auto_resolve_after.map(|v| v.map(Value::from))),
            ("auto_resolve_message", body.auto_resolve_message.map(|v| v.map(Value::from))),
            ("auto_resolve_ignore_waiting", body.auto_resolve_ignore_waiting.map(|v| v.map(Value::from))),
        ],
        custom_attributes: vec![
            ("industry", set(body.industry)),
            ("company_size", set(body.company_size)),
            ("timezone", set(body.timezone)),
        ],
    };
    let account = switchboard_core::accounts::update(&state, &ctx.actor(), update).await?;
    Ok(ok(views::account(&account)))
}
