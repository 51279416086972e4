//! Every request answers within `REQUEST_DEADLINE`. A frozen database accepts connections and
//! queries but never answers, and a statement timeout cannot fire on a server that does not run:
//! requests that held a connection then waited 40 s. Past the deadline the handler is dropped
//! (and its connection with it) and the client gets 503, so it retries later.
//!
//! Multipart uploads are exempt: their time is the client's upload, not the database's.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::error::ApiError;

/// The statement timeout (5 s) plus time to take a connection and answer.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(8);

pub async fn limit<B: MessageBody + 'static>(req: ServiceRequest, next: Next<B>) -> Result<ServiceResponse<B>, Error> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    if multipart {
        return next.call(req).await;
    }
    // The error becomes the 503 response (the request itself went to the handler, which owns it).
    match tokio::time::timeout(REQUEST_DEADLINE, next.call(req)).await {
        Ok(answer) => answer,
        Err(_) => {
            tracing::warn!(deadline = ?REQUEST_DEADLINE, "request cut off at its deadline: the database did not answer in time");
            Err(ApiError::Unavailable.into())
        }
    }
}
