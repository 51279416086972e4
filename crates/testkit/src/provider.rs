//! A fake Baileys-style provider speaking the contract's HTTP API: `/status/auth`, `/media/:id`,
//! and under `/connections/:phone` connections, send-message, `on-whatsapp`,
//! `profile-picture-url` and every group route (metadata, create, participants, subject,
//! description, picture, invite code, join requests, settings, leave). It checks `x-api-key`,
//! records every request, keeps the groups it is given and changes them as the real one would,
//! and can be told to fail the next calls (any status, `409` indeterminate, `503` stalled, `421`
//! to another node). It also posts events to an inbox's webhook in the provider's envelope.

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

/// A failure the next call gets: its status and the headers that qualify it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
}

impl Failure {
    pub fn status(status: u16) -> Self {
        Self { status, headers: vec![] }
    }
    /// `409` whose outcome the provider does not know.
    pub fn indeterminate() -> Self {
        Self { status: 409, headers: vec![("x-baileys-idempotency-state", "indeterminate".into())] }
    }
    /// `503` of a send that stalled.
    pub fn stalled() -> Self {
        Self { status: 503, headers: vec![("x-baileys-send-state", "stalled".into())] }
    }
    /// `421`: another node owns the connection.
    pub fn misdirected(owner_url: &str) -> Self {
        Self { status: 421, headers: vec![("x-baileys-owner", owner_url.to_string())] }
    }
}

#[derive(Default)]
struct Inner {
    recorded: Vec<ProviderRequest>,
    failures: VecDeque<Failure>,
    groups: HashMap<String, Value>,
    invite_codes: HashMap<String, String>,
    join_requests: HashMap<String, Vec<Value>>,
    /// A participant's status for `group-participants`, other than the usual `"200"`.
    participant_status: HashMap<String, String>,
    /// Files of received messages, served at `/media/:messageId`.
    media: HashMap<String, (Vec<u8>, String)>,
    /// Pictures by JID, served (as WhatsApp's CDN does: no key) at `/pictures/<jid>`.
    pictures: HashMap<String, Vec<u8>>,
    /// This fake's own address, for the picture links it gives.
    url: String,
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
    if let Some(jid) = rec.path.strip_prefix("/pictures/").filter(|_| rec.method == "GET") {
        return match inner.pictures.get(jid) {
            Some(bytes) => HttpResponse::Ok().content_type("image/jpeg").body(bytes.clone()),
            None => not_found("no such picture"),
        };
    }
    if let Some(f) = inner.failures.pop_front() {
        let status = actix_web::http::StatusCode::from_u16(f.status).unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut answer = HttpResponse::build(status);
        for (name, value) in &f.headers {
            answer.insert_header((*name, value.as_str()));
        }
        return answer.json(json!({ "error": "Simulated", "message": format!("simulated failure {}", f.status) }));
    }
    if rec.api_key.as_deref() != Some(PROVIDER_KEY) {
        return HttpResponse::Forbidden().json(json!({ "error": "Forbidden", "message": "Invalid API key" }));
    }
    if rec.method == "GET" && rec.path == "/status/auth" {
        return HttpResponse::Ok().json(json!({ "data": { "authenticated": true } }));
    }
    if let Some(id) = rec.path.strip_prefix("/media/").filter(|_| rec.method == "GET") {
        return match inner.media.get(id) {
            Some((bytes, content_type)) => HttpResponse::Ok().content_type(content_type.as_str()).body(bytes.clone()),
            None => not_found("no such media"),
        };
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
        ("DELETE", "") => match inner.connections.remove(phone) {
            Some(_) => HttpResponse::Ok().finish(),
            None => not_found("no such connection"),
        },
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
            None => not_found("group not found"),
        },
        ("POST", "group-create") => {
            let subject = text(&rec.body, "subject");
            let people = rec.body.get("participants").and_then(Value::as_array).cloned().unwrap_or_default();
            if subject.is_empty() || subject.chars().count() > 100 || people.is_empty() {
                return unprocessable("subject (1-100) and participants (at least one) are required");
            }
            inner.next_id += 1;
            let jid = format!("12036300000000{}@g.us", inner.next_id);
            let own = format!("{}@s.whatsapp.net", phone.trim_start_matches('+'));
            let mut participants = vec![json!({ "id": own, "phoneNumber": own, "admin": "superadmin" })];
            participants.extend(people.iter().filter_map(Value::as_str).map(|p| json!({ "id": p, "phoneNumber": p, "admin": null })));
            let metadata = json!({ "id": jid, "subject": subject, "owner": own, "desc": null, "announce": false, "restrict": false,
                                   "joinApprovalMode": false, "memberAddMode": false, "size": participants.len(), "participants": participants });
            inner.groups.insert(jid, metadata.clone());
            HttpResponse::Ok().json(metadata)
        }
        ("POST", route) if route.starts_with("group-") || route == "update-profile-picture" => {
            let jid = text(&rec.body, "jid");
            if !inner.groups.contains_key(&jid) {
                return not_found("group not found");
            }
            group_change(&mut inner, route, &jid, &rec.body)
        }
        ("POST", "on-whatsapp") => {
            let jids: Vec<String> = rec
                .body
                .get("jids")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            if jids.is_empty() || jids.len() > 50 {
                return unprocessable("jids must name 1 to 50 numbers");
            }
            // Numbers ending in 0000 are not on WhatsApp here.
            HttpResponse::Ok().json(
                json!({ "data": jids.iter().map(|j| json!({ "jid": j, "exists": !user_of(j).ends_with("0000") })).collect::<Vec<_>>() }),
            )
        }
        ("GET", "profile-picture-url") => {
            let jid = query("jid");
            match inner.pictures.contains_key(&jid) {
                true => {
                    HttpResponse::Ok().json(json!({ "data": { "jid": jid, "profilePictureUrl": format!("{}/pictures/{jid}", inner.url) } }))
                }
                false => not_found("no picture"),
            }
        }
        ("GET", "group-invite-code") => {
            let jid = query("jid");
            if !inner.groups.contains_key(&jid) {
                return not_found("group not found");
            }
            let code = inner.invite_codes.entry(jid.clone()).or_insert_with(|| "InviteCode0001".into()).clone();
            HttpResponse::Ok().json(json!({ "data": { "jid": jid, "inviteCode": code } }))
        }
        ("GET", "group-request-participants-list") => {
            let jid = query("jid");
            if !inner.groups.contains_key(&jid) {
                return not_found("group not found");
            }
            HttpResponse::Ok().json(json!({ "data": inner.join_requests.get(&jid).cloned().unwrap_or_default() }))
        }
        _ => not_found("no such route"),
    }
}

