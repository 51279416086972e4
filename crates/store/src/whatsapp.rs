//! WhatsApp persistence: inbound messages stored once however often they are delivered,
//! delivery statuses that only move forward, outbound send bookkeeping and message templates.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::whatsapp::{same_language, Delivery};

use crate::models::{
    Attachment, Contact, ContactInbox, Conversation, Inbox, Message, MessageTemplate, NewAttachment, NewConversation, NewMessage,
    NewMessageTemplate,
};
use crate::schema::{attachments, contact_inboxes, contacts, conversations, inboxes, message_templates, messages};
use crate::{StoreError, StoreResult};

/// The inbox a webhook URL belongs to.
pub async fn inbox_by_webhook_token(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<Inbox>> {
    Ok(inboxes::table.filter(inboxes::webhook_token.eq(token)).select(Inbox::as_select()).first(conn).await.optional()?)
}

/// An incoming message as the channel delivered it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub wa_id: String,
    /// E.164, when the wa_id is a valid number.
    pub phone_number: Option<String>,
    pub name: String,
    /// For a new contact identity.
    pub pubsub_token: String,
    pub conversation_uuid: String,
    pub source_id: String,
    pub created_at: DateTime<Utc>,
    pub content: Option<String>,
    pub content_attributes: Value,
    pub reply_to_source: Option<String>,
    pub attachment: Option<NewAttachment>,
}

/// What storing an inbound message created or changed.
#[derive(Debug, Clone)]
pub struct Received {
    pub message: Message,
    pub conversation: Conversation,
    pub contact: Contact,
    pub identity: ContactInbox,
    pub files: Vec<Attachment>,
    pub new_contact: bool,
    pub new_conversation: bool,
    /// The conversation's status before the message (a reopened conversation changed it).
    pub previous_status: String,
}

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    inserted: bool,
}

/// Stores an inbound message with its contact, identity and conversation, all or nothing.
/// `None`: the message was already stored (a repeated delivery), and nothing changed.
///
/// Concurrent deliveries for one sender queue on the identity's row lock, so they agree on the
/// conversation; the unique (inbox, source_id) index makes a repeated message a no-op.
pub async fn receive(conn: &mut AsyncPgConnection, inbox: &Inbox, inbound: &Inbound) -> StoreResult<Option<Received>> {
    let result = conn.transaction::<_, StoreError, _>(async move |conn| receive_in(conn, inbox, inbound).await).await;
    match result {
        Ok(r) => Ok(Some(r)),
        Err(StoreError::Conflict { constraint }) if constraint == "messages_inbox_source_key" => Ok(None),
        Err(e) => Err(e),
    }
}

