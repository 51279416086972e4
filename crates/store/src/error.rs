//! What a query can fail with, sorted by what the caller can do about it.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What a query can fail with, sorted by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    /// A unique constraint refused the write; the constraint name tells which field clashed.
    #[error("unique violation on {constraint}")]
    Conflict { constraint: String },
    /// A referenced row vanished between the caller's check and the write.
    #[error("foreign key violation on {constraint}")]
    Dangling { constraint: String },
    /// The database cannot be reached right now (pool timeout, connection refused, shutdown).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(DieselError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict { constraint: info.constraint_name().unwrap_or_default().to_string() }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                Self::Dangling { constraint: info.constraint_name().unwrap_or_default().to_string() }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, info) => {
                Self::Unavailable(info.message().to_string())
            }
            // The server ending our session (shutdown, restart, an administrator), or a statement
            // cut off by `statement_timeout` (a stuck lock, an overloaded server): try again later.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().starts_with("terminating connection")
                    || info.message().starts_with("the database system is")
                    || info.message().starts_with("canceling statement due to") =>
            {
                Self::Unavailable(info.message().to_string())
            }
            other => Self::Database(other),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// `Option` from a query that may find nothing.
pub trait OptionalExt<T> {
    fn optional(self) -> StoreResult<Option<T>>;
}

impl<T> OptionalExt<T> for StoreResult<T> {
    fn optional(self) -> StoreResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl From<diesel::ConnectionError> for StoreError {
    fn from(e: diesel::ConnectionError) -> Self {
        Self::Unavailable(e.to_string())
    }
}
