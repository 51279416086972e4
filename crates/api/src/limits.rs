//! Request limits shared by several surfaces: the public routes' allowance per client address and
//! per public resource (an API inbox, a help center portal), counted in Redis when there is one so
//! that every process shares it.

use actix_web::HttpRequest;
use switchboard_core::state::AppState;

use crate::error::{ApiError, ApiResult};

/// Counts the request against the caller's IP and the public resource `identifier`
/// (`PUBLIC_REQUESTS_PER_MINUTE_*`); 429 with `Retry-After` beyond.
pub(crate) async fn public(state: &AppState, req: &HttpRequest, identifier: &str) -> ApiResult<()> {
    let ip = crate::client_ip::client_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string()).unwrap_or_default();
    let limits = &state.settings.public_limits;
    let by_ip = state.searches.take(&format!("switchboard:public:ip:{ip}"), limits.per_ip).await;
    let by_inbox = by_ip && state.searches.take(&format!("switchboard:public:inbox:{identifier}"), limits.per_inbox).await;
    if by_ip && by_inbox {
        Ok(())
    } else {
        Err(ApiError::TooManyRequests { retry_after_secs: state.searches.window().as_secs() })
    }
}
