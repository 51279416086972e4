//! Messages, and what each new one does to its conversation, in one transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use switchboard_domain::conversations::{message_effects, MessageType, Status};

use crate::models::{Contact, Conversation, Message, NewMessage, SenderType};
use crate::schema::{conversations, messages};
use crate::{StoreError, StoreResult};

/// Page size of a conversation's messages.
pub const PER_PAGE: i64 = 20;

#[derive(Debug, Clone, Copy)]
pub enum Cursor {
    Latest,
    Before(i64),
    After(i64),
}

/// Oldest first, as the reference shows them: the newest page, or the page before/after an id.
pub async fn list(conn: &mut AsyncPgConnection, conversation_id: i64, cursor: Cursor) -> StoreResult<Vec<Message>> {
    page(conn, conversation_id, cursor, false).await
}

/// `list` as the conversation's contact sees it: no private notes, no activity lines.
pub async fn list_public(conn: &mut AsyncPgConnection, conversation_id: i64, cursor: Cursor) -> StoreResult<Vec<Message>> {
    page(conn, conversation_id, cursor, true).await
}

async fn page(conn: &mut AsyncPgConnection, conversation_id: i64, cursor: Cursor, public: bool) -> StoreResult<Vec<Message>> {
    let mut base = messages::table.filter(messages::conversation_id.eq(conversation_id)).select(Message::as_select()).into_boxed();
    if public {
        base = base.filter(messages::private.eq(false)).filter(messages::message_type.ne(MessageType::Activity));
    }
    let mut rows: Vec<Message> = match cursor {
        Cursor::Latest => base.order(messages::id.desc()).limit(PER_PAGE).load(conn).await?,
        Cursor::Before(id) => base.filter(messages::id.lt(id)).order(messages::id.desc()).limit(PER_PAGE).load(conn).await?,
        Cursor::After(id) => {
            return Ok(base.filter(messages::id.gt(id)).order(messages::id.asc()).limit(PER_PAGE).load(conn).await?);
        }
    };
    rows.reverse();
    Ok(rows)
}

