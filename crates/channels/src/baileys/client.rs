//! HTTP calls to the provider.

use std::time::Duration;

use serde_json::{json, Value};

use crate::channel::SendError;
use crate::guard::{self, Blocked, Guard};
use switchboard_domain::groups::GroupSetting;

/// A call the provider did not answer with success. For the REST caller any of these is "the
/// provider is unavailable" (422), with what it said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the WhatsApp provider answered {status:?}: {message}")]
pub struct ProviderError {
    pub status: Option<u16>,
    pub message: String,
}

impl From<Blocked> for ProviderError {
    fn from(b: Blocked) -> Self {
        Self { status: None, message: format!("the provider address {b}") }
    }
}

/// One inbox's connection at the provider.
#[derive(Debug, Clone, Copy)]
pub struct Connection<'a> {
    pub provider_url: &'a str,
    pub api_key: &'a str,
    /// E.164, as the provider's routes want it.
    pub phone: &'a str,
}

impl Connection<'_> {
    fn url(&self, path: &str) -> String {
        let base = format!("{}/connections/{}", self.provider_url.trim_end_matches('/'), self.phone);
        if path.is_empty() {
            base
        } else {
            format!("{base}/{path}")
        }
    }
}

pub use crate::groups::{GroupMetadata, JoinRequest, Participant};

/// Why a call got no answer to read.
enum Failure {
    Blocked(Blocked),
    Unreachable(String),
}

impl From<Failure> for ProviderError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Blocked(b) => b.into(),
            Failure::Unreachable(message) => Self { status: None, message },
        }
    }
}

/// One call: its method, path under the connection, query and JSON body.
struct Call<'a> {
    method: reqwest::Method,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    body: Option<&'a Value>,
}

impl<'a> Call<'a> {
    fn get(path: &'a str, query: &'a [(&'a str, &'a str)]) -> Self {
        Self { method: reqwest::Method::GET, path, query, body: None }
    }
    fn post(path: &'a str, body: &'a Value) -> Self {
        Self { method: reqwest::Method::POST, path, query: &[], body: Some(body) }
    }
}

fn read<T: serde::de::DeserializeOwned>(body: &str, what: &str) -> Result<T, ProviderError> {
    serde_json::from_str(body).map_err(|_| ProviderError { status: Some(200), message: format!("{what} could not be read") })
}

