//! A fake WhatsApp BSP speaking the manual's HTTP API: the send endpoints, getTemplate,
//! createTemplate and deleteTemplate (ApiKey/UserId headers), and the analytics API
//! (getAnalytics, getWabaIdsByToken, getPhoneNumbers; `Token` header) with the manual's error
//! strings. It records every request, and can be told to fail the next calls (5xx, 429, 4xx,
//! timeouts).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::fake::lock;

pub const API_KEY: &str = "test-api-key-0123456789";
pub const USER_ID: &str = "3777";
pub const WABA_ID: &str = "236928178367012";
/// The analytics API's `Token` and the `ClientId` the WABA belongs to (the manual's examples).
pub const ANALYTICS_TOKEN: &str = "6f7267fb-9134-11ed-b25b-00155d601935";
pub const CLIENT_ID: &str = "942";

/// What the next call answers instead of success.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This HTTP status, with the BSP's `errors` body.
    Status(u16),
    /// No answer for this long (longer than the client's timeout makes a timeout).
    Hang(Duration),
}

/// One request as the BSP received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub api_key: Option<String>,
    pub user_id: Option<String>,
    /// The analytics API's `Token`, `ClientId` and `WabaId` headers.
    pub token: Option<String>,
    pub client_id: Option<String>,
    pub waba_id: Option<String>,
    pub body: Value,
    /// The answer's message id, for accepted sends.
    pub message_id: Option<String>,
    pub at: std::time::Instant,
}

impl Recorded {
    /// The send service (`text`, `imagebyurl`, `template`, …) of a send request.
    pub fn service(&self) -> Option<&str> {
        self.path.strip_prefix("/v1/apikey/")?.strip_suffix("/bsp/send")
    }
}

#[derive(Default)]
struct Inner {
    recorded: Vec<Recorded>,
    failures: VecDeque<Failure>,
    templates: Vec<Value>,
    next_id: u64,
    /// How long each accepted send takes to be answered; it counts as taken when it arrives,
    /// as a real BSP's does, even if the caller is gone by the time the answer is ready.
    latency: Duration,
    /// Files served at `/media/<name>` (as a CDN serves the BSP's links: no credentials).
    files: std::collections::HashMap<String, (Vec<u8>, String)>,
    /// What getAnalytics searches, in the manual's data-point shape.
    data_points: Vec<Value>,
    /// What getPhoneNumbers lists.
    numbers: Vec<Value>,
}

