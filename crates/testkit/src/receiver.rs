//! A webhook receiver, as an integrator's would be: it records every delivery with its
//! headers and raw body, checks signatures with the published recipe (its own HMAC code, not
//! the server's), and can be told to fail: the next calls, or everything while it is "down".

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::fake::lock;

/// What the next call answers instead of 200.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This status.
    Status(u16),
    /// A 429 with `Retry-After: <secs>`.
    TooMany(u64),
    /// No answer for this long (past the server's timeout, a timeout).
    Hang(Duration),
}

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    pub json: Value,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub delivery: Option<String>,
    pub event: Option<String>,
    /// The status the receiver answered.
    pub answered: u16,
    pub at: std::time::Instant,
}

impl Received {
    /// Whether the signature is `sha256=` HMAC-SHA256(secret, "<timestamp>.<body>").
    pub fn signed_with(&self, secret: &str) -> bool {
        let (Some(signature), Some(timestamp)) = (&self.signature, &self.timestamp) else { return false };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
        mac.update(format!("{timestamp}.{}", self.body).as_bytes());
        let Some(hex_sig) = signature.strip_prefix("sha256=") else { return false };
        let Ok(bytes) = hex::decode(hex_sig) else { return false };
        mac.verify_slice(&bytes).is_ok()
    }

    pub fn delivered(&self) -> bool {
        (200..300).contains(&self.answered)
    }
}

/// Called with each delivery the receiver accepts (a bot answers through it).
pub type OnDelivery = Arc<dyn Fn(Value) + Send + Sync>;

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    failures: VecDeque<Failure>,
    /// Answer 503 to everything.
    down: bool,
    on_delivery: Option<OnDelivery>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if Arc::strong_count(&self.inner) <= 2 {
            drop(self.handle.stop(false));
        }
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, inner: web::Data<Arc<Mutex<Inner>>>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = String::from_utf8_lossy(&body).to_string();
    let mut rec = Received {
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        body: text,
        signature: header("X-Chatwoot-Signature"),
        timestamp: header("X-Chatwoot-Timestamp"),
        delivery: header("X-Chatwoot-Delivery"),
        event: header("X-Chatwoot-Event"),
        answered: 200,
        at: std::time::Instant::now(),
    };
    let (failure, down) = {
        let mut inner = lock(&inner);
        (inner.failures.pop_front(), inner.down)
    };
    let response = match (failure, down) {
        (Some(Failure::Hang(d)), _) => {
            rec.answered = 0;
            lock(&inner).received.push(rec);
            tokio::time::sleep(d).await;
            return HttpResponse::ServiceUnavailable().finish();
        }
        (Some(Failure::TooMany(secs)), _) => {
            rec.answered = 429;
            HttpResponse::TooManyRequests().insert_header(("Retry-After", secs.to_string())).body("slow down")
        }
        (Some(Failure::Status(code)), _) => {
            rec.answered = code;
            let status = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
            HttpResponse::build(status).body(format!("simulated {code}"))
        }
        (None, true) => {
            rec.answered = 503;
            HttpResponse::ServiceUnavailable().body("down")
        }
        (None, false) => {
            let hook = lock(&inner).on_delivery.clone();
            if let Some(hook) = hook {
                hook(rec.json.clone());
            }
            HttpResponse::Ok().body("ok")
        }
    };
    lock(&inner).received.push(rec);
    response
}

impl Receiver {
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (url, handle) = crate::fake::serve(inner.clone(), handle)?;
        Ok(Self { url: format!("{url}/hooks"), inner, handle })
    }

    /// Runs `hook` with each accepted delivery's JSON.
    pub fn on_delivery(&self, hook: OnDelivery) {
        lock(&self.inner).on_delivery = Some(hook);
    }

    /// The next calls answer these, in order.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        lock(&self.inner).failures.extend(failures);
    }

    /// Down: every call answers 503 until it is up again.
    pub fn set_down(&self, down: bool) {
        lock(&self.inner).down = down;
    }

    /// Every request, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.inner).received.clone()
    }

    /// The requests answered 2xx.
    pub fn delivered(&self) -> Vec<Received> {
        self.received().into_iter().filter(Received::delivered).collect()
    }

    /// The first arrival of each delivery answered 2xx, as a receiver that deduplicates on
    /// `X-Chatwoot-Delivery` keeps them.
    pub fn unique(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.delivered().into_iter().filter(|r| seen.insert(r.delivery.clone())).collect()
    }

    /// Waits until `n` deliveries were answered 2xx (or `timeout`); returns them.
    pub async fn wait_delivered(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_for(n, timeout, Self::delivered).await
    }

    /// Waits until `n` requests of any outcome arrived.
    pub async fn wait_received(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_for(n, timeout, Self::received).await
    }

    /// Waits until `n` distinct deliveries were answered 2xx (see `unique`).
    pub async fn wait_unique(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_for(n, timeout, Self::unique).await
    }

    async fn wait_for(&self, n: usize, timeout: Duration, list: fn(&Self) -> Vec<Received>) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = list(self);
            if got.len() >= n || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
