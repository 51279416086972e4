//! `/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages`.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::attachments::{real_content_type, SNIFF_BYTES};
use switchboard_domain::conversations::{content_type, MessageType};
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::messages::Cursor;
use switchboard_store::models::{NewAttachment, NewMessage};

use super::conversations::find;
use super::{object, ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_body, parse_value, read_limited, Params, Payload};
use switchboard_core::change::Change;
use switchboard_core::state::AppState;
use switchboard_core::storage::{file_type_of, write_chunk};
use switchboard_core::views;
use switchboard_core::whatsapp;

/// Longest message text accepted.
const CONTENT_MAX: usize = 150_000;
/// Most attachments on one message, as in the reference.
pub const MAX_ATTACHMENTS: usize = 15;

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
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let is_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut uploads = Vec::new();
    let result = if is_form {
        let mut form = Multipart::new(req.headers(), payload);
        match read_form(&state, ctx.account_id, &mut form, &mut uploads).await {
            Ok(value) => match parse_value::<CreatePayload>(value) {
                Ok(body) => create_message(&state, &ctx, &path.1, body, &uploads).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    } else {
        let declared =
            req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        match read_limited(payload.into_inner(), declared, state.settings.max_body_bytes).await {
            Ok(bytes) => match parse_body::<CreatePayload>(&bytes) {
                Ok(body) => create_message(&state, &ctx, &path.1, body, &uploads).await,
                Err(e) => Err(e),
            },
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
    ctx: &AccountCtx,
    raw_id: &str,
    body: CreatePayload,
    uploads: &[Upload],
) -> ApiResult<HttpResponse> {
    let message_type = match &body.message_type {
        None | Some(Value::Null) => MessageType::Outgoing,
        Some(v) => MessageType::parse("message_type", v)?,
    };
    let template = match body.template_params {
        None | Some(Value::Null) => None,
        Some(t) => {
            let t = object("template_params", t)?;
            if t.get("name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
                return Err(ValidationError::blank("template_params.name").into());
            }
            Some(t)
        }
    };
    let additional = match &template {
        Some(t) => json!({ "template_params": t }),
        None => json!({}),
    };
    let content_type = body.content_type.as_deref().map(|t| content_type("content_type", t)).transpose()?.unwrap_or_else(|| "text".into());
    let mut attributes = body.content_attributes.map(|v| object("content_attributes", v)).transpose()?.unwrap_or_else(|| json!({}));
    // A location, contact card or interactive message says what it says in its attributes.
    let structured = ["location", "contacts", "interactive"].iter().any(|k| attributes.get(*k).is_some_and(|v| !v.is_null()));
    let content = body.content.as_deref().map(str::trim_end).filter(|c| !c.trim().is_empty());
    if content.is_none() && uploads.is_empty() && template.is_none() && !structured {
        return Err(ValidationError::blank("content").into());
    }
    let content = content.unwrap_or_default();
    if content.chars().count() > CONTENT_MAX {
        return Err(ValidationError::too_long("content", CONTENT_MAX).into());
    }
    let in_reply_to = body.in_reply_to.or_else(|| attributes.get("in_reply_to").and_then(Value::as_i64));
    if message_type == MessageType::Incoming && body.private {
        return Err(ValidationError::invalid("private", "only outgoing messages can be private notes").into());
    }

    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = find(conn, ctx, raw_id).await?;
        let inbox = switchboard_store::inboxes::find(conn, ctx.account_id, c.inbox_id, switchboard_store::inboxes::Visibility::All)
            .await?
            .ok_or(ApiError::NotFound)?;
        let channel = ChannelType::from_stored(&inbox.channel_type);
        if message_type == MessageType::Incoming && channel != ChannelType::Api {
            return Err(ValidationError::invalid("message_type", "incoming messages can only be created on API inboxes").into());
        }
        // WhatsApp messages are checked now and sent by a job queued with them.
        let send_job = channel == ChannelType::Whatsapp && whatsapp::is_sendable(message_type, body.private);
        let mut additional = additional;
        if send_job {
            let files: Vec<String> = uploads.iter().map(|u| file_type_of(&u.content_type).to_string()).collect();
            let draft = whatsapp::Draft {
                content: (!content.is_empty()).then_some(content),
                content_type: &content_type,
                content_attributes: &attributes,
                template_params: template.as_ref(),
                files: &files,
            };
            if let Some(resolved) = whatsapp::prepare(conn, &inbox, &c, &draft).await? {
                additional["whatsapp_template"] = resolved;
            }
        }
        if let Some(id) = in_reply_to {
            if switchboard_store::messages::find(conn, c.id, id).await?.is_none() {
                return Err(ValidationError::invalid("in_reply_to", "is not a message of this conversation").into());
            }
            if let Some(obj) = attributes.as_object_mut() {
                obj.insert("in_reply_to".into(), json!(id));
            }
        }
        let (sender_type, sender_id) = match message_type {
            MessageType::Incoming => ("contact", c.contact_id),
            _ => ("user", ctx.user.id),
        };
        let new = NewMessage {
            content_type,
            content_attributes: attributes,
            additional_attributes: additional,
            private: body.private,
            echo_id: body.echo_id,
            status: if send_job { "progress".into() } else { "sent".into() },
            ..NewMessage::text(
                &c,
                message_type.as_i16(),
                (!content.is_empty()).then(|| content.to_string()),
                Some((sender_type, sender_id)),
            )
        };
        // Mentions count in private notes, and only of the account's agents.
        let mentioned = if body.private {
            let ids = switchboard_domain::limits::mentions("content", switchboard_domain::conversations::mentioned_user_ids(content))?;
            if ids.is_empty() {
                ids
            } else {
                switchboard_store::account_users::member_ids(conn, ctx.account_id, &ids).await?
            }
        } else {
            vec![]
        };
        let files: Vec<NewAttachment> = uploads
            .iter()
            .map(|u| NewAttachment {
                account_id: ctx.account_id,
                message_id: 0,
                file_type: file_type_of(&u.content_type).into(),
                content_type: u.content_type.clone(),
                file_name: u.file_name.clone(),
                file_size: u.size,
                storage_key: Some(u.key.clone()),
                external_url: None,
                meta: json!({}),
            })
            .collect();
        let (message, c, notifications) = switchboard_store::messages::create(conn, &c, &new, &mentioned, &files, send_job).await?;
        if send_job {
            state.jobs.notify_one();
        }
        let (mut rendered, _) = switchboard_core::present::messages(state, conn, &c, std::slice::from_ref(&message)).await?;
        let rendered = rendered.pop().unwrap_or(Value::Null);
        switchboard_core::events::publish(conn, out, &c, &message, &rendered, Event::MessageCreated).await?;
        switchboard_core::notifications::publish(state, conn, out, &notifications).await?;
        Ok(rendered)
    }
    .await;
    tx.finish(state, result).await.map(ok)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let message_id = path_id(&path.2)?;
    let mut tx = Change::begin(&state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = find(conn, &ctx, &path.1).await?;
        let message = switchboard_store::messages::find(conn, c.id, message_id).await?.ok_or(ApiError::NotFound)?;
        let message = switchboard_store::messages::soft_delete(conn, &message).await?;
        let (mut rendered, _) = switchboard_core::present::messages(&state, conn, &c, std::slice::from_ref(&message)).await?;
        let rendered = rendered.pop().unwrap_or(Value::Null);
        switchboard_core::events::publish(conn, out, &c, &message, &rendered, Event::MessageUpdated).await?;
        Ok(rendered)
    }
    .await;
    tx.finish(&state, result).await.map(ok)
}
