//! Files uploaded ahead of the messages that will carry them (automation and macro
//! attachments, scheduled messages).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::Upload;
use crate::schema::uploads;
use crate::StoreResult;

pub async fn create(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    storage_key: &str,
    file_name: &str,
    content_type: &str,
    size: i64,
) -> StoreResult<Upload> {
    Ok(diesel::insert_into(uploads::table)
        .values((
            uploads::account_id.eq(account_id),
            uploads::storage_key.eq(storage_key),
            uploads::file_name.eq(file_name),
            uploads::content_type.eq(content_type),
            uploads::size.eq(size),
        ))
        .returning(Upload::as_returning())
        .get_result(conn)
        .await?)
}

/// The account's uploads among `ids`, in the order given (unknown ids left out).
pub async fn of_account(conn: &mut AsyncPgConnection, account_id: i64, ids: &[i64]) -> StoreResult<Vec<Upload>> {
    let found: Vec<Upload> = uploads::table
        .filter(uploads::account_id.eq(account_id))
        .filter(uploads::id.eq_any(ids))
        .select(Upload::as_select())
        .load(conn)
        .await?;
    Ok(ids.iter().filter_map(|id| found.iter().find(|u| u.id == *id).cloned()).collect())
}