/// `{data:{jid, inviteCode}}`.
fn invite_code_of(body: &str) -> Result<String, ProviderError> {
    let answer: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    answer
        .pointer("/data/inviteCode")
        .or_else(|| answer.get("inviteCode"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ProviderError { status: Some(200), message: "the invite code could not be read".into() })
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    guard: Guard,
}

fn unreachable(e: &reqwest::Error) -> String {
    guard::failure("the WhatsApp provider", e)
}

/// The provider's `message` (or `error`) as one line, or the body's beginning.
fn describe(status: reqwest::StatusCode, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let said = parsed.as_ref().and_then(|v| v.get("message").or_else(|| v.get("error"))).and_then(Value::as_str).map(str::to_string);
    format!("{} {}", status.as_u16(), said.unwrap_or_else(|| body.chars().take(300).collect()).trim())
}

impl Client {
    pub fn new(timeout: Duration, guard: Guard) -> Result<Self, reqwest::Error> {
        Ok(Self { http: guard.client(timeout)?, guard })
    }

    /// A request to the provider at `base` (the inbox's provider URL, or the node a 421 named),
    /// unless its address is one we may not call.
    fn request(&self, base: &str, call: &Call<'_>, c: &Connection<'_>) -> Result<reqwest::RequestBuilder, Blocked> {
        let at = Connection { provider_url: base, ..*c };
        let url = self.guard.check_url(&at.url(call.path))?;
        let mut req = self.http.request(call.method.clone(), url).header("x-api-key", c.api_key);
        if !call.query.is_empty() {
            req = req.query(call.query);
        }
        if let Some(body) = call.body {
            req = req.json(body);
        }
        Ok(req)
    }

    /// Sends a call. In cluster mode a node that does not own the connection answers 421 with
    /// the owner in `x-baileys-owner`: the same call goes there, once.
    async fn respond(&self, call: &Call<'_>, c: &Connection<'_>) -> Result<reqwest::Response, Failure> {
        let mut base = c.provider_url.to_string();
        for _ in 0..2 {
            let res =
                self.request(&base, call, c).map_err(Failure::Blocked)?.send().await.map_err(|e| Failure::Unreachable(unreachable(&e)))?;
            let owner = res.headers().get("x-baileys-owner").and_then(|v| v.to_str().ok()).map(str::to_string);
            match owner {
                Some(owner) if res.status() == reqwest::StatusCode::MISDIRECTED_REQUEST && owner != base => base = owner,
                _ => return Ok(res),
            }
        }
        Err(Failure::Unreachable("421: the connection's owner kept redirecting".into()))
    }

    /// A call's body on success; any other answer is the provider's error.
    async fn call(&self, call: Call<'_>, c: &Connection<'_>) -> Result<String, ProviderError> {
        let res = self.respond(&call, c).await.map_err(ProviderError::from)?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(ProviderError { status: Some(status.as_u16()), message: describe(status, &body) });
        }
        Ok(body)
    }

    /// Opens the number's connection, pointing the provider's events at `webhook_url`.
    /// `groups_enabled`: off, the provider sends group activity summaries instead of messages.
    pub async fn connect(
        &self,
        c: &Connection<'_>,
        client_name: &str,
        webhook_url: &str,
        verify_token: &str,
        groups_enabled: bool,
    ) -> Result<(), ProviderError> {
        let body = json!({
            "clientName": client_name,
            "webhookUrl": webhook_url,
            "webhookVerifyToken": verify_token,
            "includeMedia": false,
            "groupsEnabled": groups_enabled,
            "syncFullHistory": false,
        });
        self.call(Call::post("", &body), c).await.map(|_| ())
    }

    /// Closes the number's connection; one the provider no longer has (404) is closed already.
    pub async fn disconnect(&self, c: &Connection<'_>) -> Result<(), ProviderError> {
        match self.call(Call { method: reqwest::Method::DELETE, path: "", query: &[], body: None }, c).await {
            Err(ProviderError { status: Some(404), .. }) | Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sends one message; the provider's id for it (`data.key.id`).
    /// `idempotency` (`<message id>:<updated_at>`) lets the provider drop a repeat of a send
    /// whose answer we lost.
    pub async fn send(&self, c: &Connection<'_>, jid: &str, content: &Value, idempotency: &str) -> Result<Option<String>, SendError> {
        let body = json!({ "jid": jid, "messageContent": content, "chatwootMessageId": idempotency });
        let res = match self.respond(&Call::post("send-message", &body), c).await {
            Ok(res) => res,
            // An address we may not call stays one: no retry will help.
            Err(Failure::Blocked(b)) => return Err(SendError::Rejected(format!("the provider address {b}"))),
            Err(Failure::Unreachable(reason)) => return Err(SendError::Retryable(reason)),
        };
        let status = res.status();
        let indeterminate = res.headers().get("x-baileys-idempotency-state").is_some_and(|v| v == "indeterminate");
        let body = res.text().await.map_err(|_| SendError::Retryable(format!("{} with an unreadable body", status.as_u16())))?;
        // 409: the provider is already sending it (or its outcome is unknown): asking again with
        // the same idempotency key is how to learn the outcome. 5xx (including a stalled 503 and a
        // 504) and 429 may work later; other 4xx (not connected, too large, invalid) will not.
        let retryable =
            status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS || status == reqwest::StatusCode::CONFLICT;
        if retryable || indeterminate {
            return Err(SendError::Retryable(describe(status, &body)));
        }
        if !status.is_success() {
            return Err(SendError::Rejected(describe(status, &body)));
        }
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        Ok(parsed.pointer("/data/key/id").and_then(Value::as_str).map(str::to_string))
    }

    /// The file of a message the provider received (`GET {provider_url}/media/:messageId`).
    pub async fn media(&self, c: &Connection<'_>, message_id: &str, limit: usize) -> Result<crate::media::Downloaded, SendError> {
        let id: String = url::form_urlencoded::byte_serialize(message_id.as_bytes()).collect();
        let raw = format!("{}/media/{id}", c.provider_url.trim_end_matches('/'));
        let url = self.guard.check_url(&raw).map_err(|b| SendError::Rejected(format!("the provider address {b}")))?;
        crate::media::fetch(self.http.get(url).header("x-api-key", c.api_key), "the WhatsApp provider", limit).await
    }

    /// Where a group's or person's picture is (`profile-picture-url`); `None` when they have
    /// none we may see.
    pub async fn picture_url(&self, c: &Connection<'_>, jid: &str) -> Result<Option<String>, ProviderError> {
        let body = match self.call(Call::get("profile-picture-url", &[("jid", jid), ("type", "image")]), c).await {
            Ok(body) => body,
            Err(ProviderError { status: Some(404), .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        Ok(answer.pointer("/data/profilePictureUrl").and_then(Value::as_str).filter(|u| !u.is_empty()).map(str::to_string))
    }

    /// A picture at the address `picture_url` gave (WhatsApp's CDN: no credentials).
    pub async fn picture(&self, url: &str, limit: usize) -> Result<crate::media::Downloaded, SendError> {
        let url = self.guard.check_url(url).map_err(|b| SendError::Rejected(format!("the picture address {b}")))?;
        crate::media::fetch(self.http.get(url), "WhatsApp", limit).await
    }

    /// A group's subject, settings and participants.
    pub async fn group_metadata(&self, c: &Connection<'_>, jid: &str) -> Result<GroupMetadata, ProviderError> {
        let body = self.call(Call::get("group-metadata", &[("jid", jid)]), c).await?;
        read(&body, "the group metadata")
    }

    /// Creates a group with us as its creator; the provider's metadata of it.
    pub async fn create_group(&self, c: &Connection<'_>, subject: &str, participants: &[String]) -> Result<GroupMetadata, ProviderError> {
        let body = self.call(Call::post("group-create", &json!({ "subject": subject, "participants": participants })), c).await?;
        read(&body, "the created group")
    }

    /// Adds, removes, promotes or demotes one participant. The provider answers a status per
    /// participant (`"200"`, or `"406"` for the group's creator, who cannot be changed), which
    /// is returned as it came.
    pub async fn participant(&self, c: &Connection<'_>, jid: &str, participant: &str, action: &str) -> Result<String, ProviderError> {
        let body = json!({ "jid": jid, "participant": participant, "action": action });
        let answer: Value = serde_json::from_str(&self.call(Call::post("group-participants", &body), c).await?).unwrap_or(Value::Null);
        let list = answer.get("data").unwrap_or(&answer);
        let status = list.as_array().and_then(|l| l.first()).and_then(|p| p.get("status")).map(|s| match s {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        Ok(status.unwrap_or_else(|| "200".into()))
    }

    pub async fn set_subject(&self, c: &Connection<'_>, jid: &str, subject: &str) -> Result<(), ProviderError> {
        self.call(Call::post("group-subject", &json!({ "jid": jid, "subject": subject })), c).await.map(|_| ())
    }

    pub async fn set_description(&self, c: &Connection<'_>, jid: &str, description: &str) -> Result<(), ProviderError> {
        self.call(Call::post("group-description", &json!({ "jid": jid, "description": description })), c).await.map(|_| ())
    }

    /// Sets the group's picture from an image's bytes, base64-encoded.
    pub async fn set_picture(&self, c: &Connection<'_>, jid: &str, image_base64: &str) -> Result<(), ProviderError> {
        self.call(Call::post("update-profile-picture", &json!({ "jid": jid, "image": image_base64 })), c).await.map(|_| ())
    }

    /// The group's current invite code.
    pub async fn invite_code(&self, c: &Connection<'_>, jid: &str) -> Result<String, ProviderError> {
        let body = self.call(Call::get("group-invite-code", &[("jid", jid)]), c).await?;
        invite_code_of(&body)
    }

    /// Revokes the group's invite link; the new code.
    pub async fn revoke_invite(&self, c: &Connection<'_>, jid: &str) -> Result<String, ProviderError> {
        let body = self.call(Call::post("group-revoke-invite", &json!({ "jid": jid })), c).await?;
        invite_code_of(&body)
    }

    /// The requests to join the group that wait for an admin. A 403 means we may not see them
    /// (we are not an admin): none, as far as we can tell.
    pub async fn join_requests(&self, c: &Connection<'_>, jid: &str) -> Result<Vec<JoinRequest>, ProviderError> {
        let body = match self.call(Call::get("group-request-participants-list", &[("jid", jid)]), c).await {
            Ok(body) => body,
            Err(ProviderError { status: Some(403), .. }) => return Ok(vec![]),
            Err(e) => return Err(e),
        };
        let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let list = answer.get("data").unwrap_or(&answer);
        Ok(list.as_array().map(|l| l.iter().filter_map(JoinRequest::read).collect()).unwrap_or_default())
    }

    /// Approves or rejects requests to join.
    pub async fn handle_join_requests(
        &self,
        c: &Connection<'_>,
        jid: &str,
        participants: &[String],
        action: &str,
    ) -> Result<(), ProviderError> {
        let body = json!({ "jid": jid, "participants": participants, "action": action });
        self.call(Call::post("group-request-participants-update", &body), c).await.map(|_| ())
    }

    /// One of the group's settings, in the provider's words for it.
    pub async fn set_setting(&self, c: &Connection<'_>, jid: &str, setting: &GroupSetting) -> Result<(), ProviderError> {
        let (path, body) = match *setting {
            GroupSetting::Announce(on) => {
                ("group-setting-update", json!({ "jid": jid, "setting": if on { "announcement" } else { "not_announcement" } }))
            }
            GroupSetting::Restrict(on) => {
                ("group-setting-update", json!({ "jid": jid, "setting": if on { "locked" } else { "unlocked" } }))
            }
            GroupSetting::JoinApproval(on) => ("group-join-approval-mode", json!({ "jid": jid, "mode": if on { "on" } else { "off" } })),
            GroupSetting::MemberAdd(all) => {
                ("group-member-add-mode", json!({ "jid": jid, "mode": if all { "all_member_add" } else { "admin_add" } }))
            }
        };
        self.call(Call::post(path, &body), c).await.map(|_| ())
    }

    /// Our number leaves the group.
    pub async fn leave(&self, c: &Connection<'_>, jid: &str) -> Result<(), ProviderError> {
        self.call(Call::post("group-leave", &json!({ "jid": jid })), c).await.map(|_| ())
    }
}
