//! Audit log entries: appended in the transaction of the change they record, listed newest
//! first. There is no update or delete (the table refuses updates).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{AuditLog, NewAuditLog};
use crate::schema::audit_logs;
use crate::StoreResult;

pub async fn append(conn: &mut AsyncPgConnection, rows: &[NewAuditLog]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(audit_logs::table).values(rows).execute(conn).await?;
    Ok(())
}

/// A page of the account's entries, newest first, and their total.
pub async fn page(conn: &mut AsyncPgConnection, account_id: i64, page: i64, per_page: i64) -> StoreResult<(Vec<AuditLog>, i64)> {
    let total = audit_logs::table.filter(audit_logs::account_id.eq(account_id)).count().get_result(conn).await?;
    let list = audit_logs::table
        .filter(audit_logs::account_id.eq(account_id))
        .order(audit_logs::id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(AuditLog::as_select())
        .load(conn)
        .await?;
    Ok((list, total))
}