async fn receive_in(conn: &mut AsyncPgConnection, inbox: &Inbox, inbound: &Inbound) -> StoreResult<Received> {
    let locked: Option<ContactInbox> = contact_inboxes::table
        .filter(contact_inboxes::inbox_id.eq(inbox.id))
        .filter(contact_inboxes::source_id.eq(&inbound.wa_id))
        .select(ContactInbox::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let (identity, new_contact) = match locked {
        Some(ci) => (ci, false),
        None => {
            // A contact with this number may exist already (created by an agent, another inbox or
            // a concurrent delivery). No row lock is taken on it here: locks go identity first,
            // then contact, in every path, so concurrent deliveries cannot deadlock.
            let contact: Upserted = match &inbound.phone_number {
                Some(phone) => {
                    let inserted: Option<Upserted> = diesel::sql_query(
                        "INSERT INTO contacts (account_id, name, phone_number, last_activity_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account_id, phone_number) WHERE phone_number IS NOT NULL DO NOTHING RETURNING id, true AS inserted",
                    )
                    .bind::<BigInt, _>(inbox.account_id)
                    .bind::<Text, _>(&inbound.name)
                    .bind::<Text, _>(phone)
                    .bind::<diesel::sql_types::Timestamptz, _>(inbound.created_at)
                    .get_result(conn)
                    .await
                    .optional()?;
                    match inserted {
                        Some(row) => row,
                        None => Upserted {
                            id: contacts::table
                                .filter(contacts::account_id.eq(inbox.account_id))
                                .filter(contacts::phone_number.eq(phone))
                                .select(contacts::id)
                                .first(conn)
                                .await?,
                            inserted: false,
                        },
                    }
                }
                None => {
                    diesel::sql_query(
                        "INSERT INTO contacts (account_id, name, last_activity_at) VALUES ($1, $2, $3) RETURNING id, true AS inserted",
                    )
                    .bind::<BigInt, _>(inbox.account_id)
                    .bind::<Text, _>(&inbound.name)
                    .bind::<diesel::sql_types::Timestamptz, _>(inbound.created_at)
                    .get_result(conn)
                    .await?
                }
            };
            let identity: ContactInbox = diesel::insert_into(contact_inboxes::table)
                .values((
                    contact_inboxes::contact_id.eq(contact.id),
                    contact_inboxes::inbox_id.eq(inbox.id),
                    contact_inboxes::source_id.eq(&inbound.wa_id),
                    contact_inboxes::pubsub_token.eq(&inbound.pubsub_token),
                ))
                .on_conflict((contact_inboxes::inbox_id, contact_inboxes::source_id))
                .do_update()
                .set(contact_inboxes::updated_at.eq(contact_inboxes::updated_at))
                .returning(ContactInbox::as_returning())
                .get_result(conn)
                .await?;
            (identity, contact.inserted)
        }
    };

    // The open (or pending, or snoozed) conversation, or with lock_to_single_conversation the
    // latest one whatever its status; otherwise a new one.
    let mut query = conversations::table.filter(conversations::contact_inbox_id.eq(identity.id)).into_boxed();
    if !inbox.lock_to_single_conversation {
        query = query.filter(conversations::status.ne("resolved"));
    }
    let current: Option<Conversation> =
        query.order(conversations::id.desc()).select(Conversation::as_select()).first(conn).await.optional()?;
    let (conversation, new_conversation) = match current {
        Some(c) => (c, false),
        None => {
            let new = NewConversation {
                account_id: inbox.account_id,
                inbox_id: inbox.id,
                contact_id: identity.contact_id,
                contact_inbox_id: Some(identity.id),
                assignee_id: None,
                team_id: None,
                status: "open".into(),
                priority: None,
                group_type: "individual".into(),
                snoozed_until: None,
                uuid: inbound.conversation_uuid.clone(),
                additional_attributes: Value::Object(Default::default()),
                custom_attributes: Value::Object(Default::default()),
            };
            (crate::conversations::insert(conn, &new).await?, true)
        }
    };
    let previous_status = conversation.status.clone();

    let mut attributes = inbound.content_attributes.clone();
    if let Some(source) = &inbound.reply_to_source {
        let replied: Option<i64> = messages::table
            .filter(messages::inbox_id.eq(inbox.id))
            .filter(messages::source_id.eq(source))
            .select(messages::id)
            .first(conn)
            .await
            .optional()?;
        if let Some(obj) = attributes.as_object_mut() {
            obj.insert("in_reply_to_external_id".into(), Value::String(source.clone()));
            if let Some(id) = replied {
                obj.insert("in_reply_to".into(), Value::from(id));
            }
        }
    }
    let new = NewMessage {
        content_attributes: attributes,
        source_id: Some(inbound.source_id.clone()),
        created_at: inbound.created_at,
        ..NewMessage::text(&conversation, 0, inbound.content.clone(), Some(("contact", identity.contact_id)))
    };
    // A repeated delivery stops here, rolling everything back.
    let message: Message = diesel::insert_into(messages::table)
        .values(&new)
        .on_conflict_do_nothing()
        .returning(Message::as_returning())
        .get_result(conn)
        .await
        .optional()?
        .ok_or_else(|| StoreError::Conflict { constraint: "messages_inbox_source_key".into() })?;
    let files = match &inbound.attachment {
        Some(file) => {
            let row = NewAttachment { message_id: message.id, ..file.clone() };
            vec![diesel::insert_into(attachments::table).values(&row).returning(Attachment::as_returning()).get_result(conn).await?]
        }
        None => vec![],
    };
    let (conversation, contact) = crate::messages::apply(conn, &conversation, &message).await?;
    let contact = contact.ok_or(StoreError::NotFound)?;
    Ok(Received { message, conversation, contact, identity, files, new_contact, new_conversation, previous_status })
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

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// When the contact last wrote in this conversation: the 24-hour window starts there.
pub async fn last_incoming_at(conn: &mut AsyncPgConnection, conversation_id: i64) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::message_type.eq(0))
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
    let reply_to_source = match message.content_attributes.get("in_reply_to").and_then(Value::as_i64) {
        Some(id) => messages::table.find(id).select(messages::source_id).first::<Option<String>>(conn).await.optional()?.flatten(),
        None => None,
    };
    Ok(Some(Outgoing { message, conversation, inbox, identity, contact, attachment, reply_to_source }))
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
        let updated = diesel::update(messages::table.find(message_id).filter(messages::status.eq("progress")))
            .set((messages::status.eq("sent"), messages::source_id.eq(source_id), messages::updated_at.eq(diesel::dsl::now)))
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

/// The templates of these inboxes, by name: one query for any number of inboxes.
pub async fn templates_of(conn: &mut AsyncPgConnection, inbox_ids: &[i64]) -> StoreResult<Vec<MessageTemplate>> {
    Ok(message_templates::table
        .filter(message_templates::inbox_id.eq_any(inbox_ids))
        .order((message_templates::inbox_id, message_templates::name, message_templates::language))
        .select(MessageTemplate::as_select())
        .load(conn)
        .await?)
}

/// A template by name, and by language when one is given (`en-US` matches `en_US`).
pub async fn find_template(
    conn: &mut AsyncPgConnection,
    inbox_id: i64,
    name: &str,
    language: Option<&str>,
) -> StoreResult<Vec<MessageTemplate>> {
    let list: Vec<MessageTemplate> = message_templates::table
        .filter(message_templates::inbox_id.eq(inbox_id))
        .filter(message_templates::name.eq(name))
        .select(MessageTemplate::as_select())
        .load(conn)
        .await?;
    Ok(list.into_iter().filter(|t| language.is_none_or(|l| same_language(&t.language, l))).collect())
}

/// Makes the stored templates what the BSP listed: new ones added, changed ones updated,
/// vanished ones removed, all at once.
pub async fn replace_templates(conn: &mut AsyncPgConnection, inbox_id: i64, listed: &[NewMessageTemplate]) -> StoreResult<()> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        for t in listed {
            upsert_template(conn, t).await?;
        }
        let keep: Vec<String> = listed.iter().map(|t| format!("{}\u{1f}{}", t.name, t.language)).collect();
        diesel::sql_query("DELETE FROM message_templates WHERE inbox_id = $1 AND NOT (name || chr(31) || language = ANY($2))")
            .bind::<BigInt, _>(inbox_id)
            .bind::<Array<Text>, _>(&keep)
            .execute(conn)
            .await?;
        diesel::update(inboxes::table.find(inbox_id)).set(inboxes::message_templates_synced_at.eq(diesel::dsl::now)).execute(conn).await?;
        Ok(())
    })
    .await
}

