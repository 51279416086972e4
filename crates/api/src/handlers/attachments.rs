//! `GET /attachments/{id}/{name}`: a stored file, for a valid signed URL or an API token of a
//! member of the attachment's account.

use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpRequest, HttpResponse};

use super::path_id;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use crate::state::AppState;

async fn member_token(state: &AppState, req: &HttpRequest, account_id: i64) -> ApiResult<bool> {
    let Some(token) = req.headers().get("api_access_token").and_then(|v| v.to_str().ok()) else { return Ok(false) };
    let mut conn = state.conn().await?;
    let Some(user) = switchboard_store::users::find_by_access_token(&mut conn, token).await? else { return Ok(false) };
    Ok(switchboard_store::account_users::membership(&mut conn, account_id, user.id).await?.is_some())
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
    if !signed && !member_token(&state, &req, attachment.account_id).await? {
        return Err(ApiError::BadSignature);
    }
    let key = attachment.storage_key.as_deref().ok_or(ApiError::NotFound)?;
    let file = NamedFile::open_async(state.storage.path_of(key)).await.map_err(|_| ApiError::NotFound)?;
    let mime = attachment.content_type.parse::<actix_web::mime::Mime>().unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    let inline = matches!(attachment.file_type.as_str(), "image" | "audio" | "video");
    let disposition = ContentDisposition {
        disposition: if inline { DispositionType::Inline } else { DispositionType::Attachment },
        parameters: vec![DispositionParam::Filename(crate::storage::safe_name(&attachment.file_name))],
    };
    Ok(file.set_content_type(mime).set_content_disposition(disposition).into_response(&req))
}
