//! Delivery statuses that only move forward, and reactions kept on the messages they react to.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::whatsapp::Delivery;

use crate::models::Message;
use crate::schema::messages;
use crate::StoreResult;

/// The id of a row a statement changed.
#[derive(QueryableByName)]
pub(super) struct IdRow {
    #[diesel(sql_type = BigInt)]
    pub(super) id: i64,
}

/// Applies a delivery status to the message with this source id, if it moves it forward.
/// `None`: no such message, or the status is old news. One statement, so concurrent repeats
/// of a status apply once.
pub async fn apply_status(
    conn: &mut AsyncPgConnection,
    inbox_id: i64,
    source_id: &str,
    status: Delivery,
    error: Option<&str>,
    details: &Value,
) -> StoreResult<Option<Message>> {
    const ALL: [Delivery; 5] = [Delivery::Progress, Delivery::Sent, Delivery::Delivered, Delivery::Read, Delivery::Failed];
    let from: Vec<String> = ALL.iter().filter(|d| d.may_become(status)).map(|d| d.as_str().to_string()).collect();
    let failed = status == Delivery::Failed;
    let error = if failed { Some(error.unwrap_or("Delivery failed")) } else { None };
    let ids: Vec<IdRow> = diesel::sql_query(
        "UPDATE messages SET status = $3, \
           external_error = CASE WHEN $5::text IS NULL THEN external_error ELSE $5 END, \
           content_attributes = CASE WHEN $5::text IS NULL THEN content_attributes \
             ELSE content_attributes || jsonb_build_object('external_error', $5::text) END, \
           additional_attributes = additional_attributes || \
             jsonb_build_object('whatsapp', COALESCE(additional_attributes->'whatsapp', '{}'::jsonb) || $6), \
           updated_at = now() \
         WHERE inbox_id = $1 AND source_id = $2 AND status = ANY($4) RETURNING id",
    )
    .bind::<BigInt, _>(inbox_id)
    .bind::<Text, _>(source_id)
    .bind::<Text, _>(status.as_str())
    .bind::<Array<Text>, _>(&from)
    .bind::<Nullable<Text>, _>(error)
    .bind::<Jsonb, _>(details)
    .load(conn)
    .await?;
    match <[IdRow]>::first(&ids) {
        Some(row) => Ok(Some(messages::table.find(row.id).select(Message::as_select()).first(conn).await?)),
        None => Ok(None),
    }
}

/// A reaction to the message with this source id: `from` (who reacted, as the channel names
/// them) has `emoji` on it now, or none (`None` takes theirs back). One per person, as WhatsApp
/// shows them. `None` when there is no such message or nothing changes (a repeated delivery).
pub async fn react(
    conn: &mut AsyncPgConnection,
    inbox_id: i64,
    source_id: &str,
    from: &str,
    name: Option<&str>,
    emoji: Option<&str>,
) -> StoreResult<Option<Message>> {
    Ok(diesel::sql_query(
        "WITH target AS ( \
           SELECT id, content_attributes AS attrs FROM messages WHERE inbox_id = $1 AND source_id = $2 LIMIT 1 FOR UPDATE \
         ), next AS ( \
           SELECT id, attrs, \
             coalesce((SELECT jsonb_agg(r) FROM jsonb_array_elements(coalesce(attrs->'reactions', '[]'::jsonb)) r WHERE r->>'from' <> $3), '[]'::jsonb) \
             || CASE WHEN $4::text IS NULL THEN '[]'::jsonb \
                ELSE jsonb_build_array(jsonb_build_object('emoji', $4::text, 'from', $3::text, 'name', $5::text, \
                                                          'reacted_at', extract(epoch FROM now())::bigint)) END AS reactions \
           FROM target \
         ) \
         UPDATE messages m SET content_attributes = m.content_attributes || jsonb_build_object('reactions', next.reactions), updated_at = now() \
         FROM next WHERE m.id = next.id \
           AND (SELECT array_agg(r->>'from' || ':' || (r->>'emoji') ORDER BY r->>'from') FROM jsonb_array_elements(coalesce(next.attrs->'reactions', '[]'::jsonb)) r) \
               IS DISTINCT FROM \
               (SELECT array_agg(r->>'from' || ':' || (r->>'emoji') ORDER BY r->>'from') FROM jsonb_array_elements(next.reactions) r) \
         RETURNING m.*",
    )
    .bind::<BigInt, _>(inbox_id)
    .bind::<Text, _>(source_id)
    .bind::<Text, _>(from)
    .bind::<Nullable<Text>, _>(emoji)
    .bind::<Nullable<Text>, _>(name)
    .get_result(conn)
    .await
    .optional()?)
}
