//! What an operation can fail with, in terms a caller can act on. The HTTP layer turns each into
//! its status and the reference's JSON (`switchboard_api::error`); a job logs or retries it.

use switchboard_domain::ValidationError;
use switchboard_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input cannot be read at all (a malformed delivery, say).
    #[error("{0}")]
    BadRequest(String),
    /// A peer's credential (a provider's webhook token) is wrong.
    #[error("invalid token")]
    InvalidToken,
    /// The actor may not do this.
    #[error("not authorized")]
    Forbidden,
    /// A public client's identifier lacks the proof its inbox requires (`identifier_hash`).
    #[error("{0}")]
    IdentityUnverified(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    /// The channel provider refused or failed a call made for the caller; its words are passed on.
    #[error("the provider answered: {message}")]
    Upstream { refused: bool, message: String },
    /// Something that should not happen: its cause, with the cause's own chain, and the line
    /// that turned it into an error.
    #[error("internal error at {location}: {cause:#}")]
    Internal { cause: anyhow::Error, location: &'static std::panic::Location<'static> },
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    /// The failure as a user reads it in a record (a rule's run, a macro's outcome, a scheduled
    /// message): the field and message of a refusal, `not_found` for a 404, else the error.
    pub fn reason(&self, not_found: &str) -> String {
        match self {
            Self::Invalid(v) => format!("{} {}", v.field, v.message),
            Self::NotFound => not_found.into(),
            other => other.to_string(),
        }
    }

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

impl From<StoreError> for CoreError {
    #[track_caller]
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint } => Self::Invalid(conflict_field(&constraint)),
            StoreError::Dangling { constraint } => {
                Self::Invalid(ValidationError::invalid(&constraint, "refers to a record that does not exist"))
            }
            StoreError::Unavailable(_) => Self::Unavailable,
            e @ StoreError::Database(_) => Self::caused_by(e),
        }
    }
}

/// Unique constraints are named after their table and columns; report the column the client sent.
fn conflict_field(constraint: &str) -> ValidationError {
    let field = match constraint {
        "users_email_lower_key" => "email",
        "labels_account_id_title_key" => "title",
        "teams_account_id_name_key" => "name",
        "account_users_account_id_user_id_key" => "user_id",
        "inboxes_inbox_identifier_key" => "inbox_identifier",
        "contacts_account_email_key" => "email",
        "contacts_account_phone_key" => "phone_number",
        "contacts_account_identifier_key" => "identifier",
        "contact_inboxes_inbox_id_source_id_key" => "source_id",
        "accounts_slug_key" => "slug",
        "canned_responses_short_code_key" => "short_code",
        "custom_attribute_definitions_key_key" => "attribute_key",
        other => other,
    };
    ValidationError::taken(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_the_field() {
        let e = CoreError::from(StoreError::Conflict { constraint: "users_email_lower_key".into() });
        assert!(matches!(e, CoreError::Invalid(v) if v.field == "email" && v.code == "taken"));
    }
}
