//! Small request helpers that keep tests about behaviour rather than plumbing.

use reqwest::Method;
use serde_json::Value;

use crate::TestApp;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A request under construction.
pub struct Call<'a> {
    app: &'a TestApp,
    req: reqwest::RequestBuilder,
    method: Method,
    path: String,
}

impl TestApp {
    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call { app: self, req: self.client.request(method.clone(), self.url(path)), method, path: path.to_string() }
    }
    pub fn get(&self, path: &str) -> Call<'_> {
        self.call(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Call<'_> {
        self.call(Method::POST, path)
    }
    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call(Method::PATCH, path)
    }
    pub fn put(&self, path: &str) -> Call<'_> {
        self.call(Method::PUT, path)
    }
    pub fn delete(&self, path: &str) -> Call<'_> {
        self.call(Method::DELETE, path)
    }
}

impl<'a> Call<'a> {
    pub fn token(self, token: &str) -> Self {
        Self { req: self.req.header("api_access_token", token), ..self }
    }
    pub fn header(self, name: &str, value: &str) -> Self {
        Self { req: self.req.header(name, value), ..self }
    }
    pub fn json(self, body: &Value) -> Self {
        Self { req: self.req.json(body), ..self }
    }
    pub fn raw(self, body: impl Into<reqwest::Body>) -> Self {
        Self { req: self.req.header("content-type", "application/json").body(body), ..self }
    }

    /// Panics on transport errors: the server not answering is a failed test. So is an answer
    /// that `openapi/openapi.json` does not describe (`contract::check`).
    #[allow(clippy::expect_used)]
    pub async fn send(self) -> Reply {
        let _ = self.app;
        let resp = self.req.send().await.expect("request reached the server");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("response body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        let media = headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
        let checked = if media.contains("json") || bytes.is_empty() {
            crate::contract::check(self.method.as_str(), &self.path, status, &body)
        } else {
            crate::contract::check_media(self.method.as_str(), &self.path, status, media)
        };
        if let Err(mismatch) = checked {
            panic!("{mismatch}");
        }
        Reply { status, headers, body }
    }
}