fn text(body: &Value, key: &str) -> String {
    body.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn not_found(message: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "Not Found", "message": message }))
}

fn unprocessable(message: &str) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(json!({ "error": "Unprocessable Entity", "message": message }))
}

/// The JID's user part, which is how a participant is recognized whether named by number or JID.
fn user_of(jid: &str) -> &str {
    jid.split('@').next().unwrap_or(jid)
}

/// A change to an existing group, as the provider makes it.
fn group_change(inner: &mut Inner, route: &str, jid: &str, body: &Value) -> HttpResponse {
    let Some(group) = inner.groups.get(jid).cloned() else { return not_found("group not found") };
    let mut group = group;
    let answer = match route {
        "group-participants" => {
            let participant = text(body, "participant");
            let action = text(body, "action");
            let list = group["participants"].as_array().cloned().unwrap_or_default();
            let position = list.iter().position(|p| {
                [p.get("id"), p.get("phoneNumber")]
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|id| user_of(id) == user_of(&participant))
            });
            let creator = position.is_some_and(|i| list[i]["admin"] == "superadmin");
            let status = match inner.participant_status.get(&participant) {
                Some(s) => s.clone(),
                None if creator && matches!(action.as_str(), "remove" | "demote") => "406".into(),
                None => "200".into(),
            };
            if status == "200" {
                let mut list = list;
                match (action.as_str(), position) {
                    ("add", None) => list.push(json!({ "id": participant, "phoneNumber": participant, "admin": null })),
                    ("remove", Some(i)) => {
                        list.remove(i);
                    }
                    ("promote", Some(i)) => list[i]["admin"] = json!("admin"),
                    ("demote", Some(i)) => list[i]["admin"] = Value::Null,
                    ("add" | "remove" | "promote" | "demote", _) => {}
                    _ => return unprocessable("action must be add, remove, promote or demote"),
                }
                group["participants"] = json!(list);
            }
            HttpResponse::Ok().json(json!([{ "status": status, "jid": participant }]))
        }
        "group-subject" => {
            let subject = text(body, "subject");
            if subject.is_empty() || subject.chars().count() > 100 {
                return unprocessable("subject must be 1-100 characters");
            }
            group["subject"] = json!(subject);
            HttpResponse::Ok().finish()
        }
        "group-description" => {
            group["desc"] = json!(text(body, "description"));
            HttpResponse::Ok().finish()
        }
        "update-profile-picture" => {
            if text(body, "image").is_empty() {
                return unprocessable("image is required");
            }
            HttpResponse::Ok().finish()
        }
        "group-revoke-invite" => {
            inner.next_id += 1;
            let code = format!("InviteCode{:04}", inner.next_id + 1000);
            inner.invite_codes.insert(jid.to_string(), code.clone());
            HttpResponse::Ok().json(json!({ "data": { "jid": jid, "inviteCode": code } }))
        }
        "group-request-participants-update" => {
            let action = text(body, "action");
            let people: Vec<String> = body
                .get("participants")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let waiting = inner.join_requests.entry(jid.to_string()).or_default();
            waiting.retain(|r| !people.iter().any(|p| r["jid"].as_str().is_some_and(|j| user_of(j) == user_of(p))));
            if action == "approve" {
                let mut list = group["participants"].as_array().cloned().unwrap_or_default();
                list.extend(people.iter().map(|p| json!({ "id": p, "phoneNumber": p, "admin": null })));
                group["participants"] = json!(list);
            }
            HttpResponse::Ok().json(people.iter().map(|p| json!({ "status": "200", "jid": p })).collect::<Vec<_>>())
        }
        "group-setting-update" => {
            match text(body, "setting").as_str() {
                "announcement" => group["announce"] = json!(true),
                "not_announcement" => group["announce"] = json!(false),
                "locked" => group["restrict"] = json!(true),
                "unlocked" => group["restrict"] = json!(false),
                _ => return unprocessable("unknown setting"),
            }
            HttpResponse::Ok().finish()
        }
        "group-join-approval-mode" => {
            group["joinApprovalMode"] = json!(text(body, "mode") == "on");
            HttpResponse::Ok().finish()
        }
        "group-member-add-mode" => {
            group["memberAddMode"] = json!(text(body, "mode") == "all_member_add");
            HttpResponse::Ok().finish()
        }
        "group-leave" => HttpResponse::Ok().finish(),
        _ => return not_found("no such route"),
    };
    inner.groups.insert(jid.to_string(), group);
    answer
}

