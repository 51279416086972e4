//! The WhatsApp webhook (every provider's, read by the inbox's channel), and the template
//! endpoints of WhatsApp inboxes.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::text::required_name;
use switchboard_domain::ValidationError;
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::Inbox;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{read_limited, Body, Params, Payload};
use switchboard_core::channel::templates::{sync_templates, NewTemplate};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_domain::whatsapp_analytics::Asked;

/// `POST /webhooks/whatsapp/{token}`. Answers 200 only once everything in the delivery is
/// committed; any failure is a 4xx (the delivery is wrong) or a 503 (try again later).
#[tracing::instrument(skip_all)]
pub async fn webhook(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // The body first: a pooled connection is not held while a slow client uploads.
    let declared = req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let bytes = read_limited(payload.into_inner(), declared, state.settings.max_body_bytes).await?;
    let inbox = state.webhook_inboxes.get(&state.db, &path).await?.ok_or(ApiError::NotFound)?;
    let mut body: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    switchboard_domain::text::without_nul(&mut body);
    switchboard_core::channel::receive(&state, &inbox, &body).await?;
    Ok(ok(views::Health { status: "ok", database: None }))
}

/// A WhatsApp inbox of the account the caller administers.
async fn whatsapp_inbox(state: &AppState, ctx: &AccountCtx, raw_id: &str) -> ApiResult<(switchboard_store::Conn, Inbox)> {
    let id = path_id(raw_id)?;
    let mut conn = state.conn().await?;
    let inbox = crate::lookup::inbox(&mut conn, ctx, id, ctx.inbox_visibility()).await?;
    ctx.require_admin()?;
    if inbox.channel_type != ChannelType::Whatsapp {
        return Err(ValidationError::invalid("inbox", "is not a WhatsApp inbox").into());
    }
    Ok((conn, inbox))
}

/// `POST …/inboxes/{id}/sync_templates`: fetch the templates from the BSP now.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn sync(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (mut conn, inbox) = whatsapp_inbox(&state, &ctx, &path.1).await?;
    sync_templates(&state, &mut conn, &inbox).await?;
    let inbox = crate::lookup::inbox(&mut conn, &ctx, inbox.id, Visibility::All).await?;
    Ok(ok(switchboard_core::present::inbox(&state, &mut conn, &inbox, true).await?))
}

/// `GET …/inboxes/{id}/whatsapp_analytics?start=&end=&granularity=`: the BSP's conversation
/// analytics of the inbox's number, normalized. Parameters are lenient (see
/// `domain::whatsapp_analytics::Query::lenient`); filters take `a,b` or repeated values.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn analytics(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    let (conn, inbox) = whatsapp_inbox(&state, &ctx, &path.1).await?;
    // No connection is held while the BSP answers.
    drop(conn);
    let [countries, types, directions] =
        ["country_codes", "conversation_types", "conversation_directions"].map(|k| params.list(k).join(","));
    let asked = Asked {
        start: params.str("start"),
        end: params.str("end"),
        granularity: params.str("granularity"),
        country_codes: Some(&countries),
        conversation_types: Some(&types),
        conversation_directions: Some(&directions),
    };
    let report = switchboard_core::whatsapp_analytics::report(&state, &inbox, &asked, chrono::Utc::now()).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET …/inboxes/{id}/message_templates`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (mut conn, inbox) = whatsapp_inbox(&state, &ctx, &path.1).await?;
    let templates = switchboard_store::whatsapp::templates_of(&mut conn, &[inbox.id]).await?;
    Ok(ok(views::Payload { payload: templates.iter().map(views::message_template).collect::<Vec<_>>() }))
}

#[derive(Deserialize)]
pub struct TemplatePayload {
    name: Option<String>,
    category: Option<String>,
    language: Option<String>,
    components: Option<Vec<Value>>,
}
impl Payload for TemplatePayload {
    const WRAPPER: Option<&'static str> = None;
}

/// `POST …/inboxes/{id}/message_templates`: submitted to the inbox's provider, then kept here
/// as pending until its status webhook arrives.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<TemplatePayload>,
) -> ApiResult<HttpResponse> {
    let name = required_name("name", body.name.as_deref().unwrap_or_default())?;
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(ValidationError::invalid("name", "may only contain lowercase letters, digits and '_'").into());
    }
    let category = required_name("category", body.category.as_deref().unwrap_or_default())?.to_uppercase();
    let language = required_name("language", body.language.as_deref().unwrap_or_default())?;
    let components = body.components.filter(|c| !c.is_empty()).ok_or_else(|| ValidationError::blank("components"))?;
    if !components.iter().any(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("BODY"))) {
        return Err(ValidationError::invalid("components", "needs a BODY component").into());
    }
    let (conn, inbox) = whatsapp_inbox(&state, &ctx, &path.1).await?;
    // No connection is held while the provider answers.
    drop(conn);
    let template = NewTemplate { name, category, language, components };
    let stored = switchboard_core::channel::templates::create_template(&state, &inbox, template).await?;
    Ok(ok(views::message_template(&stored)))
}

/// `DELETE …/inboxes/{id}/message_templates/{name}`: deleted at the inbox's provider (every
/// language of the name), then here.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let (conn, inbox) = whatsapp_inbox(&state, &ctx, &path.1).await?;
    drop(conn);
    switchboard_core::channel::templates::delete_template(&state, &inbox, path.2.trim()).await?;
    Ok(ok(views::Said { message: "Template deleted" }))
}
