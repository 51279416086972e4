//! `/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use switchboard_store::messages::Cursor;

use super::{ok, path_id};
use crate::auth::{AccountCtx, ActingCtx};
use crate::error::ApiResult;
use crate::extract::{Params, Payload};
use switchboard_core::messages::StoredFile;
use switchboard_core::state::AppState;
use switchboard_core::views;

pub use switchboard_domain::messages::MAX_ATTACHMENTS;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    let cursor = match (params.int("before"), params.int("after")) {
        (Some(before), _) if before > 0 => Cursor::Before(before),
        (_, Some(after)) if after >= 0 => Cursor::After(after),
        _ => Cursor::Latest,
    };
    let mut conn = state.conn().await?;
    let c = crate::lookup::conversation(&mut conn, &ctx, &path.1).await?;
    let list = switchboard_store::messages::list(&mut conn, c.id, cursor).await?;
    let (payload, contact) = switchboard_core::present::messages(&state, &mut conn, &c, &list).await?;
    let assignee = match c.assignee_id {
        Some(id) => switchboard_store::account_users::find(&mut conn, ctx.account_id, id).await?.map(|a| views::agent(&a)),
        None => None,
    };
    let ts = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.timestamp());
    let meta = views::MessagesMeta {
        labels: c.labels.clone(),
        additional_attributes: c.additional_attributes.clone(),
        contact: views::contact_sender(&contact),
        assignee,
        agent_last_seen_at: ts(c.agent_last_seen_at),
        assignee_last_seen_at: ts(c.assignee_last_seen_at),
    };
    Ok(ok(views::Page { meta, payload }))
}

#[derive(Deserialize)]
pub struct CreatePayload {
    content: Option<String>,
    #[serde(default)]
    message_type: Option<Value>,
    #[serde(default)]
    private: bool,
    content_type: Option<String>,
    content_attributes: Option<Value>,
    echo_id: Option<String>,
    in_reply_to: Option<i64>,
    /// A WhatsApp template to send (name, language, parameters); kept with the message for the
    /// channel to use, as the reference keeps it in additional_attributes.
    template_params: Option<Value>,
    /// Voice notes recorded in the dashboard: `true` for every audio file of the message, or the
    /// names of those that are.
    is_recorded_audio: Option<Value>,
    /// The message is this canned response, its variables rendered for the conversation.
    canned_response_id: Option<i64>,
}
impl Payload for CreatePayload {
    const WRAPPER: Option<&'static str> = Some("message");
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: ActingCtx,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut uploads = Vec::new();
    let result = match crate::form::message_body::<CreatePayload>(&state, ctx.account_id, req, payload, &mut uploads).await {
        Ok(body) => create_message(&state, &ctx, &path.1, body, &uploads).await,
        Err(e) => Err(e),
    };
    crate::form::discard_on_error(&state, &result, &uploads).await;
    result
}

async fn create_message(
    state: &AppState,
    ctx: &ActingCtx,
    raw_id: &str,
    body: CreatePayload,
    uploads: &[crate::form::Upload],
) -> ApiResult<HttpResponse> {
    let display_id = path_id(raw_id)?;
    let content = match body.canned_response_id {
        Some(id) => Some(switchboard_core::canned::rendered_in(state, &ctx.actor(), display_id, id).await?),
        None => body.content,
    };
    let draft = switchboard_domain::messages::draft(switchboard_domain::messages::Raw {
        content,
        message_type: body.message_type,
        private: body.private,
        content_type: body.content_type,
        content_attributes: body.content_attributes,
        in_reply_to: body.in_reply_to,
        template_params: body.template_params,
        files: uploads.len(),
    })?;
    let recorded = |name: &str| match &body.is_recorded_audio {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == name,
        Some(Value::Array(names)) => names.iter().any(|n| n.as_str() == Some(name)),
        _ => false,
    };
    let files: Vec<StoredFile> = uploads.iter().map(|u| u.stored(recorded(&u.file_name))).collect();
    let created = switchboard_core::messages::create(state, &ctx.actor(), display_id, draft, body.echo_id, &files).await?;
    Ok(ok(created))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let (display_id, message_id) = (path_id(&path.1)?, path_id(&path.2)?);
    Ok(ok(switchboard_core::messages::delete(&state, &ctx.actor(), display_id, message_id).await?))
}