pub async fn upsert_template(conn: &mut AsyncPgConnection, t: &NewMessageTemplate) -> StoreResult<MessageTemplate> {
    Ok(diesel::insert_into(message_templates::table)
        .values(t)
        .on_conflict((message_templates::inbox_id, message_templates::name, message_templates::language))
        .do_update()
        .set((
            message_templates::external_id.eq(&t.external_id),
            message_templates::status.eq(&t.status),
            message_templates::category.eq(&t.category),
            message_templates::components.eq(&t.components),
            message_templates::updated_at.eq(diesel::dsl::now),
        ))
        .returning(MessageTemplate::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete_templates(conn: &mut AsyncPgConnection, inbox_id: i64, name: &str) -> StoreResult<usize> {
    Ok(diesel::delete(message_templates::table.filter(message_templates::inbox_id.eq(inbox_id)).filter(message_templates::name.eq(name)))
        .execute(conn)
        .await?)
}

/// What a template webhook changes.
pub enum TemplateChange<'a> {
    Status { event: &'a str, reason: Option<&'a str> },
    Category { previous: Option<&'a str>, new: &'a str },
    Metrics(&'a Value),
}

/// Applies a template webhook to the template it names (by id, else by name and language).
/// A template we have not synced yet is added, so the event is not lost. Returns how many
/// templates changed.
pub async fn apply_template_event(
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    template_id: Option<&str>,
    name: &str,
    language: &str,
    change: TemplateChange<'_>,
) -> StoreResult<usize> {
    // Only the rows that can match: by id, or by name (languages compare loosely, in Rust).
    let candidates: Vec<MessageTemplate> = message_templates::table
        .filter(message_templates::inbox_id.eq(inbox.id))
        .filter(message_templates::name.eq(name).or(message_templates::external_id.eq(template_id.unwrap_or(""))))
        .select(MessageTemplate::as_select())
        .load(conn)
        .await?;
    let target = candidates
        .iter()
        .find(|t| template_id.is_some() && t.external_id.as_deref() == template_id)
        .or_else(|| candidates.iter().find(|t| t.name == name && same_language(&t.language, language)));
    let id = match target {
        Some(t) => t.id,
        None if !name.is_empty() => {
            let new = NewMessageTemplate {
                account_id: inbox.account_id,
                inbox_id: inbox.id,
                external_id: template_id.map(str::to_string),
                name: name.to_string(),
                language: language.replace('-', "_"),
                status: "PENDING".into(),
                category: None,
                components: Value::Array(vec![]),
            };
            upsert_template(conn, &new).await?.id
        }
        None => return Ok(0),
    };
    let row = message_templates::table.find(id);
    let changed = match change {
        TemplateChange::Status { event, reason } => {
            diesel::update(row)
                .set((
                    message_templates::status.eq(event),
                    message_templates::reason.eq(reason),
                    message_templates::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?
        }
        TemplateChange::Category { previous, new } => {
            diesel::update(row)
                .set((
                    message_templates::category.eq(new),
                    message_templates::previous_category.eq(previous),
                    message_templates::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?
        }
        TemplateChange::Metrics(v) => {
            diesel::update(row)
                .set((message_templates::metrics.eq(v), message_templates::updated_at.eq(diesel::dsl::now)))
                .execute(conn)
                .await?
        }
    };
    Ok(changed)
}

/// WhatsApp inboxes whose templates were last synced before `before` (or never).
pub async fn inboxes_to_sync(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> StoreResult<Vec<Inbox>> {
    Ok(inboxes::table
        .filter(inboxes::channel_type.eq("whatsapp"))
        .filter(inboxes::message_templates_synced_at.is_null().or(inboxes::message_templates_synced_at.lt(before)))
        .select(Inbox::as_select())
        .load(conn)
        .await?)
}

/// Claims an inbox's periodic sync for this process: true when nobody synced it since `before`.
pub async fn claim_sync(conn: &mut AsyncPgConnection, inbox_id: i64, before: DateTime<Utc>) -> StoreResult<bool> {
    let n = diesel::update(
        inboxes::table
            .find(inbox_id)
            .filter(inboxes::message_templates_synced_at.is_null().or(inboxes::message_templates_synced_at.lt(before))),
    )
    .set(inboxes::message_templates_synced_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// A contact's profile name fills a contact created without one.
pub async fn name_contact(conn: &mut AsyncPgConnection, contact_id: i64, name: &str) -> StoreResult<()> {
    diesel::update(contacts::table.find(contact_id).filter(contacts::name.eq(""))).set(contacts::name.eq(name)).execute(conn).await?;
    Ok(())
}
