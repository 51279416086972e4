//! `GET /avatars/{account_id}/{name}`: a WhatsApp picture we keep (a contact's `thumbnail`).
//! The name is random and unguessable, so the URL is the capability, as with any picture a
//! dashboard shows in an `<img>`; only names of the avatar form are served.

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, ApiResult};
use switchboard_core::avatars::is_avatar_name;
use switchboard_core::state::AppState;

#[tracing::instrument(skip_all)]
pub async fn show(state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (account, name) = path.into_inner();
    if account.is_empty() || !account.chars().all(|c| c.is_ascii_digit()) || !is_avatar_name(&name) {
        return Err(ApiError::NotFound);
    }
    let file = NamedFile::open_async(state.storage.path_of(&format!("{account}/{name}"))).await.map_err(|_| ApiError::NotFound)?;
    let mime = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    };
    let mut response = file.set_content_type(mime.parse().unwrap_or(actix_web::mime::IMAGE_JPEG)).into_response(&req);
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static("sandbox; default-src 'none'"));
    // A picture never changes under its name (a new one gets a new name).
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=86400, immutable"));
    Ok(response)
}
