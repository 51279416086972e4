//! Random tokens and their digests: a leaf module, so anything (storage, auth, operations) may
//! make a token without depending on the request machinery.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random token, hex encoded: `bytes` of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Session tokens are stored hashed: a database leak must not yield live sessions.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
