//! Strict bodies and lenient query strings.
//!
//! A body either parses into its payload type or is refused naming the field (422), or as
//! malformed (400), or as too large (413). Query parameters never refuse a request: what can be
//! cast is cast, the rest falls back to defaults (see conversations-list-api.txt).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload as HttpPayload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use switchboard_domain::ValidationError;

use crate::error::ApiError;
use switchboard_core::state::AppState;

/// A request body type. Rails clients may wrap the body in the resource's name (`{"label":{…}}`);
/// `WRAPPER` names that key so both spellings are accepted.
pub trait Payload: DeserializeOwned {
    const WRAPPER: Option<&'static str> = None;
}

pub struct Body<T>(pub T);

impl<T: Payload + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut HttpPayload) -> Self::Future {
        let limit = req.app_data::<web::Data<AppState>>().map(|s| s.settings.max_body_bytes).unwrap_or(1 << 20);
        let declared =
            req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move { parse_body::<T>(&read_limited(payload, declared, limit).await?).map(Body) })
    }
}

/// Whether the request's body is a multipart form (file uploads) rather than JSON.
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// The JSON body of a route that also takes multipart forms, within `limit` (413 beyond it).
pub async fn json_body<T: Payload>(req: &HttpRequest, payload: web::Payload, limit: usize) -> Result<T, ApiError> {
    let declared = req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    parse_body(&read_limited(payload.into_inner(), declared, limit).await?)
}

/// The whole body, refusing (413) anything over `limit`, early when Content-Length says so.
pub async fn read_limited(mut payload: HttpPayload, declared: Option<usize>, limit: usize) -> Result<web::BytesMut, ApiError> {
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// An empty body is an empty object, so a missing field is reported as such rather than as
/// malformed JSON.
pub fn parse_body<T: Payload>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("Malformed JSON in request body: {e}")))?
    };
    parse_value(value)
}

/// A body already read as JSON (e.g. assembled from form fields) into its payload type.
pub fn parse_value<T: Payload>(mut value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::BadRequest("The request body must be a JSON object".into()));
    }
    if let Some(field) = find_nul(&value, "") {
        return Err(ApiError::Invalid(ValidationError::invalid(
            if field.is_empty() { "body" } else { &field },
            "must not contain NUL characters",
        )));
    }
    if let Some(key) = T::WRAPPER {
        if let Some(inner) = value.get(key).filter(|v| v.is_object()).cloned() {
            value = inner;
        }
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        ApiError::Invalid(field_error(&path, &inner))
    })
}

/// PostgreSQL stores no NUL in text or jsonb: find one before it turns into a database error.
fn find_nul(value: &Value, path: &str) -> Option<String> {
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_string()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| find_nul(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| if k.contains('\0') { Some(join(k)) } else { find_nul(v, &join(k)) }),
        _ => None,
    }
}

fn field_error(path: &str, message: &str) -> ValidationError {
    let join = |leaf: &str| if path == "." || path.is_empty() { leaf.to_string() } else { format!("{path}.{leaf}") };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return ValidationError::blank(&join(name));
    }
    let field = if path == "." || path.is_empty() { "body".to_string() } else { path.to_string() };
    ValidationError::invalid(&field, message.to_string())
}

/// Query parameters, read leniently.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn from_query(query: &str) -> Self {
        // NUL cannot reach PostgreSQL; in a lenient query it is formatting to drop.
        Self(url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.replace('\0', ""), v.replace('\0', ""))).collect())
    }

    /// The first non-blank value of `name`.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).find(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`, given as `name[]=a&name[]=b`, `name=a&name=b` or `name=a,b`.
    pub fn list(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == name || *k == bracketed)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// `"3"`, `" 3 "`, `"3.7"` and `"3abc"` all read as 3; anything else as absent.
    pub fn int(&self, name: &str) -> Option<i64> {
        let raw = self.str(name)?;
        if let Ok(v) = raw.parse::<i64>() {
            return Some(v);
        }
        if let Ok(f) = raw.parse::<f64>() {
            return f.is_finite().then_some(f.trunc() as i64);
        }
        let digits: String = raw.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
        digits.parse().ok()
    }

    /// 1-based page number; anything unusable is page 1.
    pub fn page(&self) -> i64 {
        self.int("page").filter(|p| *p >= 1).unwrap_or(1).min(1_000_000)
    }
}

