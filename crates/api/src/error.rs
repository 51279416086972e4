//! One error type for every handler, rendered in the reference's JSON shapes.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use switchboard_core::error::CoreError;
use switchboard_core::views::errors::ErrorBody;
use switchboard_domain::ValidationError;
use switchboard_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// No credentials at all.
    #[error("sign in required")]
    SignInRequired,
    #[error("invalid access token")]
    InvalidToken,
    #[error("invalid login credentials")]
    InvalidCredentials,
    /// Authenticated, but the role does not allow the action.
    #[error("not authorized")]
    Forbidden,
    /// A public client's identifier lacks the proof its inbox requires.
    #[error("{0}")]
    Unverified(&'static str),
    /// An integrator API's slug or key is missing or names nothing.
    #[error("wrong integrator credentials")]
    WrongKey,
    /// An integrator API key that was revoked.
    #[error("revoked integrator key")]
    RevokedKey,
    #[error("not found")]
    NotFound,
    /// A signed URL whose signature does not match or has expired.
    #[error("invalid signature")]
    BadSignature,
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("payload too large")]
    PayloadTooLarge(usize),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    /// The channel provider refused or failed a call made for the client; its words are passed on.
    #[error("the provider answered: {message}")]
    Upstream { refused: bool, message: String },
    /// Something that should not happen: its cause, with the cause's own chain, and the line
    /// that turned it into an answer. Logged whole; the client sees only "Internal server error".
    #[error("internal error at {location}: {cause:#}")]
    Internal { cause: anyhow::Error, location: &'static std::panic::Location<'static> },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An internal error from anything printable; `Location` is the caller's line.
    #[track_caller]
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal { cause: anyhow::anyhow!(e.to_string()), location: std::panic::Location::caller() }
    }

    /// An internal error that keeps `e` as its cause, chain included.
    #[track_caller]
    pub fn caused_by(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal { cause: anyhow::Error::new(e), location: std::panic::Location::caller() }
    }
}

impl From<StoreError> for ApiError {
    #[track_caller]
    fn from(e: StoreError) -> Self {
        CoreError::from(e).into()
    }
}

/// An operation's failure, as the HTTP layer answers it.
impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::BadRequest(m) => Self::BadRequest(m),
            CoreError::InvalidToken => Self::InvalidToken,
            CoreError::Forbidden => Self::Forbidden,
            CoreError::IdentityUnverified(message) => Self::Unverified(message),
            CoreError::NotFound => Self::NotFound,
            CoreError::Invalid(v) => Self::Invalid(v),
            CoreError::TooManyRequests { retry_after_secs } => Self::TooManyRequests { retry_after_secs },
            CoreError::Unavailable => Self::Unavailable,
            CoreError::Upstream { refused, message } => Self::Upstream { refused, message },
            CoreError::Internal { cause, location } => Self::Internal { cause, location },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::SignInRequired | Self::InvalidToken | Self::InvalidCredentials | Self::Forbidden | Self::Unverified(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::WrongKey => StatusCode::UNAUTHORIZED,
            Self::RevokedKey => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadSignature => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream { refused: true, .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Upstream { refused: false, .. } => StatusCode::BAD_GATEWAY,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::BadRequest(m) => ErrorBody::error(m.clone()),
            Self::SignInRequired => {
                ErrorBody::Errors { success: None, errors: vec!["You need to sign in or sign up before continuing.".into()] }
            }
            Self::InvalidToken => ErrorBody::error("Invalid Access Token"),
            Self::InvalidCredentials => {
                ErrorBody::Errors { success: Some(false), errors: vec!["Invalid login credentials. Please try again.".into()] }
            }
            Self::Forbidden => ErrorBody::error("You are not authorized to do this action"),
            Self::Unverified(message) => ErrorBody::error(*message),
            Self::WrongKey => ErrorBody::error("Unauthorized: the account login (slug) and API key do not match"),
            Self::RevokedKey => ErrorBody::error("Forbidden: this API key was revoked"),
            Self::NotFound => ErrorBody::error("Resource could not be found"),
            Self::BadSignature => ErrorBody::error("This link is invalid or has expired"),
            Self::Invalid(v) => ErrorBody::invalid(v, format!("{} {}", humanize(&v.field), v.message)),
            Self::PayloadTooLarge(limit) => ErrorBody::error(format!("Request body is larger than {limit} bytes")),
            Self::TooManyRequests { .. } => ErrorBody::error("Too many attempts. Please try again later."),
            Self::Unavailable => ErrorBody::error("Service temporarily unavailable, please retry"),
            Self::Upstream { message, .. } => {
                ErrorBody::Error { error: format!("The WhatsApp provider answered: {message}"), provider_error: Some(message.clone()) }
            }
            Self::Internal { cause, location } => {
                tracing::error!(error = format!("{cause:#}"), at = %location, "internal error");
                ErrorBody::error("Internal server error")
            }
        };
        let mut resp = HttpResponse::build(self.status_code());
        match self {
            Self::TooManyRequests { retry_after_secs } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unavailable => {
                resp.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        resp.json(body)
    }
}

/// `channel.webhook_url` → `Channel webhook url`, as Rails words full messages.
fn humanize(field: &str) -> String {
    let words = field.replace(['.', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_chain_and_the_line_that_raised_them() {
        fn query() -> Result<(), StoreError> {
            Err(StoreError::Database(diesel::result::Error::QueryBuilderError("the pool ran dry".into())))
        }
        let raised = line!() + 1;
        let handler = || -> ApiResult<()> { Ok(query()?) };
        let err = handler().err();
        let Some(ApiError::Internal { cause, location }) = &err else { panic!("{err:?}") };
        assert_eq!((location.file(), location.line()), (file!(), raised), "where it arose");
        let logged = format!("{cause:#}");
        assert!(logged.contains("database error") && logged.contains("the pool ran dry"), "{logged}");
        // The client still sees today's JSON, without the cause.
        let answer = err.map(|e| e.error_response());
        assert_eq!(answer.map(|r| r.status()), Some(StatusCode::INTERNAL_SERVER_ERROR));
    }

    #[test]
    fn humanizes_field_paths() {
        assert_eq!(humanize("channel.webhook_url"), "Channel webhook url");
        assert_eq!(humanize("email"), "Email");
    }
}
