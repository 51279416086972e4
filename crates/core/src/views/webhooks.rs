//! Webhooks as administrators see them, and their delivery log.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::{Webhook, WebhookAttempt, WebhookDelivery};

/// A webhook as the API shows it (administrators only: the secret is in it).
#[derive(Debug, Serialize)]
pub struct WebhookView {
    pub id: i64,
    pub account_id: i64,
    pub name: Option<String>,
    pub url: String,
    pub subscriptions: Vec<String>,
    /// Set for an API inbox's callback.
    pub inbox_id: Option<i64>,
    /// Signs every delivery (`X-Chatwoot-Signature`).
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    /// Since when every attempt has failed (epoch seconds); null while it answers.
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            account_id: w.account_id,
            name: w.name,
            url: w.url,
            subscriptions: w.subscriptions,
            inbox_id: w.inbox_id,
            secret: w.secret,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            disabled_at: w.disabled_at.map(|t| t.timestamp()),
            failing_since: w.failing_since.map(|t| t.timestamp()),
            created_at: w.created_at.timestamp(),
            updated_at: w.updated_at.timestamp(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AttemptView {
    pub attempted_at: i64,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
    pub next_retry_at: Option<i64>,
}

/// One delivery in the log, with its attempts.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    pub id: i64,
    /// `X-Chatwoot-Delivery`.
    pub delivery_id: String,
    pub event: String,
    /// pending, delivered or failed.
    pub status: String,
    pub attempt_count: i32,
    pub status_code: Option<i32>,
    pub duration_ms: Option<i32>,
    pub error: Option<String>,
    pub next_retry_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    pub payload: Value,
    pub attempts: Vec<AttemptView>,
}

pub fn delivery_view(d: WebhookDelivery, attempts: &[WebhookAttempt]) -> DeliveryView {
    DeliveryView {
        id: d.id,
        delivery_id: d.uuid,
        event: d.event,
        status: d.status,
        attempt_count: d.attempts,
        status_code: d.last_status_code,
        duration_ms: d.last_duration_ms,
        error: d.last_error,
        next_retry_at: d.next_attempt_at.map(|t| t.timestamp()),
        delivered_at: d.delivered_at.map(|t| t.timestamp()),
        created_at: d.created_at.timestamp(),
        payload: serde_json::from_str(&d.body).unwrap_or(Value::Null),
        attempts: attempts
            .iter()
            .filter(|a| a.delivery_id == d.id)
            .map(|a| AttemptView {
                attempted_at: a.attempted_at.timestamp(),
                status_code: a.status_code,
                duration_ms: a.duration_ms,
                error: a.error.clone(),
                next_retry_at: a.next_retry_at.map(|t| t.timestamp()),
            })
            .collect(),
    }
}
