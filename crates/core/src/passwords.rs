//! Password hashing (Argon2id), off the async executor.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{CoreError, CoreResult};

/// Argon2id is CPU-heavy, so it runs on the blocking pool, never on the async executor.
pub async fn hash_password(password: String) -> CoreResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(CoreError::internal)?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(CoreError::internal)
    })
    .await
    .map_err(|e| CoreError::caused_by(e))?
}

/// Verifies against a stored hash. With no hash (unknown user, or no password set) it still does
/// the work of a verification, so timing does not reveal which emails exist.
pub async fn verify_password(password: String, hash: Option<String>) -> CoreResult<bool> {
    tokio::task::spawn_blocking(move || {
        let argon = Argon2::default();
        match hash.as_deref().map(PasswordHash::new) {
            Some(Ok(parsed)) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            _ => {
                let salt = SaltString::encode_b64(&[0u8; 16]).ok();
                if let Some(salt) = salt {
                    let _ = argon.hash_password(password.as_bytes(), &salt);
                }
                false
            }
        }
    })
    .await
    .map_err(|e| CoreError::caused_by(e))
}
