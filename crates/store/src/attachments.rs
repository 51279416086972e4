//! Attachment rows, and installation-wide secrets (the signing key of attachment URLs).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::Attachment;
use crate::schema::{attachments, installation_secrets};
use crate::StoreResult;

/// Attachments of many messages in one query (list pages).
pub async fn of_messages(conn: &mut AsyncPgConnection, message_ids: &[i64]) -> StoreResult<Vec<Attachment>> {
    if message_ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(attachments::table
        .filter(attachments::message_id.eq_any(message_ids))
        .order(attachments::id)
        .select(Attachment::as_select())
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Option<Attachment>> {
    Ok(attachments::table.find(id).select(Attachment::as_select()).first(conn).await.optional()?)
}

/// The named secret, created from `candidate` by whichever process asks first.
pub async fn installation_secret(conn: &mut AsyncPgConnection, name: &str, candidate: &str) -> StoreResult<String> {
    diesel::insert_into(installation_secrets::table)
        .values((installation_secrets::name.eq(name), installation_secrets::value.eq(candidate)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(installation_secrets::table.find(name).select(installation_secrets::value).first(conn).await?)
}
