//! HTTP calls to the BSP. Every call carries the `ApiKey` and `UserId` headers.

use std::time::Duration;

use serde_json::Value;
use switchboard_domain::whatsapp::ProviderConfig;

use super::outbound::Request;
use crate::channel::{SendError, TemplateListing};
use crate::guard::{self, Blocked, Guard};

impl From<Blocked> for BspError {
    fn from(b: Blocked) -> Self {
        Self { status: None, message: format!("the BSP address {b}") }
    }
}

/// A template API call that failed, with what the BSP said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the BSP answered {status:?}: {message}")]
pub struct BspError {
    pub status: Option<u16>,
    pub message: String,
}

#[derive(Clone)]
pub struct Client {
    pub(super) http: reqwest::Client,
    pub(super) guard: Guard,
}

/// The BSP's `errors` list as one line, or the body's beginning when it has none.
pub(super) fn describe(status: reqwest::StatusCode, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let errors = parsed.as_ref().and_then(|v| v.get("errors")).map(|e| match e {
        Value::Array(list) => {
            list.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>().join("; ")
        }
        other => other.as_str().map(str::to_string).unwrap_or_else(|| other.to_string()),
    });
    let message = parsed.as_ref().and_then(|v| v.get("message").or_else(|| v.get("reason"))).and_then(Value::as_str).map(str::to_string);
    let text = errors.or(message).unwrap_or_else(|| body.chars().take(300).collect());
    format!("{} {}", status.as_u16(), text.trim())
}

fn endpoint(cfg: &ProviderConfig, path: &str) -> String {
    format!("{}/v1/apikey/{path}", cfg.api_url.trim_end_matches('/'))
}

impl Client {
    pub fn new(timeout: Duration, guard: Guard) -> Result<Self, reqwest::Error> {
        Ok(Self { http: guard.client(timeout)?, guard })
    }

    /// A request to the BSP, unless its address is one we may not call.
    fn authed(&self, method: reqwest::Method, cfg: &ProviderConfig, path: &str) -> Result<reqwest::RequestBuilder, Blocked> {
        let url = self.guard.check_url(&endpoint(cfg, path))?;
        Ok(self.http.request(method, url).header("ApiKey", &cfg.api_key).header("UserId", &cfg.user_id))
    }

    /// A file the BSP linked in a webhook (its links expire: fetch it soon).
    pub async fn media(&self, link: &str, limit: usize) -> Result<crate::media::Downloaded, SendError> {
        let url = self.guard.check_url(link).map_err(|b| SendError::Rejected(format!("the media address {b}")))?;
        crate::media::fetch(self.http.get(url), "the BSP", limit).await
    }

    /// Sends one message; the BSP's message id on success (`messageId`, or `messages[0].id`
    /// as the media endpoints answer).
    pub async fn send(&self, cfg: &ProviderConfig, req: &Request) -> Result<Option<String>, SendError> {
        let path = format!("{}/bsp/send", req.service);
        let request = self.authed(reqwest::Method::POST, cfg, &path).map_err(|b| SendError::Rejected(format!("the BSP address {b}")))?;
        let res = request.json(&req.body).send().await.map_err(|e| SendError::Retryable(guard::failure("the BSP", &e)))?;
        let status = res.status();
        let body = res.text().await.map_err(|_| SendError::Retryable(format!("{} with an unreadable body", status.as_u16())))?;
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SendError::Retryable(describe(status, &body)));
        }
        if !status.is_success() {
            return Err(SendError::Rejected(describe(status, &body)));
        }
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let id = parsed
            .get("messageId")
            .and_then(Value::as_str)
            .or_else(|| parsed.get("messages").and_then(|m| m.get(0)).and_then(|m| m.get("id")).and_then(Value::as_str));
        Ok(id.map(str::to_string))
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Value, BspError> {
        let res = req.send().await.map_err(|e| BspError { status: None, message: guard::failure("the BSP", &e) })?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(BspError { status: Some(status.as_u16()), message: describe(status, &body) });
        }
        serde_json::from_str(&body)
            .map_err(|_| BspError { status: Some(status.as_u16()), message: "the BSP answered with invalid JSON".into() })
    }

    /// getTemplate: the WABA's templates, at most `limit`.
    pub async fn templates(&self, cfg: &ProviderConfig, limit: u32) -> Result<Vec<TemplateListing>, BspError> {
        let req = self
            .authed(reqwest::Method::GET, cfg, "template/getTemplate")?
            .query(&[("limit", limit.to_string()), ("wabaid", cfg.waba_id.clone())]);
        let body = self.call(req).await?;
        let list = body.get("data").and_then(|d| d.get("templates")).and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(list
            .iter()
            .filter_map(|t| {
                let text = |k: &str| t.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
                Some(TemplateListing {
                    id: text("id"),
                    name: text("name")?,
                    language: text("language")?,
                    status: text("status").unwrap_or_else(|| "PENDING".into()),
                    category: text("category"),
                    components: t.get("components").cloned().unwrap_or(Value::Array(vec![])),
                })
            })
            .collect())
    }

    /// createTemplate: the new template's id.
    pub async fn create_template(&self, cfg: &ProviderConfig, body: &Value) -> Result<Option<String>, BspError> {
        let mut body = body.clone();
        body["wabaId"] = Value::String(cfg.waba_id.clone());
        let answer = self.call(self.authed(reqwest::Method::POST, cfg, "template/createTemplate")?.json(&body)).await?;
        Ok(answer.get("id").and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string()))))
    }

    /// deleteTemplate by name.
    pub async fn delete_template(&self, cfg: &ProviderConfig, name: &str) -> Result<(), BspError> {
        let req = self
            .authed(reqwest::Method::DELETE, cfg, "template/deleteTemplate")?
            .query(&[("nameTemplate", name), ("wabaid", cfg.waba_id.as_str())]);
        let answer = self.call(req).await?;
        if answer.get("success").and_then(Value::as_bool) == Some(false) {
            return Err(BspError { status: Some(200), message: "the BSP did not delete the template".into() });
        }
        Ok(())
    }
}
