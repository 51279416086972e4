//! Outgoing webhooks: the event names subscribers choose from, the signature recipe, and what
//! becomes of a delivery after an attempt (a plan; the worker carries it out).

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ValidationError;

/// The reference's webhook events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    ConversationCreated,
    ConversationStatusChanged,
    ConversationUpdated,
    ContactCreated,
    ContactUpdated,
    MessageCreated,
    MessageUpdated,
    WebwidgetTriggered,
    InboxCreated,
    InboxUpdated,
    ConversationTypingOn,
    ConversationTypingOff,
    /// Agent bots only: a conversation opened (reopened, or handed over by a bot).
    ConversationOpened,
    /// Agent bots only: a conversation resolved.
    ConversationResolved,
}

impl WebhookEvent {
    pub const ALL: [Self; 12] = [
        Self::ConversationCreated,
        Self::ConversationStatusChanged,
        Self::ConversationUpdated,
        Self::ContactCreated,
        Self::ContactUpdated,
        Self::MessageCreated,
        Self::MessageUpdated,
        Self::WebwidgetTriggered,
        Self::InboxCreated,
        Self::InboxUpdated,
        Self::ConversationTypingOn,
        Self::ConversationTypingOff,
    ];

    /// What a webhook created without `subscriptions` hears: the reference's default list.
    pub const DEFAULT: [Self; 8] = [
        Self::ConversationCreated,
        Self::ConversationStatusChanged,
        Self::ConversationUpdated,
        Self::ContactCreated,
        Self::ContactUpdated,
        Self::MessageCreated,
        Self::MessageUpdated,
        Self::WebwidgetTriggered,
    ];

    /// What an agent bot hears, as the reference's agent bot listener sends it.
    pub const AGENT_BOT: [Self; 5] =
        [Self::MessageCreated, Self::MessageUpdated, Self::ConversationOpened, Self::ConversationResolved, Self::WebwidgetTriggered];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ConversationOpened => "conversation_opened",
            Self::ConversationResolved => "conversation_resolved",
            Self::ConversationCreated => "conversation_created",
            Self::ConversationStatusChanged => "conversation_status_changed",
            Self::ConversationUpdated => "conversation_updated",
            Self::ContactCreated => "contact_created",
            Self::ContactUpdated => "contact_updated",
            Self::MessageCreated => "message_created",
            Self::MessageUpdated => "message_updated",
            Self::WebwidgetTriggered => "webwidget_triggered",
            Self::InboxCreated => "inbox_created",
            Self::InboxUpdated => "inbox_updated",
            Self::ConversationTypingOn => "conversation_typing_on",
            Self::ConversationTypingOff => "conversation_typing_off",
        }
    }

    /// An account webhook's subscription (the bots' own events are not among them).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw.trim())
    }

    /// The events an API inbox's callback receives, as the reference's API channel does: its own
    /// conversations' and messages' (contacts and inboxes are the account's).
    pub fn reaches_inbox_callback(self) -> bool {
        !matches!(self, Self::ContactCreated | Self::ContactUpdated | Self::InboxCreated | Self::InboxUpdated)
    }
}

/// A webhook's `subscriptions`: known names only, each once; `None` is the default list.
pub fn subscriptions(field: &str, raw: Option<&[String]>) -> Result<Vec<WebhookEvent>, ValidationError> {
    let Some(raw) = raw else { return Ok(WebhookEvent::DEFAULT.to_vec()) };
    let mut out: Vec<WebhookEvent> = Vec::new();
    for name in raw {
        let event = WebhookEvent::parse(name).ok_or_else(|| {
            let known: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
            ValidationError::invalid(field, format!("has an unknown event '{name}' (known: {})", known.join(", ")))
        })?;
        if !out.contains(&event) {
            out.push(event);
        }
    }
    if out.is_empty() {
        return Err(ValidationError::invalid(field, "must name at least one event"));
    }
    Ok(out)
}

/// `X-Chatwoot-Signature`: `sha256=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"` with the
/// endpoint's secret. Receivers recompute it over the raw body they got.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx.
    Delivered { status: u16 },
    /// A timeout, a connection failure, a 5xx or a 429: later may work. `retry_after` is the
    /// receiver's `Retry-After`.
    Retryable { status: Option<u16>, error: String, retry_after: Option<Duration> },
    /// Any other answer (a 4xx), or an address we may not call: sending it again would not help.
    Refused { status: Option<u16>, error: String },
}

/// How hard to try (`WEBHOOK_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The first retry waits this long, each next one twice as long…
    pub retry_base: Duration,
    /// …at most this long.
    pub retry_max: Duration,
    /// A delivery is given up this long after its event.
    pub retry_for: Duration,
    /// An endpoint failing for this long is disabled.
    pub disable_after: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(3600),
            retry_for: Duration::from_secs(24 * 3600),
            disable_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl Policy {
    /// The wait after `attempts` failed attempts: base, 2×base, 4×base… capped.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.retry_base.saturating_mul(factor).min(self.retry_max)
    }
}

