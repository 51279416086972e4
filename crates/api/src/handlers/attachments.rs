//! `GET /attachments/{id}/{name}`: a stored file, for a valid signed URL (a capability) or the
//! API token of a user who may read the attachment's message: an administrator of its account,
//! or an agent of its conversation's inbox.
//!
//! Files come from users, so none may run script on our origin: only script-free media types
//! are inline, everything else is a download, and every file is sent with `nosniff` and a
//! sandboxing Content-Security-Policy.

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpRequest, HttpResponse};
use switchboard_domain::attachments::serves_inline;
use switchboard_store::models::Attachment;

use super::path_id;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use switchboard_core::state::AppState;

/// Whether the request's API token belongs to someone who may read the attachment's message:
/// the rule of the message itself (administrators, or agents of the conversation's inbox).
async fn reader_token(state: &AppState, req: &HttpRequest, attachment: &Attachment) -> ApiResult<bool> {
    let Some(token) = req.headers().get("api_access_token").and_then(|v| v.to_str().ok()) else { return Ok(false) };
    let mut conn = state.conn().await?;
    let Some(user) = switchboard_store::users::find_by_access_token(&mut conn, token).await? else { return Ok(false) };
    let Some(member) = switchboard_store::account_users::membership(&mut conn, attachment.account_id, user.id).await? else {
        return Ok(false);
    };
    if member.role.can_administer() {
        return Ok(true);
    }
    let inboxes = switchboard_store::inboxes::member_inbox_ids(&mut conn, attachment.account_id, user.id).await?;
    let inbox = switchboard_store::messages::inbox_of(&mut conn, attachment.account_id, attachment.message_id).await?;
    Ok(inbox.is_some_and(|i| inboxes.contains(&i)))
}

#[tracing::instrument(skip_all)]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path.0)?;
    let mut conn = state.conn().await?;
    let attachment = switchboard_store::attachments::find(&mut conn, id).await?.ok_or(ApiError::NotFound)?;
    drop(conn);
    let signed = match (params.int("expires"), params.str("signature")) {
        (Some(expires), Some(signature)) => state.storage.verify(&state.db, id, expires, signature).await?,
        _ => false,
    };
    if !signed && !reader_token(&state, &req, &attachment).await? {
        return Err(ApiError::BadSignature);
    }
    let key = attachment.storage_key.as_deref().ok_or(ApiError::NotFound)?;
    let file = NamedFile::open_async(state.storage.path_of(key)).await.map_err(|_| ApiError::NotFound)?;
    let mime = attachment.content_type.parse::<actix_web::mime::Mime>().unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    let disposition = ContentDisposition {
        disposition: if serves_inline(&attachment.content_type) { DispositionType::Inline } else { DispositionType::Attachment },
        parameters: vec![DispositionParam::Filename(switchboard_core::storage::safe_name(&attachment.file_name))],
    };
    let mut response = file.set_content_type(mime).set_content_disposition(disposition).into_response(&req);
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static("sandbox; default-src 'none'"));
    // Files never change; only their holder's browser may keep them.
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, max-age=3600"));
    Ok(response)
}