impl FakeProvider {
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (url, handle) = crate::fake::serve(inner.clone(), handle)?;
        lock(&inner).url = url.clone();
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
        lock(&self.inner).failures.extend(statuses.into_iter().map(Failure::status));
    }

    /// The next calls fail so, in order.
    pub fn fail_next_with(&self, failures: impl IntoIterator<Item = Failure>) {
        lock(&self.inner).failures.extend(failures);
    }

    /// The file of a received message, served at `/media/:messageId`.
    pub fn set_media(&self, message_id: &str, bytes: Vec<u8>, content_type: &str) {
        lock(&self.inner).media.insert(message_id.to_string(), (bytes, content_type.to_string()));
    }

    /// Posts an event with more in its envelope (`extra`, say) to the number's webhook.
    pub async fn deliver_with(&self, phone: &str, event: &str, data: Value, extra: Value) -> u16 {
        let Some((url, token)) = self.connection(phone) else { return 0 };
        let body = json!({ "event": event, "data": data, "extra": extra, "webhookVerifyToken": token });
        reqwest::Client::new().post(url).json(&body).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }

    /// The picture `profile-picture-url` links for this JID (a group's or a person's).
    pub fn set_picture(&self, jid: &str, bytes: Vec<u8>) {
        lock(&self.inner).pictures.insert(jid.to_string(), bytes);
    }

    /// The group as the provider has it now.
    pub fn group(&self, jid: &str) -> Option<Value> {
        lock(&self.inner).groups.get(jid).cloned()
    }

    /// Requests to join the group waiting for an admin (`{jid, phone_number, request_time}`).
    pub fn set_join_requests(&self, jid: &str, requests: Vec<Value>) {
        lock(&self.inner).join_requests.insert(jid.to_string(), requests);
    }

    /// `group-participants` answers this status for this participant (as named in the request).
    pub fn set_participant_status(&self, participant: &str, status: &str) {
        lock(&self.inner).participant_status.insert(participant.to_string(), status.to_string());
    }

    /// The requests to `action` (the path after `/connections/:phone/`).
    pub fn calls_to(&self, action: &str) -> Vec<ProviderRequest> {
        self.requests().into_iter().filter(|r| r.path.split('/').nth(3).unwrap_or_default() == action).collect()
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
