//! Scheduled messages: a conversation's, and the due ones taken for sending (each by one
//! process: `FOR UPDATE SKIP LOCKED`, in the sender's transaction).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use switchboard_domain::conversations::MessageType;

use crate::models::{ScheduledFields, ScheduledMessage};
use crate::schema::scheduled_messages as sm;
use crate::StoreResult;

pub async fn of_conversation(conn: &mut AsyncPgConnection, conversation_id: i64) -> StoreResult<Vec<ScheduledMessage>> {
    Ok(sm::table.filter(sm::conversation_id.eq(conversation_id)).order(sm::id).select(ScheduledMessage::as_select()).load(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, conversation_id: i64, id: i64) -> StoreResult<Option<ScheduledMessage>> {
    Ok(sm::table
        .filter(sm::conversation_id.eq(conversation_id))
        .filter(sm::id.eq(id))
        .select(ScheduledMessage::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    conversation_id: i64,
    inbox_id: i64,
    author_id: Option<i64>,
    f: &ScheduledFields,
) -> StoreResult<ScheduledMessage> {
    Ok(diesel::insert_into(sm::table)
        .values((
            sm::account_id.eq(account_id),
            sm::conversation_id.eq(conversation_id),
            sm::inbox_id.eq(inbox_id),
            sm::author_id.eq(author_id),
            f,
        ))
        .returning(ScheduledMessage::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(conn: &mut AsyncPgConnection, id: i64, f: &ScheduledFields) -> StoreResult<ScheduledMessage> {
    Ok(diesel::update(sm::table.find(id))
        .set((f, sm::error.eq(None::<String>), sm::updated_at.eq(diesel::dsl::now)))
        .returning(ScheduledMessage::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<()> {
    diesel::delete(sm::table.find(id)).execute(conn).await?;
    Ok(())
}

/// Pending messages due by `now`, oldest first, locked for the caller's transaction; rows
/// another process is sending are skipped.
pub async fn take_due(conn: &mut AsyncPgConnection, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ScheduledMessage>> {
    Ok(sm::table
        .filter(sm::status.eq("pending"))
        .filter(sm::scheduled_at.le(now))
        .order(sm::scheduled_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(ScheduledMessage::as_select())
        .load(conn)
        .await?)
}

/// After an occurrence: its message, the next time (still pending) or the final status.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    id: i64,
    status: &str,
    next_at: Option<DateTime<Utc>>,
    message_id: Option<i64>,
    error: Option<&str>,
    sent: bool,
) -> StoreResult<ScheduledMessage> {
    let target = sm::table.find(id);
    if let Some(at) = next_at {
        diesel::update(target).set(sm::scheduled_at.eq(at)).execute(conn).await?;
    }
    Ok(diesel::update(target)
        .set((
            sm::status.eq(status),
            sm::message_id.eq(message_id),
            sm::error.eq(error),
            sm::sends.eq(sm::sends + i32::from(sent)),
            sm::updated_at.eq(diesel::dsl::now),
        ))
        .returning(ScheduledMessage::as_returning())
        .get_result(conn)
        .await?)
}

/// Whether the contact wrote in the conversation after `since`.
pub async fn contact_wrote_since(conn: &mut AsyncPgConnection, conversation_id: i64, since: DateTime<Utc>) -> StoreResult<bool> {
    use crate::schema::messages;
    Ok(diesel::select(diesel::dsl::exists(
        messages::table
            .filter(messages::conversation_id.eq(conversation_id))
            .filter(messages::message_type.eq(MessageType::Incoming))
            .filter(messages::created_at.gt(since)),
    ))
    .get_result(conn)
    .await?)
}
