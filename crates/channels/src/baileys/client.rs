//! HTTP calls to the provider.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::aldeamo::SendError;
use crate::guard::{self, Blocked, Guard};

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

/// A group as `group-metadata` describes it (no `data` wrapper).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupMetadata {
    pub id: String,
    pub subject: String,
    pub owner: Option<String>,
    pub owner_pn: Option<String>,
    pub desc: Option<String>,
    pub restrict: bool,
    pub announce: bool,
    pub join_approval_mode: bool,
    pub member_add_mode: bool,
    pub participants: Vec<Participant>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Participant {
    pub id: String,
    pub phone_number: Option<String>,
    pub admin: Option<String>,
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

    /// A request to the provider, unless its address is one we may not call.
    fn request(&self, method: reqwest::Method, c: &Connection<'_>, path: &str) -> Result<reqwest::RequestBuilder, Blocked> {
        let url = self.guard.check_url(&c.url(path))?;
        Ok(self.http.request(method, url).header("x-api-key", c.api_key))
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<String, ProviderError> {
        let res = req.send().await.map_err(|e| ProviderError { status: None, message: unreachable(&e) })?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(ProviderError { status: Some(status.as_u16()), message: describe(status, &body) });
        }
        Ok(body)
    }

    /// Opens the number's connection, pointing the provider's events at `webhook_url`.
    pub async fn connect(&self, c: &Connection<'_>, client_name: &str, webhook_url: &str, verify_token: &str) -> Result<(), ProviderError> {
        let body = json!({
            "clientName": client_name,
            "webhookUrl": webhook_url,
            "webhookVerifyToken": verify_token,
            "includeMedia": false,
            "groupsEnabled": true,
            "syncFullHistory": false,
        });
        self.call(self.request(reqwest::Method::POST, c, "")?.json(&body)).await.map(|_| ())
    }

    /// Sends one message; the provider's id for it (`data.key.id`).
    /// `idempotency` (`<message id>:<updated_at>`) lets the provider drop a repeat of a send
    /// whose answer we lost.
    pub async fn send(&self, c: &Connection<'_>, jid: &str, content: &Value, idempotency: &str) -> Result<Option<String>, SendError> {
        let body = json!({ "jid": jid, "messageContent": content, "chatwootMessageId": idempotency });
        let res = self
            .request(reqwest::Method::POST, c, "send-message")
            .map_err(|b| SendError::Rejected(format!("the provider address {b}")))?
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Retryable(unreachable(&e)))?;
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

    /// A group's subject, settings and participants.
    pub async fn group_metadata(&self, c: &Connection<'_>, jid: &str) -> Result<GroupMetadata, ProviderError> {
        let body = self.call(self.request(reqwest::Method::GET, c, "group-metadata")?.query(&[("jid", jid)])).await?;
        serde_json::from_str(&body).map_err(|_| ProviderError { status: Some(200), message: "the group metadata could not be read".into() })
    }
}
