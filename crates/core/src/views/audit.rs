//! Audit log entries as the API lists them.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::AuditLog;

#[derive(Debug, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub auditable_id: Option<i64>,
    pub auditable_type: String,
    pub auditable: Value,
    pub associated_id: i64,
    pub associated_type: &'static str,
    pub user_id: Option<i64>,
    pub user_type: Option<String>,
    pub username: Option<String>,
    pub action: String,
    pub audited_changes: Value,
    pub version: i64,
    pub comment: Option<String>,
    pub request_uuid: Option<String>,
    pub created_at: i64,
    pub remote_address: Option<String>,
}

impl From<AuditLog> for EntryView {
    fn from(a: AuditLog) -> Self {
        Self {
            id: a.id,
            auditable_id: a.auditable_id,
            auditable_type: a.auditable_type,
            auditable: Value::Null,
            associated_id: a.account_id,
            associated_type: "Account",
            user_id: a.user_id,
            user_type: a.user_type,
            username: a.username,
            action: a.action,
            audited_changes: a.audited_changes,
            version: 1,
            comment: None,
            request_uuid: None,
            created_at: a.created_at.timestamp(),
            remote_address: a.remote_address,
        }
    }
}

/// A page of the audit log, as the reference answers it.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub per_page: i64,
    pub total_entries: i64,
    pub current_page: i64,
    pub audit_logs: Vec<EntryView>,
}
