//! A refused field: its path, a code and a message, as 422 answers name them.

use serde::Serialize;

/// A rejected field, reported to the client as a 422 that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field} {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
    pub code: &'static str,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), code }
    }

    pub fn blank(field: &str) -> Self {
        Self::new(field, "blank", "can't be blank")
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(field, "invalid", message)
    }

    pub fn taken(field: &str) -> Self {
        Self::new(field, "taken", "has already been taken")
    }

    pub fn too_long(field: &str, max: usize) -> Self {
        Self::new(field, "too_long", format!("is too long (maximum is {max} characters)"))
    }
}
