//! Canned responses as the API shows them.

use serde::Serialize;
use switchboard_store::models::CannedResponse;

#[derive(Debug, Serialize)]
pub struct CannedView {
    pub id: i64,
    pub account_id: i64,
    pub short_code: String,
    pub content: String,
    /// ISO 8601, as the reference's document gives them.
    pub created_at: String,
    pub updated_at: String,
}

impl From<CannedResponse> for CannedView {
    fn from(c: CannedResponse) -> Self {
        Self {
            id: c.id,
            account_id: c.account_id,
            short_code: c.short_code,
            content: c.content,
            created_at: c.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: c.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}
