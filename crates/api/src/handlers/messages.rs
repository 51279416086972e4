//! `/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages`.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::attachments::{real_content_type, SNIFF_BYTES};
use switchboard_domain::ValidationError;
use switchboard_store::messages::Cursor;

use super::conversations::find;
use super::{ok, path_id};
use crate::auth::{AccountCtx, ActingCtx};
use crate::error::{ApiError, ApiResult};
use crate::extract::{is_multipart, json_body, parse_value, Params, Payload};
use switchboard_core::messages::StoredFile;
use switchboard_core::state::AppState;
use switchboard_core::storage::write_chunk;
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
    let c = find(&mut conn, &ctx, &path.1).await?;
    let list = switchboard_store::messages::list(&mut conn, c.id, cursor).await?;
    let (payload, contact) = switchboard_core::present::messages(&state, &mut conn, &c, &list).await?;
    let assignee = match c.assignee_id {
        Some(id) => switchboard_store::account_users::find(&mut conn, ctx.account_id, id).await?.map(|a| views::agent(&a)),
        None => None,
    };
    let ts = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.timestamp());
    Ok(ok(json!({
        "meta": {
            "labels": c.labels,
            "additional_attributes": c.additional_attributes,
            "contact": views::contact_sender(&contact),
            "assignee": assignee,
            "agent_last_seen_at": ts(c.agent_last_seen_at),
            "assignee_last_seen_at": ts(c.assignee_last_seen_at),
        },
        "payload": payload,
    })))
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
}
impl Payload for CreatePayload {
    const WRAPPER: Option<&'static str> = Some("message");
}

/// A file written to storage while the form was read.
struct Upload {
    key: String,
    file_name: String,
    content_type: String,
    size: i64,
}

/// Form fields are text: give the typed ones their JSON type so the body rules stay one.
fn form_value(name: &str, text: String) -> Value {
    match name {
        "private" => json!(matches!(text.trim(), "true" | "1" | "on")),
        "in_reply_to" => text.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(text)),
        "content_attributes" => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        _ => Value::String(text),
    }
}

/// Reads a multipart form: files go to storage as they stream in, other fields become the body.
async fn read_form(state: &AppState, account_id: i64, form: &mut Multipart, uploads: &mut Vec<Upload>) -> ApiResult<Value> {
    let mut fields = serde_json::Map::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
        let raw_name = field.name().unwrap_or_default().to_string();
        // `message[content]` and `content` are the same field.
        let name = raw_name.strip_prefix("message[").and_then(|n| n.strip_suffix(']')).unwrap_or(&raw_name).to_string();
        if name == "attachments[]" || name == "attachments" {
            if uploads.len() == MAX_ATTACHMENTS {
                return Err(ValidationError::invalid("attachments", format!("at most {MAX_ATTACHMENTS} files per message")).into());
            }
            let file_name = field.content_disposition().and_then(|cd| cd.get_filename()).unwrap_or("file").to_string();
            let declared = field.content_type().map(|m| m.essence_str().to_string()).unwrap_or_default();
            let (key, mut file) = state.storage.create(account_id, &file_name).await?;
            uploads.push(Upload { key, file_name, content_type: String::new(), size: 0 });
            let max = state.settings.max_attachment_bytes;
            // The file's beginning decides its type, not the part's declared one.
            let mut head = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("could not read an attachment: {e}")))?;
                let upload = uploads.last_mut().ok_or_else(|| ApiError::internal("upload vanished"))?;
                upload.size += chunk.len() as i64;
                if upload.size as usize > max {
                    return Err(ApiError::PayloadTooLarge(max));
                }
                if head.len() < SNIFF_BYTES {
                    head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len())]);
                }
                write_chunk(&mut file, &chunk).await?;
            }
            if let Some(upload) = uploads.last_mut() {
                upload.content_type = real_content_type(&declared, &head);
            }
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
                if text.len() + chunk.len() > state.settings.max_body_bytes {
                    return Err(ApiError::PayloadTooLarge(state.settings.max_body_bytes));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| ValidationError::invalid(&name, "must be UTF-8 text"))?;
            fields.insert(name.clone(), form_value(&name, text));
        }
    }
    Ok(Value::Object(fields))
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
    let result = if is_multipart(&req) {
        let mut form = Multipart::new(req.headers(), payload);
        match read_form(&state, ctx.account_id, &mut form, &mut uploads).await {
            Ok(value) => match parse_value::<CreatePayload>(value) {
                Ok(body) => create_message(&state, &ctx, &path.1, body, &uploads).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    } else {
        match json_body::<CreatePayload>(&req, payload, state.settings.max_body_bytes).await {
            Ok(body) => create_message(&state, &ctx, &path.1, body, &uploads).await,
            Err(e) => Err(e),
        }
    };
    if result.is_err() {
        // Nothing was committed: the files have no message to belong to.
        let keys: Vec<String> = uploads.iter().map(|u| u.key.clone()).collect();
        state.storage.discard(&keys).await;
    }
    result
}

async fn create_message(
    state: &AppState,
    ctx: &ActingCtx,
    raw_id: &str,
    body: CreatePayload,
    uploads: &[Upload],
) -> ApiResult<HttpResponse> {
    let display_id = path_id(raw_id)?;
    let draft = switchboard_domain::messages::draft(switchboard_domain::messages::Raw {
        content: body.content,
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
    let files: Vec<StoredFile> = uploads
        .iter()
        .map(|u| StoredFile {
            key: u.key.clone(),
            file_name: u.file_name.clone(),
            content_type: u.content_type.clone(),
            size: u.size,
            recorded_audio: recorded(&u.file_name),
        })
        .collect();
    let created = switchboard_core::messages::create(state, &ctx.actor(), display_id, draft, body.echo_id, &files).await?;
    Ok(ok(created))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let (display_id, message_id) = (path_id(&path.1)?, path_id(&path.2)?);
    Ok(ok(switchboard_core::messages::delete(&state, &ctx.actor(), display_id, message_id).await?))
}