#[derive(Clone)]
pub struct FakeBsp {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for FakeBsp {
    fn drop(&mut self) {
        if Arc::strong_count(&self.inner) <= 2 {
            drop(self.handle.stop(false));
        }
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, inner: web::Data<Arc<Mutex<Inner>>>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut rec = Recorded {
        method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query_string().to_string(),
        api_key: header("ApiKey"),
        user_id: header("UserId"),
        token: header("Token"),
        client_id: header("ClientId"),
        waba_id: header("WabaId"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        message_id: None,
        at: std::time::Instant::now(),
    };
    let failure = lock(&inner).failures.pop_front();
    let authed = rec.api_key.as_deref() == Some(API_KEY) && rec.user_id.as_deref() == Some(USER_ID);
    let response = match failure {
        Some(Failure::Hang(d)) => {
            lock(&inner).recorded.push(rec);
            tokio::time::sleep(d).await;
            return HttpResponse::ServiceUnavailable().json(json!({ "errors": ["too late"] }));
        }
        Some(Failure::Status(code)) => {
            let status = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            HttpResponse::build(status).json(json!({ "errors": [format!("Simulated failure {code}")] }))
        }
        None if rec.method == "GET" && rec.path.starts_with("/media/") => {
            match lock(&inner).files.get(rec.path.trim_start_matches("/media/")) {
                Some((bytes, content_type)) => HttpResponse::Ok().content_type(content_type.as_str()).body(bytes.clone()),
                None => HttpResponse::NotFound().json(json!({ "errors": ["The link expired"] })),
            }
        }
        None if rec.path.starts_with("/v1/analytics/") => analytics(&lock(&inner), &rec),
        None if !authed => HttpResponse::Unauthorized().json(json!({ "errors": ["Authentication Error"] })),
        None => answer(&mut lock(&inner), &mut rec),
    };
    let latency = {
        let mut inner = lock(&inner);
        inner.recorded.push(rec);
        inner.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    response
}

fn answer(inner: &mut Inner, rec: &mut Recorded) -> HttpResponse {
    match (rec.method.as_str(), rec.path.as_str()) {
        ("POST", p) if p.ends_with("/bsp/send") => {
            if rec.body.get("from").is_none() || rec.body.get("to").is_none() || rec.body.get("type").is_none() {
                return HttpResponse::BadRequest().json(json!({ "errors": ["Bad Request"] }));
            }
            inner.next_id += 1;
            let id = format!("wamid.fake{}", inner.next_id);
            rec.message_id = Some(id.clone());
            // The media endpoints answer in the Cloud API's shape, the others with messageId.
            if rec.service().is_some_and(|s| s.ends_with("byurl")) {
                HttpResponse::Ok().json(json!({ "messages": [{ "id": id }] }))
            } else {
                HttpResponse::Ok().json(json!({ "messageId": id }))
            }
        }
        ("GET", "/v1/apikey/template/getTemplate") => {
            HttpResponse::Ok().json(json!({ "status": 200, "reason": "OK", "data": { "templates": inner.templates } }))
        }
        ("POST", "/v1/apikey/template/createTemplate") => {
            if rec.body.get("wabaId").and_then(Value::as_str) != Some(WABA_ID) {
                return HttpResponse::BadRequest().json(json!({ "errors": ["Invalid wabaId"] }));
            }
            inner.next_id += 1;
            HttpResponse::Ok().json(json!({ "id": format!("{}", 1_452_834_871_831_000u64 + inner.next_id) }))
        }
        ("DELETE", "/v1/apikey/template/deleteTemplate") => HttpResponse::Ok().json(json!({ "success": true })),
        _ => HttpResponse::NotFound().json(json!({ "errors": ["Not Found"] })),
    }
}

/// `yyyy-mm-dd hh:mm:ss`, which also compares in time order as text.
fn bsp_time(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn errors(status: actix_web::http::StatusCode, message: String) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "errors": [message] }))
}

/// The analytics API, as the manual answers it.
fn analytics(inner: &Inner, rec: &Recorded) -> HttpResponse {
    use actix_web::http::StatusCode;
    let token = rec.token.clone().unwrap_or_default();
    if rec.method != "POST" {
        return HttpResponse::MethodNotAllowed().json(json!({ "errors": ["Method Not Allowed"] }));
    }
    match rec.path.as_str() {
        "/v1/analytics/getWabaIdsByToken" => {
            if token != ANALYTICS_TOKEN {
                return errors(StatusCode::UNAUTHORIZED, format!("Token {token} is not valid "));
            }
            HttpResponse::Ok().json(json!([
                { "wabaIds": ["246351444217940", WABA_ID, "110510358326040"], "clientId": 942 },
                { "wabaIds": ["3453453453535355"], "clientId": 2437 }
            ]))
        }
        "/v1/analytics/getPhoneNumbers" => {
            let (client, waba) = (rec.client_id.clone().unwrap_or_default(), rec.waba_id.clone().unwrap_or_default());
            if token != ANALYTICS_TOKEN || client != CLIENT_ID || waba != WABA_ID {
                return errors(
                    StatusCode::BAD_REQUEST,
                    format!("WabaId {waba} does not belong to the client {client} or the token is not valid {token}"),
                );
            }
            HttpResponse::Ok().json(json!({ "data": inner.numbers }))
        }
        "/v1/analytics/getAnalytics" => {
            if token != ANALYTICS_TOKEN {
                return errors(StatusCode::UNAUTHORIZED, format!("Token {token} is not valid "));
            }
            let text = |v: Option<&Value>| v.map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default();
            let (waba, client) = (text(rec.body.get("wabaId")), text(rec.body.get("clientId")));
            if waba != WABA_ID || client != CLIENT_ID {
                return errors(StatusCode::UNAUTHORIZED, format!("WabaId {waba} does not belong to the client {client} "));
            }
            let asked = rec.body.get("conversationAnalytics").cloned().unwrap_or(Value::Null);
            let (start, end) = (text(asked.get("conversationStart")), text(asked.get("conversationEnd")));
            for date in [&start, &end] {
                if !bsp_time(date) {
                    return errors(StatusCode::BAD_REQUEST, format!("Unparseable date: {date}"));
                }
            }
            if !["HALF_HOUR", "DAILY", "MONTHLY"].contains(&text(asked.get("granularity")).as_str()) {
                return errors(StatusCode::BAD_REQUEST, "Invalid granularity".into());
            }
            let list = |v: Option<&Value>| -> Vec<String> {
                v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
            };
            let phones = list(asked.get("phoneNumbers"));
            let filters = asked.get("filters");
            let [countries, types, directions] =
                ["countryCodes", "conversationTypes", "conversationDirections"].map(|k| list(filters.and_then(|f| f.get(k))));
            let allows = |allowed: &[String], v: &Value| allowed.is_empty() || v.as_str().is_some_and(|v| allowed.iter().any(|a| a == v));
            let found: Vec<&Value> = inner
                .data_points
                .iter()
                .filter(|p| {
                    let at = text(p.get("start"));
                    at >= start
                        && at <= end
                        && allows(&phones, &p["phone_number"])
                        && allows(&countries, &p["country"])
                        && allows(&types, &p["conversation_type"])
                        && allows(&directions, &p["conversation_direction"])
                })
                .collect();
            if found.is_empty() {
                return HttpResponse::Ok().json(json!({ "errors": ["Data not found for search criteria"] }));
            }
            HttpResponse::Ok().json(json!({ "id": WABA_ID, "conversation_analytics": { "data": [{ "data_points": found }] } }))
        }
        _ => HttpResponse::NotFound().json(json!({ "errors": ["Not Found"] })),
    }
}

impl FakeBsp {
    /// What getAnalytics searches: points in the manual's shape (`start`, `end`,
    /// `conversation`, `country`, `phone_number`, `conversation_type`, `conversation_direction`).
    pub fn set_data_points(&self, points: Vec<Value>) {
        lock(&self.inner).data_points = points;
    }

