//! Headers every response carries, and CORS for dashboards served from another origin.
//!
//! Responses carry tokens and private data: browsers must not sniff their type, frame them,
//! leak their URL as a referrer or keep them in a cache. CORS is off unless
//! `CORS_ALLOWED_ORIGINS` lists origins (the server's own `PUBLIC_URL` is then allowed too).

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::middleware::{Condition, DefaultHeaders};

/// Added to every response that does not set its own (attachments set their cache policy).
pub fn defaults() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// CORS for the listed origins; none listed, no CORS at all (same-origin only).
pub fn cors(allowed: &[String], public_url: &str) -> Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allow_any_header()
        // The devise_token_auth session headers, which the dashboard reads back.
        .expose_headers(["access-token", "client", "uid", "expiry", "token-type", "x-request-id", "retry-after"])
        .max_age(3600);
    let own = url::Url::parse(public_url).ok().map(|u| u.origin().ascii_serialization());
    for origin in allowed.iter().chain(own.iter()) {
        cors = cors.allowed_origin(origin.trim_end_matches('/'));
    }
    Condition::new(!allowed.is_empty(), cors)
}

/// `CORS_ALLOWED_ORIGINS`: origins, comma-separated (`https://app.example.com`).
pub fn parse_origins(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.path() == "/" => Ok(u.origin().ascii_serialization()),
            _ => Err(format!("'{s}' is not an origin such as https://app.example.com")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_parsed_strictly() {
        assert_eq!(
            parse_origins("https://app.example.com, http://localhost:8080/").unwrap(),
            ["https://app.example.com", "http://localhost:8080"]
        );
        assert!(parse_origins("").unwrap().is_empty());
        assert!(parse_origins("app.example.com").is_err());
        assert!(parse_origins("https://app.example.com/path").is_err());
    }
}
