//! The reference's error bodies: `{"error": …}` for most refusals, `{"errors": […]}` for
//! Devise's sign-in answers, and `{message, attributes, errors}` for a rejected field. The HTTP
//! layer chooses the status and the body; these are the shapes it may answer with.

use serde::Serialize;
use switchboard_domain::ValidationError;

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ErrorBody {
    /// `{"error": "…"}`; a provider's refusal also passes the provider's own words on.
    Error {
        error: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        provider_error: Option<String>,
    },
    /// `{"errors": ["…"]}`, with `"success": false` where Devise adds it.
    Errors {
        #[serde(skip_serializing_if = "Option::is_none")]
        success: Option<bool>,
        errors: Vec<String>,
    },
    /// A rejected field: the full message, the field, and the error with its code.
    Invalid { message: String, attributes: Vec<String>, errors: Vec<ValidationError> },
}

impl ErrorBody {
    pub fn error(message: impl Into<String>) -> Self {
        Self::Error { error: message.into(), provider_error: None }
    }

    /// `full_message` is the field and message as Rails words them (`Channel webhook url is …`).
    pub fn invalid(v: &ValidationError, full_message: String) -> Self {
        Self::Invalid { message: full_message, attributes: vec![v.field.clone()], errors: vec![v.clone()] }
    }
}