    /// What getPhoneNumbers lists.
    pub fn set_numbers(&self, numbers: Vec<Value>) {
        lock(&self.inner).numbers = numbers;
    }

    /// Requests to one analytics endpoint (`getAnalytics`, …).
    pub fn analytics_calls(&self, name: &str) -> Vec<Recorded> {
        let path = format!("/v1/analytics/{name}");
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }

    /// Serves a file at a link, as the BSP's media links are; the link.
    pub fn host_file(&self, name: &str, bytes: Vec<u8>, content_type: &str) -> String {
        lock(&self.inner).files.insert(name.to_string(), (bytes, content_type.to_string()));
        format!("{}/media/{name}", self.url)
    }

    /// Starts on a free port.
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (url, handle) = crate::fake::serve(inner.clone(), handle)?;
        Ok(Self { url, inner, handle })
    }

    /// The provider_config of an inbox that uses this BSP.
    pub fn provider_config(&self) -> Value {
        json!({ "api_url": self.url, "api_key": API_KEY, "user_id": USER_ID, "waba_id": WABA_ID })
    }

    /// Every later answer comes this long after its request arrived.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.inner).latency = latency;
    }

    /// The next calls answer these, in order, before the BSP behaves again.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        lock(&self.inner).failures.extend(failures);
    }

    /// What getTemplate lists.
    pub fn set_templates(&self, templates: Vec<Value>) {
        lock(&self.inner).templates = templates;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner).recorded.clone()
    }

    /// Send requests the BSP accepted (answered with a message id).
    pub fn accepted(&self) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.message_id.is_some()).collect()
    }

    /// Waits until `n` sends were accepted, or `timeout` passed; returns them.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        self.wait_for(n, timeout, Self::accepted).await
    }

    /// Waits until `n` requests of any kind arrived.
    pub async fn wait_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        self.wait_for(n, timeout, Self::requests).await
    }

    async fn wait_for(&self, n: usize, timeout: Duration, list: fn(&Self) -> Vec<Recorded>) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = list(self);
            if found.len() >= n || tokio::time::Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A template as getTemplate lists it.
pub fn template(name: &str, language: &str, status: &str, components: Value) -> Value {
    json!({ "name": name, "components": components, "language": language, "status": status, "category": "UTILITY", "id": format!("id-{name}-{language}") })
}
