//! Integrators' API keys as the API shows them: the key itself only once, when made.

use serde::Serialize;
use switchboard_store::models::ApiKey;

/// A key as lists show it: never the key itself.
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    pub id: i64,
    pub name: String,
    /// `sbk_…` and the key's last four characters.
    pub key: String,
    pub created_at: i64,
}

impl From<&ApiKey> for KeyView {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id, name: k.name.clone(), key: format!("sbk_••••••••{}", k.last_four), created_at: k.created_at.timestamp()
        }
    }
}
