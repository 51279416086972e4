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

/// The file of an attachment is in our storage now: its key, real type and size; a failure
/// recorded by an earlier attempt goes.
pub async fn stored(conn: &mut AsyncPgConnection, id: i64, key: &str, content_type: &str, size: i64) -> StoreResult<Attachment> {
    Ok(diesel::sql_query(
        "UPDATE attachments SET storage_key = $2, content_type = $3, file_size = $4, meta = meta - 'download_error' \
         WHERE id = $1 RETURNING *",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Text, _>(content_type)
    .bind::<diesel::sql_types::BigInt, _>(size)
    .get_result(conn)
    .await?)
}

/// The file could not be fetched for good: why, on the attachment, for the dashboard to show.
pub async fn download_failed(conn: &mut AsyncPgConnection, id: i64, reason: &str) -> StoreResult<Attachment> {
    Ok(diesel::sql_query("UPDATE attachments SET meta = meta || jsonb_build_object('download_error', $2::text) WHERE id = $1 RETURNING *")
        .bind::<diesel::sql_types::BigInt, _>(id)
        .bind::<diesel::sql_types::Text, _>(reason)
        .get_result(conn)
        .await?)
}
