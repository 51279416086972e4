//! The request log's span, without secrets: a webhook's token is in its path, and signed links
//! and some clients put credentials in the query string. Both are redacted before anything is
//! logged; the route pattern still says which endpoint it was.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Query parameters whose values are credentials.
const SECRET_PARAMS: [&str; 10] =
    ["signature", "token", "api_access_token", "access_token", "access-token", "pubsub_token", "key", "secret", "hmac", "password"];

/// Path prefixes whose next segment is a credential.
const SECRET_SEGMENTS: [&str; 1] = ["/webhooks/whatsapp/"];

const REDACTED: &str = "[redacted]";

/// `path?query` with secrets replaced by `[redacted]`.
pub fn redact_target(path: &str, query: Option<&str>) -> String {
    let mut out = path.to_string();
    for prefix in SECRET_SEGMENTS {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            out = format!("{prefix}{REDACTED}{tail}");
        }
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                    format!("{name}={REDACTED}")
                } else {
                    pair.to_string()
                }
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// `TracingLogger`'s root span with the target redacted.
pub struct RedactedSpans;

impl RootSpanBuilder for RedactedSpans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %redact_target(request.path(), Some(request.query_string())),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_paths_and_queries_are_redacted() {
        assert_eq!(redact_target("/webhooks/whatsapp/abc123", None), "/webhooks/whatsapp/[redacted]");
        assert_eq!(
            redact_target("/attachments/7/a.png", Some("expires=99&signature=deadbeef")),
            "/attachments/7/a.png?expires=99&signature=[redacted]"
        );
        assert_eq!(
            redact_target("/api/v1/profile", Some("api_access_token=s3cret&page=2")),
            "/api/v1/profile?api_access_token=[redacted]&page=2"
        );
        assert_eq!(redact_target("/api/v1/accounts/1/conversations", Some("")), "/api/v1/accounts/1/conversations");
    }
}