impl FromRequest for Params {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        std::future::ready(Ok(Self::from_query(req.query_string())))
    }
}

/// An id in a body, given as a number or a numeric string (the OpenAPI document says both).
#[derive(Debug, Clone, Copy)]
pub struct IdLike(pub i64);

impl<'de> serde::Deserialize<'de> for IdLike {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64().map(IdLike).ok_or_else(|| serde::de::Error::custom("must be an integer id")),
            Value::String(s) => s.trim().parse().map(IdLike).map_err(|_| serde::de::Error::custom("must be an integer id")),
            _ => Err(serde::de::Error::custom("must be an integer id")),
        }
    }
}

/// Distinguishes "absent" from "null" in PATCH bodies: `Some(None)` clears a column.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Sample {
        #[allow(dead_code)]
        name: String,
        #[serde(default)]
        #[allow(dead_code)]
        channel: Option<Channel>,
    }
    #[derive(Deserialize, Debug)]
    struct Channel {
        #[allow(dead_code)]
        r#type: String,
    }
    impl Payload for Sample {
        const WRAPPER: Option<&'static str> = Some("sample");
    }

    fn err_field(body: &str) -> (u16, String) {
        match parse_body::<Sample>(body.as_bytes()) {
            Err(ApiError::Invalid(v)) => (422, v.field),
            Err(ApiError::BadRequest(m)) => (400, m),
            Err(e) => (0, e.to_string()),
            Ok(_) => (200, String::new()),
        }
    }

    #[test]
    fn bodies_are_strict_and_name_fields() {
        assert_eq!(err_field(r#"{"name":"a"}"#).0, 200);
        assert_eq!(err_field(r#"{"sample":{"name":"a"}}"#).0, 200);
        assert_eq!(err_field(r#"{"name":"a","unknown":1}"#).0, 200);
        assert_eq!(err_field(r#"{}"#), (422, "name".into()));
        assert_eq!(err_field(""), (422, "name".into()));
        assert_eq!(err_field(r#"{"name":5}"#), (422, "name".into()));
        assert_eq!(err_field(r#"{"name":"a","channel":{}}"#), (422, "channel.type".into()));
        assert_eq!(err_field(r#"{"name":"a""#).0, 400);
        assert_eq!(err_field(r#"[1]"#).0, 400);
        assert_eq!(err_field(r#"{"name":"a\u0000b"}"#), (422, "name".into()));
        assert_eq!(err_field(r#"{"name":"a","channel":{"type":"x","tags":["ok","\u0000"]}}"#), (422, "channel.tags[1]".into()));
    }

    #[test]
    fn query_params_are_lenient() {
        let p = Params::from_query("page=abc&per_page=3.9&x=%20&n=12abc&neg=-2");
        assert_eq!(p.page(), 1);
        assert_eq!(p.int("per_page"), Some(3));
        assert_eq!(p.str("x"), None);
        assert_eq!(p.int("n"), Some(12));
        assert_eq!(Params::from_query("page=-4").page(), 1);
        assert_eq!(Params::from_query("page=7").page(), 7);
        assert_eq!(Params::from_query("q=a%00b").str("q"), Some("ab"));
        assert_eq!(Params::from_query("labels[]=a&labels[]=b&labels=c,d&x=1").list("labels"), vec!["a", "b", "c", "d"]);
        assert_eq!(Params::from_query("q=&q=second").str("q"), Some("second"));
        assert_eq!(Params::from_query("page=99999999999999999999").page(), 1_000_000);
    }
}
