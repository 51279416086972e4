//! What is known of a WhatsApp number and its contacts: a contact's profile name, and what
//! the BSP says of the inbox's number.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::schema::contacts;
use crate::StoreResult;

/// A contact's profile name fills a contact created without one.
pub async fn name_contact(conn: &mut AsyncPgConnection, contact_id: i64, name: &str) -> StoreResult<()> {
    diesel::update(contacts::table.find(contact_id).filter(contacts::name.eq(""))).set(contacts::name.eq(name)).execute(conn).await?;
    Ok(())
}

/// Keeps what the BSP says of an inbox's number, and a `ClientId` it looked up, if any. The
/// id is merged into the stored config, so an administrator's concurrent edit is not undone.
/// `check: None` keeps the stored one.
pub async fn record_number(conn: &mut AsyncPgConnection, inbox_id: i64, check: Option<&Value>, client_id: Option<&str>) -> StoreResult<()> {
    diesel::sql_query(
        "UPDATE inboxes SET bsp_number = COALESCE($2, bsp_number), \
         provider_config = CASE WHEN $3::text IS NULL THEN provider_config \
                                ELSE provider_config || jsonb_build_object('client_id', $3::text) END \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(inbox_id)
    .bind::<Nullable<Jsonb>, _>(check)
    .bind::<Nullable<Text>, _>(client_id)
    .execute(conn)
    .await?;
    Ok(())
}
