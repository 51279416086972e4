//! A fake Baileys-style provider speaking the contract's HTTP API: connections, send-message
//! and group-metadata under `/connections/:phone`. It checks `x-api-key`, records every request,
//! serves the groups it is given, and can be told to fail the next calls. It also posts events
//! to an inbox's webhook in the provider's envelope, as the real one does.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::fake::lock;

pub const PROVIDER_KEY: &str = "baileys-key-0123456789abcdef";

/// One request as the provider received it.
#[derive(Debug, Clone)]
pub struct ProviderRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub api_key: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    recorded: Vec<ProviderRequest>,
    failures: VecDeque<u16>,
    groups: HashMap<String, Value>,
    next_id: u64,
    /// Per connection: the webhook URL and verify token it was given.
    connections: HashMap<String, (String, String)>,
}

#[derive(Clone)]
pub struct FakeProvider {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if Arc::strong_count(&self.inner) <= 2 {
            drop(self.handle.stop(false));
        }
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, inner: web::Data<Arc<Mutex<Inner>>>) -> HttpResponse {
    let rec = ProviderRequest {
        method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query_string().to_string(),
        api_key: req.headers().get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_string),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let mut inner = lock(&inner);
    inner.recorded.push(rec.clone());
    if let Some(code) = inner.failures.pop_front() {
        let status = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        return HttpResponse::build(status).json(json!({ "error": "Simulated", "message": format!("simulated failure {code}") }));
    }
    if rec.api_key.as_deref() != Some(PROVIDER_KEY) {
        return HttpResponse::Forbidden().json(json!({ "error": "Forbidden", "message": "Invalid API key" }));
    }
    let Some(rest) = rec.path.strip_prefix("/connections/") else {
        return HttpResponse::NotFound().json(json!({ "error": "Not Found" }));
    };
    let (phone, action) = rest.split_once('/').unwrap_or((rest, ""));
    let phone_ok = phone.strip_prefix('+').is_some_and(|d| (5..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()));
    if !phone_ok {
        return HttpResponse::BadRequest().json(json!({ "error": "Bad Request", "message": "invalid phone number" }));
    }
    let query = |key: &str| {
        url::form_urlencoded::parse(rec.query.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.to_string()).unwrap_or_default()
    };
    match (rec.method.as_str(), action) {
        ("POST", "") => {
            let text = |k: &str| rec.body.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            inner.connections.insert(phone.to_string(), (text("webhookUrl"), text("webhookVerifyToken")));
            HttpResponse::Ok().json(json!({ "data": { "status": "connecting" } }))
        }
        ("DELETE", "") => HttpResponse::Ok().finish(),
        ("POST", "send-message") => {
            let jid = rec.body.get("jid").and_then(Value::as_str).unwrap_or_default().to_string();
            if jid.is_empty() || rec.body.get("messageContent").is_none() {
                return HttpResponse::UnprocessableEntity()
                    .json(json!({ "error": "Unprocessable", "message": "jid and messageContent are required" }));
            }
            inner.next_id += 1;
            let id = format!("3EB0FAKE{}", inner.next_id);
            HttpResponse::Ok()
                .json(json!({ "data": { "key": { "id": id, "remoteJid": jid, "fromMe": true }, "messageTimestamp": 1_763_700_000 } }))
        }
        ("GET", "group-metadata") => match inner.groups.get(&query("jid")) {
            Some(g) => HttpResponse::Ok().json(g),
            None => HttpResponse::NotFound().json(json!({ "error": "Not Found", "message": "group not found" })),
        },
        _ => HttpResponse::NotFound().json(json!({ "error": "Not Found" })),
    }
}

impl FakeProvider {
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (url, handle) = crate::fake::serve(inner.clone(), handle)?;
        Ok(Self { url, inner, handle })
    }

    /// The provider_config of an inbox that uses this provider.
    pub fn provider_config(&self) -> Value {
        json!({ "provider_url": self.url, "api_key": PROVIDER_KEY })
    }

    /// What `group-metadata` answers for this group (the provider's raw object).
    pub fn set_group(&self, metadata: Value) {
        let jid = metadata.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        lock(&self.inner).groups.insert(jid, metadata);
    }

    /// The next calls answer these statuses, in order.
    pub fn fail_next(&self, statuses: impl IntoIterator<Item = u16>) {
        lock(&self.inner).failures.extend(statuses);
    }

    pub fn requests(&self) -> Vec<ProviderRequest> {
        lock(&self.inner).recorded.clone()
    }

    /// The webhook URL and verify token the connection of this number was opened with.
    pub fn connection(&self, phone: &str) -> Option<(String, String)> {
        lock(&self.inner).connections.get(phone).cloned()
    }

    /// Posts an event to the number's webhook as the provider does; the webhook's status.
    pub async fn deliver(&self, phone: &str, event: &str, data: Value) -> u16 {
        let Some((url, token)) = self.connection(phone) else { return 0 };
        let body = json!({ "event": event, "data": data, "webhookVerifyToken": token });
        reqwest::Client::new().post(url).json(&body).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }

    /// Waits until a request matching `pred` arrived, or 10 s passed.
    pub async fn wait_for(&self, pred: impl Fn(&ProviderRequest) -> bool) -> Option<ProviderRequest> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(r) = self.requests().into_iter().find(|r| pred(r)) {
                return Some(r);
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