/// What becomes of the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    RetryIn(Duration),
    Failed(String),
    /// Waits, pending, for its endpoint to be enabled again.
    Parked,
}

/// The delivery's fate, and the endpoint's: `disable` says why it must be disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub fate: Fate,
    pub disable: Option<String>,
}

/// After an attempt: `attempts` counts it; `age` is the delivery's; `failing_for` is how long
/// the endpoint has failed without a success, this attempt included (zero if it just began).
pub fn after_attempt(outcome: &Outcome, attempts: u32, age: Duration, failing_for: Duration, policy: &Policy) -> Plan {
    let hours = |d: Duration| format!("{:.1} h", d.as_secs_f64() / 3600.0);
    let disable = |error: &str| {
        (failing_for >= policy.disable_after).then(|| {
            format!("every delivery failed for {} (at least {}); last error: {error}", hours(failing_for), hours(policy.disable_after))
        })
    };
    match outcome {
        Outcome::Delivered { .. } => Plan { fate: Fate::Delivered, disable: None },
        Outcome::Refused { error, .. } => Plan { fate: Fate::Failed(error.clone()), disable: disable(error) },
        Outcome::Retryable { error, retry_after, .. } => {
            if let Some(reason) = disable(error) {
                return Plan { fate: Fate::Parked, disable: Some(reason) };
            }
            if age >= policy.retry_for {
                return Plan { fate: Fate::Failed(format!("gave up after {}: {error}", hours(age))), disable: None };
            }
            // The receiver's Retry-After is honoured, within the retry period.
            let wait = retry_after.map(|r| r.min(policy.retry_for)).unwrap_or_else(|| policy.backoff(attempts));
            Plan { fate: Fate::RetryIn(wait), disable: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_subscriptions_are_checked() {
        for e in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(e.as_str()), Some(e));
        }
        assert_eq!(subscriptions("subscriptions", None).map(|s| s.len()), Ok(8));
        let given = vec!["message_created".to_string(), "message_created".to_string(), "inbox_created".to_string()];
        assert_eq!(subscriptions("subscriptions", Some(&given)), Ok(vec![WebhookEvent::MessageCreated, WebhookEvent::InboxCreated]));
        let bad = vec!["message_sent".to_string()];
        assert_eq!(subscriptions("subscriptions", Some(&bad)).err().map(|e| e.field), Some("subscriptions".into()));
        assert!(subscriptions("subscriptions", Some(&[])).is_err());
        assert!(!WebhookEvent::ContactCreated.reaches_inbox_callback() && WebhookEvent::MessageCreated.reaches_inbox_callback());
    }

    #[test]
    fn the_signature_is_the_published_recipe() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature("secret", 1_700_000_000, "{\"a\":1}"),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        assert_ne!(signature("other", 1_700_000_000, "{\"a\":1}"), signature("secret", 1_700_000_000, "{\"a\":1}"));
        assert_ne!(signature("secret", 1_700_000_001, "{\"a\":1}"), signature("secret", 1_700_000_000, "{\"a\":1}"));
    }

    #[test]
    fn retries_back_off_honour_retry_after_give_up_and_disable() {
        let p = Policy {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(60),
            retry_for: Duration::from_secs(3600),
            disable_after: Duration::from_secs(7200),
        };
        let down = Outcome::Retryable { status: Some(503), error: "503".into(), retry_after: None };
        let min = Duration::from_secs(60);
        assert_eq!(after_attempt(&down, 1, min, min, &p).fate, Fate::RetryIn(Duration::from_secs(10)));
        assert_eq!(after_attempt(&down, 2, min, min, &p).fate, Fate::RetryIn(Duration::from_secs(20)));
        assert_eq!(after_attempt(&down, 9, min, min, &p).fate, Fate::RetryIn(Duration::from_secs(60)), "capped");
        let slow = Outcome::Retryable { status: Some(429), error: "429".into(), retry_after: Some(Duration::from_secs(120)) };
        assert_eq!(after_attempt(&slow, 1, min, min, &p).fate, Fate::RetryIn(Duration::from_secs(120)), "Retry-After wins");
        let old = Duration::from_secs(3600);
        assert!(matches!(after_attempt(&down, 20, old, old, &p).fate, Fate::Failed(ref e) if e.starts_with("gave up after 1.0 h")));
        let long = Duration::from_secs(7200);
        let plan = after_attempt(&down, 30, long, long, &p);
        assert_eq!(plan.fate, Fate::Parked, "kept for when the endpoint is enabled again");
        assert!(plan.disable.as_deref().is_some_and(|r| r.contains("last error: 503")));
        let refused = Outcome::Refused { status: Some(404), error: "404 Not Found".into() };
        assert_eq!(after_attempt(&refused, 1, min, min, &p), Plan { fate: Fate::Failed("404 Not Found".into()), disable: None });
        assert!(after_attempt(&refused, 1, long, long, &p).disable.is_some());
        assert_eq!(after_attempt(&Outcome::Delivered { status: 204 }, 3, long, long, &p).fate, Fate::Delivered);
    }
}
