//! Attachment files on local disk, and the signed URLs that serve them.
//!
//! A URL carries its expiry and an HMAC-SHA256 of `id:expiry` under a key kept in the database
//! (created by whichever process needs it first), so every process can verify every URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use switchboard_store::models::Attachment;
use switchboard_store::DbPool;
use tokio::io::AsyncWriteExt;
use tokio::sync::OnceCell;

use crate::error::{CoreError, CoreResult};
use crate::tokens::random_token;

/// How long a rendered attachment URL stays valid.
pub const URL_TTL: Duration = Duration::from_secs(24 * 3600);

pub struct Storage {
    root: PathBuf,
    public_url: String,
    key: OnceCell<Vec<u8>>,
}

/// The attachment kind the reference derives from a MIME type.
pub fn file_type_of(content_type: &str) -> &'static str {
    match content_type.split('/').next().unwrap_or_default() {
        "image" => "image",
        "audio" => "audio",
        "video" => "video",
        _ => "file",
    }
}

/// A file name safe to use on disk: no directories, no control characters, bounded length.
pub fn safe_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().filter(|c| !c.is_control()).map(|c| if c.is_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let trimmed = cleaned.trim_start_matches('.');
    let name: String = trimmed.chars().take(120).collect();
    if name.is_empty() {
        "file".into()
    } else {
        name
    }
}

impl Storage {
    pub fn new(root: PathBuf, public_url: String) -> Self {
        Self { root, public_url, key: OnceCell::new() }
    }

    async fn key(&self, db: &DbPool) -> CoreResult<&[u8]> {
        let key = self
            .key
            .get_or_try_init(|| async {
                let mut conn = db.get().await?;
                let value = switchboard_store::attachments::installation_secret(&mut conn, "attachment_url_key", &random_token(32)).await?;
                Ok::<_, CoreError>(value.into_bytes())
            })
            .await?;
        Ok(key.as_slice())
    }

    fn mac(key: &[u8], id: i64, expires: i64) -> CoreResult<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(CoreError::internal)?;
        mac.update(format!("{id}:{expires}").as_bytes());
        Ok(mac)
    }

    /// A URL for the attachment, valid for `URL_TTL` (external media keep their own URL).
    pub async fn url(&self, db: &DbPool, a: &Attachment) -> CoreResult<String> {
        if a.storage_key.is_none() {
            return Ok(a.external_url.clone().unwrap_or_default());
        }
        let expires = Utc::now().timestamp() + URL_TTL.as_secs() as i64;
        let signature = hex::encode(Self::mac(self.key(db).await?, a.id, expires)?.finalize().into_bytes());
        Ok(format!("{}/attachments/{}/{}?expires={expires}&signature={signature}", self.public_url, a.id, safe_name(&a.file_name)))
    }

    /// Constant-time check of a URL's signature and expiry.
    pub async fn verify(&self, db: &DbPool, id: i64, expires: i64, signature: &str) -> CoreResult<bool> {
        if expires < Utc::now().timestamp() {
            return Ok(false);
        }
        let Ok(given) = hex::decode(signature) else { return Ok(false) };
        Ok(Self::mac(self.key(db).await?, id, expires)?.verify_slice(&given).is_ok())
    }

    pub fn path_of(&self, storage_key: &str) -> PathBuf {
        self.root.join(storage_key)
    }

    /// A new file for the account; returns its key and an open handle.
    pub async fn create(&self, account_id: i64, file_name: &str) -> CoreResult<(String, tokio::fs::File)> {
        let key = format!("{account_id}/{}-{}", random_token(12), safe_name(file_name));
        let path = self.path_of(&key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| CoreError::caused_by(e))?;
        }
        let file = tokio::fs::File::create(&path).await.map_err(|e| CoreError::caused_by(e))?;
        Ok((key, file))
    }

    /// A copy of a stored file under a new key (a file uploaded once and sent by many
    /// messages: each message owns its copy, so deleting one message keeps the others').
    pub async fn copy(&self, account_id: i64, storage_key: &str, file_name: &str) -> CoreResult<String> {
        let (key, file) = self.create(account_id, file_name).await?;
        drop(file);
        tokio::fs::copy(self.path_of(storage_key), self.path_of(&key)).await.map_err(|e| CoreError::caused_by(e))?;
        Ok(key)
    }

    /// Removes files of a request that did not commit.
    pub async fn discard(&self, keys: &[String]) {
        for key in keys {
            let _ = tokio::fs::remove_file(self.path_of(key)).await;
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Writes a chunk, mapping IO errors.
pub async fn write_chunk(file: &mut tokio::fs::File, chunk: &[u8]) -> CoreResult<()> {
    file.write_all(chunk).await.map_err(|e| CoreError::caused_by(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\\\x\\\\report final.pdf"), "report_final.pdf");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name(""), "file");
        assert_eq!(file_type_of("image/png"), "image");
        assert_eq!(file_type_of("application/pdf"), "file");
    }
}
