//! `/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages`: those
//! who may see the conversation list, schedule, change and delete its scheduled messages
//! (JSON, or a multipart form with one `attachment`). The work, and the sending at
//! `scheduled_at`, are `switchboard_core::scheduled`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::scheduled::{self, ScheduledInput};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_domain::ValidationError;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Payload};
use crate::form::{discard_on_error, message_body};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledPayload {
    #[serde(default, deserialize_with = "nullable")]
    content: Option<Option<String>>,
    scheduled_at: Option<Value>,
    status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    template_params: Option<Option<Value>>,
    recurrence: Option<Value>,
    cancel_on_reply: Option<Value>,
}
impl Payload for ScheduledPayload {
    const WRAPPER: Option<&'static str> = Some("scheduled_message");
}

/// Form fields are text: a JSON object may come as its text, a boolean as "true".
fn json_field(v: Value) -> Value {
    match v {
        Value::String(s) if s.trim_start().starts_with('{') => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => other,
    }
}

fn input(p: ScheduledPayload, file: Option<switchboard_core::messages::StoredFile>) -> ApiResult<ScheduledInput> {
    let cancel_on_reply = match p.cancel_on_reply {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if matches!(s.trim(), "true" | "false") => Some(s.trim() == "true"),
        Some(_) => return Err(ValidationError::invalid("cancel_on_reply", "must be true or false").into()),
    };
    Ok(ScheduledInput {
        content: p.content,
        scheduled_at: p.scheduled_at,
        status: p.status,
        template_params: p.template_params.map(|t| t.map(json_field)),
        recurrence: p.recurrence.map(json_field),
        cancel_on_reply,
        file,
    })
}

fn ids(path: &(String, String, String)) -> ApiResult<(i64, i64)> {
    Ok((path_id(&path.1)?, path_id(&path.2)?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let list = scheduled::list(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(views::Payload { payload: list }))
}

/// Reads the body (JSON or a form with one file) and saves.
async fn save(
    state: &AppState,
    ctx: &AccountCtx,
    display_id: i64,
    id: Option<i64>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<switchboard_core::views::ScheduledMessage> {
    let mut uploads = Vec::new();
    let result = async {
        let payload = message_body::<ScheduledPayload>(state, ctx.account_id, req, body, &mut uploads).await?;
        if uploads.len() > 1 {
            return Err(ValidationError::invalid("attachment", "one file per scheduled message").into());
        }
        let file = uploads.first().map(|u| u.stored(false));
        Ok(scheduled::save(state, &ctx.actor(), display_id, id, input(payload, file)?).await?)
    }
    .await;
    discard_on_error(state, &result, &uploads).await;
    result
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(save(&state, &ctx, path_id(&path.1)?, None, req, body).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let (display_id, id) = ids(&path)?;
    Ok(HttpResponse::Ok().json(save(&state, &ctx, display_id, Some(id), req, body).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let (display_id, id) = ids(&path)?;
    Ok(HttpResponse::Ok().json(scheduled::delete(&state, &ctx.actor(), display_id, id).await?))
}
