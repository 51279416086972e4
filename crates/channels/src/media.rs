//! Fetching a file a channel received (a BSP's media link, a provider's media route) so it can
//! be kept in our storage before the link expires: within a size limit, with failures told
//! apart into those worth retrying and those that are final.

pub use crate::channel::Downloaded;
use crate::channel::SendError;

/// Sends `req` and reads the body, refusing more than `limit` bytes. Timeouts, 5xx and 429 may
/// pass; any other failure (a 404: the link expired, a 403, too large) will not.
pub(crate) async fn fetch(req: reqwest::RequestBuilder, who: &str, limit: usize) -> Result<Downloaded, SendError> {
    let mut res = req.send().await.map_err(|e| SendError::Retryable(crate::guard::failure(who, &e)))?;
    let status = res.status();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(SendError::Retryable(format!("{who} answered {} to the media download", status.as_u16())));
    }
    if !status.is_success() {
        return Err(SendError::Rejected(format!("{who} answered {} to the media download", status.as_u16())));
    }
    if res.content_length().is_some_and(|n| n > limit as u64) {
        return Err(SendError::Rejected(format!("the file is larger than {limit} bytes")));
    }
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
    let mut bytes = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| SendError::Retryable(crate::guard::failure(who, &e)))? {
        if bytes.len() + chunk.len() > limit {
            return Err(SendError::Rejected(format!("the file is larger than {limit} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Downloaded { bytes, content_type })
}
