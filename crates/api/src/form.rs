//! Message bodies as JSON or as a multipart form whose files stream to storage as they arrive
//! (the agent API's and the public client API's messages share it).

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde_json::{json, Value};
use switchboard_core::state::AppState;
use switchboard_core::storage::write_chunk;
use switchboard_domain::attachments::{real_content_type, SNIFF_BYTES};
use switchboard_domain::messages::MAX_ATTACHMENTS;
use switchboard_domain::ValidationError;

use crate::error::{ApiError, ApiResult};
use crate::extract::{is_multipart, json_body, parse_value, Payload};

/// A file written to storage while the form was read.
pub struct Upload {
    pub key: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
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
        if name == "attachments[]" || name == "attachments" || name == "attachment" {
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

impl Upload {
    /// The stored file as the operations take it.
    pub fn stored(&self, recorded_audio: bool) -> switchboard_core::messages::StoredFile {
        switchboard_core::messages::StoredFile {
            key: self.key.clone(),
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            recorded_audio,
        }
    }
}

/// The body as JSON, or as a multipart form (its files in `uploads`, already stored).
pub async fn message_body<T: Payload>(
    state: &AppState,
    account_id: i64,
    req: HttpRequest,
    payload: web::Payload,
    uploads: &mut Vec<Upload>,
) -> ApiResult<T> {
    if is_multipart(&req) {
        let mut form = Multipart::new(req.headers(), payload);
        let value = read_form(state, account_id, &mut form, uploads).await?;
        parse_value::<T>(value)
    } else {
        json_body::<T>(&req, payload, state.settings.max_body_bytes).await
    }
}

/// Nothing was committed: the files have no message to belong to.
pub async fn discard_on_error<T>(state: &AppState, result: &ApiResult<T>, uploads: &[Upload]) {
    if result.is_err() {
        let keys: Vec<String> = uploads.iter().map(|u| u.key.clone()).collect();
        state.storage.discard(&keys).await;
    }
}

/// No fields besides the file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}
impl Payload for NoFields {}

/// One file in a multipart `attachment`, kept as an upload of the account for actions that
/// send it later (automation rules, macros); answers `{blob_id, blob_key, filename}` (the
/// reference's names), `blob_id` being what `send_attachment` takes.
pub async fn single_upload(
    state: &AppState,
    account_id: i64,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<switchboard_core::views::Upload> {
    let mut uploads = Vec::new();
    let result = async {
        if !is_multipart(&req) {
            return Err(ValidationError::invalid("attachment", "must be a file in a multipart form").into());
        }
        message_body::<NoFields>(state, account_id, req, body, &mut uploads).await?;
        let [file] = uploads.as_slice() else {
            return Err(ValidationError::invalid("attachment", "must be exactly one file").into());
        };
        let stored = switchboard_core::uploads::create(state, account_id, &file.stored(false)).await?;
        Ok(switchboard_core::views::Upload { blob_id: stored.id, blob_key: stored.storage_key, filename: stored.file_name })
    }
    .await;
    discard_on_error(state, &result, &uploads).await;
    result
}