pub async fn find(conn: &mut AsyncPgConnection, conversation_id: i64, id: i64) -> StoreResult<Option<Message>> {
    Ok(messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::id.eq(id))
        .select(Message::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The latest `per` messages each of these conversations' contact sees (no private notes, no
/// activity lines), oldest first: one query for a page of conversations.
pub async fn latest_public(conn: &mut AsyncPgConnection, conversation_ids: &[i64], per: i64) -> StoreResult<Vec<Message>> {
    if conversation_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut rows: Vec<Message> = diesel::sql_query(
        "SELECT * FROM (SELECT m.*, row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.id DESC) AS nth \
         FROM messages m WHERE m.conversation_id = ANY($1) AND NOT m.private AND m.message_type <> $2) t WHERE t.nth <= $3",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(conversation_ids)
    .bind::<diesel::sql_types::SmallInt, _>(MessageType::Activity.as_i16())
    .bind::<diesel::sql_types::BigInt, _>(per)
    .load(conn)
    .await?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// The conversation's latest survey message (`input_csat`), if any.
pub async fn latest_survey(conn: &mut AsyncPgConnection, conversation_id: i64) -> StoreResult<Option<Message>> {
    Ok(messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::content_type.eq("input_csat"))
        .order(messages::id.desc())
        .select(Message::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The latest survey sent to a contact in an inbox, in whichever of its conversations (a
/// channel reply after a resolution may open a new one).
pub async fn latest_survey_of(conn: &mut AsyncPgConnection, contact_id: i64, inbox_id: i64) -> StoreResult<Option<Message>> {
    Ok(messages::table
        .inner_join(conversations::table)
        .filter(conversations::contact_id.eq(contact_id))
        .filter(conversations::inbox_id.eq(inbox_id))
        .filter(messages::content_type.eq("input_csat"))
        .order(messages::id.desc())
        .select(Message::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Replaces a message's content attributes (a customer's answer to a form or a survey).
pub async fn set_content_attributes(conn: &mut AsyncPgConnection, id: i64, attributes: &serde_json::Value) -> StoreResult<Message> {
    Ok(diesel::update(messages::table.find(id))
        .set((messages::content_attributes.eq(attributes), messages::updated_at.eq(diesel::dsl::now)))
        .returning(Message::as_returning())
        .get_result(conn)
        .await?)
}

/// Inserts the message and applies its effects to the conversation (waiting, first reply,
/// reopening, activity time). Returns both as stored. Runs in the caller's transaction.
pub async fn insert_and_apply(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    new: &NewMessage,
) -> StoreResult<(Message, Conversation)> {
    let message: Message = diesel::insert_into(messages::table).values(new).returning(Message::as_returning()).get_result(conn).await?;
    let (conversation, _) = apply(conn, conversation, &message).await?;
    Ok((message, conversation))
}

/// What a stored message does to its conversation (waiting, first reply, reopening, activity
/// time) and to its contact's activity. Runs in the caller's transaction.
/// Returns the contact too when the message is the contact's (its activity time changed).
pub async fn apply(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    message: &Message,
) -> StoreResult<(Conversation, Option<Contact>)> {
    let was = conversation.status;
    let mut conversation = conversation.clone();
    advance(&mut conversation, message);
    if was == Status::Resolved && conversation.status != was {
        reopened(conn, std::slice::from_mut(&mut conversation)).await?;
    }
    let at = message.created_at;
    // The contact's own activity is when it last wrote.
    let contact = if message.message_type == MessageType::Incoming {
        use crate::schema::contacts;
        Some(
            diesel::update(contacts::table.find(conversation.contact_id))
                .set(contacts::last_activity_at.eq(Some(at)))
                .returning(Contact::as_returning())
                .get_result(conn)
                .await?,
        )
    } else {
        None
    };
    let conversation = diesel::update(conversations::table.find(conversation.id))
        .set((
            conversations::waiting_since.eq(conversation.waiting_since),
            conversations::first_reply_created_at.eq(conversation.first_reply_created_at),
            conversations::status.eq(&conversation.status),
            conversations::snoozed_until.eq(conversation.snoozed_until),
            conversations::last_activity_at.eq(conversation.last_activity_at),
            conversations::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Conversation::as_returning())
        .get_result(conn)
        .await?;
    Ok((conversation, contact))
}

/// Resolved conversations a message just reopened: those whose inbox a bot answers are
/// the bot's again, pending (the reference's `reopen_resolved_conversation`). One query, and
/// only when something reopened.
pub async fn reopened(conn: &mut AsyncPgConnection, list: &mut [Conversation]) -> StoreResult<()> {
    if list.is_empty() {
        return Ok(());
    }
    let inbox_ids: Vec<i64> = list.iter().map(|c| c.inbox_id).collect();
    let answered = crate::agent_bots::answering(conn, &inbox_ids).await?;
    for c in list.iter_mut().filter(|c| answered.contains(&c.inbox_id)) {
        c.status = switchboard_domain::agent_bots::initial_status(Status::Open, true);
    }
    Ok(())
}

/// What a new message does to its conversation in memory (see `message_effects`), so a batch
/// can fold many messages and write each conversation once.
pub fn advance(conversation: &mut Conversation, message: &Message) {
    let status = conversation.status;
    let effects = message_effects(message.message_type, message.private, status);
    let at = message.created_at;
    if effects.start_waiting && conversation.waiting_since.is_none() {
        conversation.waiting_since = Some(at);
    }
    if effects.replied {
        conversation.waiting_since = None;
        conversation.first_reply_created_at.get_or_insert(at);
    }
    // A muted conversation stays as it is (the reference's `mute`).
    if effects.reopen && !conversation.muted {
        conversation.status = Status::Open;
        conversation.snoozed_until = None;
    }
    if effects.bump_activity && at > conversation.last_activity_at {
        conversation.last_activity_at = at;
    }
}

/// Creates a message with its attachments and the mentions of `mentioned` users, in one
/// transaction, with a `conversation_mention` notification for each mentioned user but the
/// author. Attachment rows get the new message's id.
/// With `send`, a `SendMessage` job is queued for the message in the same transaction.
pub async fn create(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    new: &NewMessage,
    mentioned: &[i64],
    files: &[crate::models::NewAttachment],
    send: bool,
) -> StoreResult<(Message, Conversation, Vec<crate::models::Notification>)> {
    conn.transaction::<_, StoreError, _>(async move |conn| create_in(conn, conversation, new, mentioned, files, send).await).await
}

/// `create` in the caller's transaction (a change that writes more, and its events, with it):
/// no savepoint, since the caller's commit or rollback decides for all of it.
pub async fn create_in(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    new: &NewMessage,
    mentioned: &[i64],
    files: &[crate::models::NewAttachment],
    send: bool,
) -> StoreResult<(Message, Conversation, Vec<crate::models::Notification>)> {
    use crate::schema::{attachments, mentions};
    let (message, conversation) = insert_and_apply(conn, conversation, new).await?;
    if send {
        crate::jobs::enqueue(conn, &crate::jobs::SendMessage { message_id: message.id }).await?;
    }
    if !files.is_empty() {
        let rows: Vec<crate::models::NewAttachment> = files
            .iter()
            .cloned()
            .map(|mut a| {
                a.message_id = message.id;
                a
            })
            .collect();
        diesel::insert_into(attachments::table).values(&rows).execute(conn).await?;
    }
    if !mentioned.is_empty() {
        let rows: Vec<_> = mentioned
            .iter()
            .map(|u| {
                (
                    mentions::account_id.eq(message.account_id),
                    mentions::user_id.eq(*u),
                    mentions::conversation_id.eq(message.conversation_id),
                    mentions::message_id.eq(message.id),
                )
            })
            .collect();
        diesel::insert_into(mentions::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    }
    let author = (message.sender_type == Some(SenderType::User)).then_some(message.sender_id).flatten();
    let notify: Vec<crate::models::NewNotification> = mentioned
        .iter()
        .filter(|u| Some(**u) != author)
        .map(|u| crate::models::NewNotification {
            account_id: message.account_id,
            user_id: *u,
            notification_type: "conversation_mention".into(),
            conversation_id: message.conversation_id,
            secondary_actor_type: Some("Message".into()),
            secondary_actor_id: Some(message.id),
        })
        .collect();
    let notifications = crate::notifications::insert(conn, &notify).await?;
    Ok((message, conversation, notifications))
}

/// Messages by id within an account, for rendering what points at them.
pub async fn by_ids(conn: &mut AsyncPgConnection, account_id: i64, ids: &[i64]) -> StoreResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(messages::table
        .filter(messages::account_id.eq(account_id))
        .filter(messages::id.eq_any(ids))
        .select(Message::as_select())
        .load(conn)
        .await?)
}

/// The inbox a message of the account belongs to (whose agents may read it).
pub async fn inbox_of(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<i64>> {
    Ok(messages::table
        .filter(messages::account_id.eq(account_id))
        .filter(messages::id.eq(id))
        .select(messages::inbox_id)
        .first(conn)
        .await
        .optional()?)
}

/// Soft delete: the text is replaced and `content_attributes.deleted` set, as the reference does.
pub async fn soft_delete(conn: &mut AsyncPgConnection, message: &Message) -> StoreResult<Message> {
    let mut attributes = message.content_attributes.clone();
    if let Some(obj) = attributes.as_object_mut() {
        obj.insert("deleted".into(), serde_json::Value::Bool(true));
    }
    Ok(diesel::update(messages::table.find(message.id))
        .set((
            messages::content.eq(Some("This message was deleted")),
            messages::content_attributes.eq(attributes),
            messages::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Message::as_returning())
        .get_result(conn)
        .await?)
}
