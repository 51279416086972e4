//! Posting one signed webhook delivery (account webhooks, API inboxes' callbacks, agent bots)
//! and reading the receiver's answer as an `Outcome`. Every request obeys the guard.

use std::time::{Duration, Instant};

use switchboard_domain::webhooks::{signature, Outcome};

use crate::guard::{self, Guard};

#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    guard: Guard,
}

/// One delivery's request.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    /// `X-Chatwoot-Delivery`: the same on every attempt.
    pub uuid: &'a str,
    pub event: &'a str,
    pub body: &'a str,
    /// `X-Chatwoot-Timestamp`, epoch seconds: this attempt's.
    pub timestamp: i64,
}

/// How long the receiver took, and what it answered.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outcome: Outcome,
    pub duration: Duration,
}

/// A `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let raw = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    (at.with_timezone(&chrono::Utc) - now).to_std().ok()
}

impl Sender {
    pub fn new(timeout: Duration, guard: Guard) -> Result<Self, reqwest::Error> {
        Ok(Self { http: guard.client(timeout)?, guard })
    }

    /// Posts the body, signed. Never fails: every way it can go is an `Outcome`.
    pub async fn post(&self, d: Delivery<'_>) -> Attempt {
        let started = Instant::now();
        let url = match self.guard.check_url(d.url) {
            Ok(url) => url,
            Err(blocked) => {
                return Attempt {
                    outcome: Outcome::Refused { status: None, error: format!("the webhook address is refused: {blocked}") },
                    duration: started.elapsed(),
                }
            }
        };
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::USER_AGENT, "Switchboard-Webhooks/1")
            .header("X-Chatwoot-Signature", signature(d.secret, d.timestamp, d.body))
            .header("X-Chatwoot-Timestamp", d.timestamp.to_string())
            .header("X-Chatwoot-Delivery", d.uuid)
            .header("X-Chatwoot-Event", d.event)
            .body(d.body.to_string())
            .send()
            .await;
        let outcome = match sent {
            Err(e) => {
                let error = guard::failure("the webhook receiver", &e);
                if error.contains("address is refused") {
                    Outcome::Refused { status: None, error }
                } else {
                    Outcome::Retryable { status: None, error, retry_after: None }
                }
            }
            Ok(res) => {
                let status = res.status();
                let wait = retry_after(res.headers(), chrono::Utc::now());
                // The answer's beginning, for the delivery log; the rest is not read.
                let text: String = res.text().await.unwrap_or_default().chars().take(200).collect();
                let error = format!(
                    "HTTP {}{}",
                    status.as_u16(),
                    if text.trim().is_empty() { String::new() } else { format!(": {}", text.trim()) }
                );
                if status.is_success() {
                    Outcome::Delivered { status: status.as_u16() }
                } else if status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT
                {
                    Outcome::Retryable { status: Some(status.as_u16()), error, retry_after: wait }
                } else {
                    Outcome::Refused { status: Some(status.as_u16()), error }
                }
            }
        };
        Attempt { outcome, duration: started.elapsed() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let mut h = reqwest::header::HeaderMap::new();
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        h.insert(reqwest::header::RETRY_AFTER, reqwest::header::HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(reqwest::header::RETRY_AFTER, reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:30:00 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(reqwest::header::RETRY_AFTER, reqwest::header::HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }
}
