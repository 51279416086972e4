//! What the integrator APIs read: conversations with their people and message counts, a page at
//! a time in one statement, whatever the page's size.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel::{JoinOnDsl, OptionalExtension};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use switchboard_domain::conversations::MessageType;

use crate::StoreResult;

/// A conversation as the conversations-list API shows it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ListedConversation {
    #[diesel(sql_type = BigInt)]
    pub display_id: i64,
    #[diesel(sql_type = Text)]
    pub channel_type: crate::models::ChannelType,
    #[diesel(sql_type = Nullable<Text>)]
    pub inbox_phone: Option<String>,
    #[diesel(sql_type = Text)]
    pub inbox_identifier: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub contact_phone: Option<String>,
    #[diesel(sql_type = Text)]
    pub contact_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_message_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_message_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub number_of_messages: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_message: Option<String>,
    /// Who wrote first: 0 the contact, 1 or 3 us (a reply, a template).
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub first_message_type: Option<i16>,
}

/// A page of the account's conversations, latest activity first, with their inbox, contact,
/// agent and messages summed up (activity lines do not count as messages).
pub async fn conversations_page(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<ListedConversation>> {
    Ok(diesel::sql_query(
        "SELECT c.display_id, i.channel_type, i.phone_number AS inbox_phone, i.inbox_identifier, \
                ct.phone_number AS contact_phone, ct.name AS contact_name, coalesce(u.display_name, u.name) AS agent_name, \
                c.status, c.created_at, agg.first_at AS first_message_at, agg.last_at AS last_message_at, \
                coalesce(agg.n, 0) AS number_of_messages, last.content AS last_message, first.message_type AS first_message_type \
         FROM conversations c \
         JOIN inboxes i ON i.id = c.inbox_id \
         JOIN contacts ct ON ct.id = c.contact_id \
         LEFT JOIN users u ON u.id = c.assignee_id \
         LEFT JOIN LATERAL (SELECT min(m.created_at) AS first_at, max(m.created_at) AS last_at, count(*) AS n \
                            FROM messages m WHERE m.conversation_id = c.id AND m.message_type <> 2) agg ON true \
         LEFT JOIN LATERAL (SELECT m.content FROM messages m WHERE m.conversation_id = c.id AND m.message_type <> 2 \
                            ORDER BY m.created_at DESC, m.id DESC LIMIT 1) last ON true \
         LEFT JOIN LATERAL (SELECT m.message_type FROM messages m WHERE m.conversation_id = c.id AND m.message_type <> 2 \
                            ORDER BY m.created_at, m.id LIMIT 1) first ON true \
         WHERE c.account_id = $1 \
         ORDER BY c.last_activity_at DESC, c.id DESC OFFSET $2 LIMIT $3",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(offset)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// The answer given to a request with this idempotency key, if one was.
pub async fn answered(conn: &mut AsyncPgConnection, account_id: i64, key: &str) -> StoreResult<Option<serde_json::Value>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        answer: serde_json::Value,
    }
    let row: Option<Row> = diesel::sql_query("SELECT answer FROM integrator_requests WHERE account_id = $1 AND idempotency_key = $2")
        .bind::<BigInt, _>(account_id)
        .bind::<Text, _>(key)
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.map(|r| r.answer))
}

/// Keeps the answer to a request with this idempotency key, in the caller's transaction; a
/// second request with the key (at the same time) fails on the key, and is answered from here.
pub async fn remember(conn: &mut AsyncPgConnection, account_id: i64, key: &str, answer: &serde_json::Value) -> StoreResult<()> {
    diesel::sql_query("INSERT INTO integrator_requests (account_id, idempotency_key, answer) VALUES ($1, $2, $3)")
        .bind::<BigInt, _>(account_id)
        .bind::<Text, _>(key)
        .bind::<diesel::sql_types::Jsonb, _>(answer)
        .execute(conn)
        .await?;
    Ok(())
}

/// The account's contact with this number, if any.
pub async fn contact_by_phone(conn: &mut AsyncPgConnection, account_id: i64, phone: &str) -> StoreResult<Option<crate::models::Contact>> {
    use crate::schema::contacts;
    use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
    Ok(contacts::table
        .filter(contacts::account_id.eq(account_id))
        .filter(contacts::phone_number.eq(phone))
        .select(crate::models::Contact::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A WhatsApp conversation as the retailer API lists them.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct WhatsappConversation {
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub phone_number: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub assignee_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub last_activity_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub message_count: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// A page of the account's one-to-one WhatsApp conversations (only unassigned ones with
/// `unassigned`), latest activity first, with the total; one statement.
pub async fn whatsapp_page(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    unassigned: bool,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<WhatsappConversation>> {
    Ok(diesel::sql_query(
        "SELECT ct.id AS contact_id, ct.name, ct.email, ct.phone_number, c.assignee_id, c.last_activity_at, \
                coalesce(agg.n, 0) AS message_count, count(*) OVER () AS total \
         FROM conversations c \
         JOIN inboxes i ON i.id = c.inbox_id AND i.channel_type = 'whatsapp' \
         JOIN contacts ct ON ct.id = c.contact_id \
         LEFT JOIN LATERAL (SELECT count(*) AS n FROM messages m WHERE m.conversation_id = c.id AND m.message_type <> 2) agg ON true \
         WHERE c.account_id = $1 AND c.group_type = 'individual' AND (NOT $2 OR c.assignee_id IS NULL) \
         ORDER BY c.last_activity_at DESC, c.id DESC OFFSET $3 LIMIT $4",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<diesel::sql_types::Bool, _>(unassigned)
    .bind::<BigInt, _>(offset)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// A page of the messages of a contact's WhatsApp conversations, newest first, with the total.
pub async fn whatsapp_messages_of(
    conn: &mut AsyncPgConnection,
    contact_id: i64,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<crate::models::Message>, i64)> {
    use crate::schema::{conversations, inboxes, messages};
    use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
    let theirs = conversations::table
        .inner_join(inboxes::table.on(inboxes::id.eq(conversations::inbox_id)))
        .filter(conversations::contact_id.eq(contact_id))
        .filter(inboxes::channel_type.eq("whatsapp"))
        .select(conversations::id);
    let total: i64 = messages::table
        .filter(messages::conversation_id.eq_any(theirs))
        .filter(messages::message_type.ne(MessageType::Activity))
        .count()
        .get_result(conn)
        .await?;
    let rows = messages::table
        .filter(messages::conversation_id.eq_any(theirs))
        .filter(messages::message_type.ne(MessageType::Activity))
        .order((messages::created_at.desc(), messages::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(crate::models::Message::as_select())
        .load(conn)
        .await?;
    Ok((rows, total))
}
