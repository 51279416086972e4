//! Outbound send bookkeeping: what a send needs, the 24-hour window, and the outcome.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::conversations::MessageType;

use super::statuses::IdRow;
use crate::models::{Attachment, Contact, ContactInbox, Conversation, Delivery, Inbox, Message, SenderType};
use crate::schema::{contacts, conversations, inboxes, messages};
use crate::{StoreError, StoreResult};

/// When the contact last wrote in this conversation: the 24-hour window starts there.
/// The window belongs to the person, not to one conversation: a new conversation with someone
/// who wrote an hour ago (in a resolved one) is inside it.
pub async fn last_incoming_at(conn: &mut AsyncPgConnection, conversation: &Conversation) -> StoreResult<Option<DateTime<Utc>>> {
    let Some(identity) = conversation.contact_inbox_id else {
        return Ok(messages::table
            .filter(messages::conversation_id.eq(conversation.id))
            .filter(messages::message_type.eq(MessageType::Incoming))
            .select(diesel::dsl::max(messages::created_at))
            .first(conn)
            .await?);
    };
    let theirs = conversations::table.filter(conversations::contact_inbox_id.eq(identity)).select(conversations::id);
    Ok(messages::table
        .filter(messages::conversation_id.eq_any(theirs))
        .filter(messages::message_type.eq(MessageType::Incoming))
        .select(diesel::dsl::max(messages::created_at))
        .first(conn)
        .await?)
}

/// Everything a send needs, loaded by the message id the job carries.
pub struct Outgoing {
    pub message: Message,
    pub conversation: Conversation,
    pub inbox: Inbox,
    pub identity: Option<ContactInbox>,
    pub contact: Contact,
    pub attachment: Option<Attachment>,
    /// The channel id of the message this one answers.
    pub reply_to_source: Option<String>,
    /// The message this one answers, and who wrote it when a contact did.
    pub quoted: Option<(Message, Option<Contact>)>,
}

pub async fn outgoing(conn: &mut AsyncPgConnection, message_id: i64) -> StoreResult<Option<Outgoing>> {
    let Some(message) = messages::table.find(message_id).select(Message::as_select()).first(conn).await.optional()? else {
        return Ok(None);
    };
    let conversation: Conversation =
        conversations::table.find(message.conversation_id).select(Conversation::as_select()).first(conn).await?;
    let inbox: Inbox = inboxes::table.find(message.inbox_id).select(Inbox::as_select()).first(conn).await?;
    let identity = match conversation.contact_inbox_id {
        Some(id) => crate::contacts::identity(conn, id).await?,
        None => None,
    };
    let contact = crate::contacts::by_id(conn, conversation.contact_id).await?;
    let attachment = crate::attachments::of_messages(conn, &[message.id]).await?.into_iter().next();
    let quoted = match message.content_attributes.get("in_reply_to").and_then(Value::as_i64) {
        Some(id) => messages::table
            .filter(messages::id.eq(id))
            .filter(messages::conversation_id.eq(message.conversation_id))
            .select(Message::as_select())
            .first(conn)
            .await
            .optional()?,
        None => None,
    };
    let quoted = match quoted {
        Some(q) => {
            let sender = match (q.sender_type, q.sender_id) {
                (Some(SenderType::Contact), Some(id)) => {
                    contacts::table.find(id).select(Contact::as_select()).first(conn).await.optional()?
                }
                _ => None,
            };
            Some((q, sender))
        }
        None => None,
    };
    let reply_to_source = quoted.as_ref().and_then(|(q, _)| q.source_id.clone());
    Ok(Some(Outgoing { message, conversation, inbox, identity, contact, attachment, reply_to_source, quoted }))
}

/// The BSP took the message: record its id and `sent`, and finish the job, in one transaction.
/// Only a message still in progress changes, so a replayed job can't undo later statuses.
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    message_id: i64,
    source_id: Option<&str>,
    job_id: i64,
) -> StoreResult<Option<Message>> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let updated = diesel::update(messages::table.find(message_id).filter(messages::status.eq(Delivery::Progress)))
            .set((messages::status.eq(Delivery::Sent), messages::source_id.eq(source_id), messages::updated_at.eq(diesel::dsl::now)))
            .returning(Message::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        crate::jobs::complete(conn, job_id).await?;
        Ok(updated)
    })
    .await
}

/// The send failed for good: the message shows why, and the job is finished.
pub async fn mark_failed(conn: &mut AsyncPgConnection, message_id: i64, error: &str, job_id: i64) -> StoreResult<Option<Message>> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let updated: Vec<IdRow> = diesel::sql_query(
            "UPDATE messages SET status = 'failed', external_error = $2, \
               content_attributes = content_attributes || jsonb_build_object('external_error', $2::text), updated_at = now() \
             WHERE id = $1 AND status = 'progress' RETURNING id",
        )
        .bind::<BigInt, _>(message_id)
        .bind::<Text, _>(error)
        .load(conn)
        .await?;
        crate::jobs::complete(conn, job_id).await?;
        match <[IdRow]>::first(&updated) {
            Some(_) => Ok(Some(messages::table.find(message_id).select(Message::as_select()).first(conn).await?)),
            None => Ok(None),
        }
    })
    .await
}
