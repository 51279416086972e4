//! Inbound messages stored once however often they are delivered: a batch of deliveries in
//! one transaction with a fixed number of statements, their identities, contacts and
//! conversations created or reopened on the way.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::conversations::{MessageType, Status};

use crate::models::{
    Attachment, Contact, ContactInbox, Conversation, Inbox, Message, NewAttachment, NewConversation, NewMessage, SenderType,
};
use crate::prepared::prepared;
use crate::schema::{attachments, contact_inboxes, contacts};
use crate::{StoreError, StoreResult};

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
    /// In a group, who wrote it; the identity is the group's, and so is the conversation.
    pub sender_contact_id: Option<i64>,
    /// A new conversation for it is a group conversation.
    pub group: bool,
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
    pub previous_status: Status,
}

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    inserted: bool,
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    inbox_id: i64,
    #[diesel(sql_type = Text)]
    source_id: String,
}

/// One webhook delivery's messages for one inbox.
#[derive(Debug, Clone, Copy)]
pub struct Delivered<'a> {
    pub inbox: &'a Inbox,
    pub messages: &'a [Inbound],
}

/// Stores the messages of many deliveries in one transaction, all or nothing, with a fixed
/// number of statements however many messages there are (a new contact or conversation costs
/// a few more). Returns, per delivery, what it stored: a message stored already (a repeated
/// delivery, in this batch or before) is left out and changes nothing.
///
/// Every identity in the batch is locked first, in id order, so concurrent batches for one
/// sender queue and agree on the conversation, and cannot deadlock on each other's existing
/// identities; the unique (inbox, source_id) index is the last word on repeats.
pub async fn receive_all(conn: &mut AsyncPgConnection, deliveries: &[Delivered<'_>]) -> StoreResult<Vec<Vec<Received>>> {
    conn.transaction::<_, StoreError, _>(async move |conn| receive_in(conn, deliveries).await).await
}

/// A message of the batch: which delivery it came in, for which inbox, and (once known) the
/// positions of its identity and conversation in the batch's lists.
struct Item<'a> {
    delivery: usize,
    inbox: &'a Inbox,
    inbound: &'a Inbound,
    identity: usize,
    conversation: usize,
}

type Key = (i64, String);

/// `receive_all` in the caller's transaction, for a caller that writes more with it (the
/// batch's events).
pub async fn receive_in(conn: &mut AsyncPgConnection, deliveries: &[Delivered<'_>]) -> StoreResult<Vec<Vec<Received>>> {
    use std::collections::{HashMap, HashSet};
    let mut out: Vec<Vec<Received>> = deliveries.iter().map(|_| Vec::new()).collect();
    let mut seen = HashSet::new();
    let mut items: Vec<Item<'_>> = deliveries
        .iter()
        .enumerate()
        .flat_map(|(delivery, d)| {
            d.messages.iter().map(move |inbound| Item { delivery, inbox: d.inbox, inbound, identity: 0, conversation: 0 })
        })
        .filter(|i| seen.insert((i.inbox.id, i.inbound.source_id.as_str())))
        .collect();
    if items.is_empty() {
        return Ok(out);
    }

    // Identities: the existing ones locked, the missing ones created (and so locked). Keys are
    // locked in (inbox, wa_id) order, the same in every batch of every process. The lookups
    // below are lateral subqueries the planner cannot turn into a join: each key is one probe of
    // its unique index, whatever the statistics say (a plan for a small table must not become a
    // scan of a large one).
    let mut wanted: Vec<(i64, &str)> =
        items.iter().map(|i| (i.inbox.id, i.inbound.wa_id.as_str())).collect::<HashSet<_>>().into_iter().collect();
    wanted.sort_unstable();
    let locked: Vec<ContactInbox> = prepared(
        "SELECT ci.* FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS k(inbox_id, source_id, n) CROSS JOIN LATERAL \
         (SELECT * FROM contact_inboxes c WHERE c.inbox_id = k.inbox_id AND c.source_id = k.source_id FOR UPDATE) ci ORDER BY k.n",
    )
    .bind::<Array<BigInt>, _>(wanted.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(wanted.iter().map(|k| k.1).collect::<Vec<_>>())
    .load(conn)
    .await?;
    // (identity, its contact was created here)
    let mut identities: Vec<(ContactInbox, bool)> = Vec::new();
    let mut identity_at: HashMap<Key, usize> = HashMap::new();
    for ci in locked {
        identity_at.insert((ci.inbox_id, ci.source_id.clone()), identities.len());
        identities.push((ci, false));
    }
    for i in items.iter_mut() {
        let key = (i.inbox.id, i.inbound.wa_id.clone());
        i.identity = match identity_at.get(&key) {
            Some(at) => *at,
            None => {
                identities.push(create_identity(conn, i.inbox, i.inbound).await?);
                identity_at.insert(key, identities.len() - 1);
                identities.len() - 1
            }
        };
    }

    // Messages stored already are repeats: dropped before anything is created for them. The
    // identity locks make this exact: every message of a sender is stored under its lock.
    // Sent together with the lookup of each identity's current conversation (one round trip):
    // the open (or pending, or snoozed) one, or with lock_to_single_conversation the latest one
    // whatever its status.
    let (mut inbox_ids, mut sources) = (Vec::new(), Vec::new());
    for i in &items {
        inbox_ids.push(i.inbox.id);
        sources.push(i.inbound.source_id.as_str());
        if let Some(replied) = &i.inbound.reply_to_source {
            inbox_ids.push(i.inbox.id);
            sources.push(replied.as_str());
        }
    }
    let wanted: Vec<(i64, bool)> = items
        .iter()
        .map(|i| (identities[i.identity].0.id, i.inbox.lock_to_single_conversation))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (stored, current) = {
        let shared: &AsyncPgConnection = conn;
        let mut shared1 = shared;
        let stored = prepared(
            "SELECT m.* FROM unnest($1::bigint[], $2::text[]) AS k(inbox_id, source_id) CROSS JOIN LATERAL \
             (SELECT id, inbox_id, source_id FROM messages m WHERE m.inbox_id = k.inbox_id AND m.source_id = k.source_id LIMIT 1) m",
        )
        .bind::<Array<BigInt>, _>(&inbox_ids)
        .bind::<Array<Text>, _>(&sources)
        .load::<Stored>(&mut shared1);
        let mut shared2 = shared;
        let current = prepared(
            "SELECT c.* FROM unnest($1::bigint[], $2::bool[]) AS k(id, locked) CROSS JOIN LATERAL \
             (SELECT * FROM conversations c WHERE c.contact_inbox_id = k.id AND (k.locked OR c.status <> 'resolved') \
              ORDER BY c.id DESC LIMIT 1) c",
        )
        .bind::<Array<BigInt>, _>(wanted.iter().map(|w| w.0).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(wanted.iter().map(|w| w.1).collect::<Vec<_>>())
        .load::<Conversation>(&mut shared2);
        futures_util::future::try_join(stored, current).await?
    };
    let stored: HashMap<Key, i64> = stored.into_iter().map(|m| ((m.inbox_id, m.source_id), m.id)).collect();
    items.retain(|i| !stored.contains_key(&(i.inbox.id, i.inbound.source_id.clone())));
    if items.is_empty() {
        return Ok(out);
    }

    // (status before the batch, the conversation as the batch leaves it, created here)
    let mut conversations: Vec<(Status, Conversation, bool)> = Vec::new();
    let mut conversation_of: HashMap<i64, usize> = HashMap::new();
    for c in current {
        if let Some(identity) = c.contact_inbox_id {
            conversation_of.insert(identity, conversations.len());
            conversations.push((c.status, c, false));
        }
    }
    for i in items.iter_mut() {
        let identity = &identities[i.identity].0;
        i.conversation = match conversation_of.get(&identity.id) {
            Some(at) => *at,
            None => {
                let c = crate::conversations::insert(conn, &new_conversation(i.inbox, identity, i.inbound)).await?;
                conversations.push((c.status, c, true));
                conversation_of.insert(identity.id, conversations.len() - 1);
                conversations.len() - 1
            }
        };
    }

    // The messages, in arrival order.
    let rows: Vec<NewMessage> = items
        .iter()
        .map(|i| {
            let identity = &identities[i.identity].0;
            let mut attributes = i.inbound.content_attributes.clone();
            if let (Some(source), Some(obj)) = (&i.inbound.reply_to_source, attributes.as_object_mut()) {
                obj.insert("in_reply_to_external_id".into(), Value::String(source.clone()));
                if let Some(id) = stored.get(&(i.inbox.id, source.clone())) {
                    obj.insert("in_reply_to".into(), Value::from(*id));
                }
            }
            NewMessage {
                content_attributes: attributes,
                source_id: Some(i.inbound.source_id.clone()),
                created_at: i.inbound.created_at,
                ..NewMessage::text(
                    &conversations[i.conversation].1,
                    MessageType::Incoming,
                    i.inbound.content.clone(),
                    Some((SenderType::Contact, i.inbound.sender_contact_id.unwrap_or(identity.contact_id))),
                )
            }
        })
        .collect();
    let inserted = insert_messages(conn, &rows).await?;
    let mut by_source: HashMap<Key, Message> = inserted.into_iter().filter_map(|m| Some(((m.inbox_id, m.source_id.clone()?), m))).collect();
    // (item, its message)
    let stored_now: Vec<(&Item<'_>, Message)> =
        items.iter().filter_map(|i| Some((i, by_source.remove(&(i.inbox.id, i.inbound.source_id.clone()))?))).collect();

    // What the messages do to their contacts and conversations, each row written once, in one
    // round trip with the attachments. Contacts before conversations, as `messages::apply` does.
    let files: Vec<NewAttachment> = stored_now
        .iter()
        .filter_map(|(i, message)| Some(NewAttachment { message_id: message.id, ..i.inbound.attachment.clone()? }))
        .collect();
    // Ordered by id, so concurrent batches (other processes) lock these rows in one order in
    // the usual plan; a deadlock all the same fails the batch, whose deliveries are retried alone.
    let mut last_wrote: std::collections::BTreeMap<i64, DateTime<Utc>> = std::collections::BTreeMap::new();
    let was: Vec<Status> = conversations.iter().map(|(_, c, _)| c.status).collect();
    for (i, message) in &stored_now {
        crate::messages::advance(&mut conversations[i.conversation].1, message);
        let at = last_wrote.entry(identities[i.identity].0.contact_id).or_insert(message.created_at);
        *at = (*at).max(message.created_at);
    }
    let mut reopened: Vec<Conversation> = conversations
        .iter()
        .zip(&was)
        .filter(|((_, c, _), was)| **was == Status::Resolved && c.status != **was)
        .map(|((_, c, _), _)| c.clone())
        .collect();
    if !reopened.is_empty() {
        crate::messages::reopened(conn, &mut reopened).await?;
        for r in reopened {
            if let Some((_, c, _)) = conversations.iter_mut().find(|(_, c, _)| c.id == r.id) {
                c.status = r.status;
            }
        }
    }
    let (contact_ids, wrote_at): (Vec<i64>, Vec<DateTime<Utc>>) = last_wrote.into_iter().unzip();
    let mut changed: Vec<&Conversation> = conversations.iter().map(|(_, c, _)| c).collect();
    changed.sort_by_key(|c| c.id);
    let shared: &AsyncPgConnection = conn;
    let save_files = async {
        let mut c = shared;
        if files.is_empty() {
            return Ok(vec![]);
        }
        diesel::insert_into(attachments::table).values(&files).returning(Attachment::as_returning()).get_results::<Attachment>(&mut c).await
    };
    let touch_contacts = async {
        let mut c = shared;
        prepared(
            "UPDATE contacts c SET last_activity_at = GREATEST(c.last_activity_at, k.at) \
             FROM unnest($1::bigint[], $2::timestamptz[]) AS k(id, at) WHERE c.id = k.id RETURNING c.*",
        )
        .bind::<Array<BigInt>, _>(&contact_ids)
        .bind::<Array<Timestamptz>, _>(&wrote_at)
        .load::<Contact>(&mut c)
        .await
    };
    let write_conversations = async {
        let mut c = shared;
        prepared(
            "UPDATE conversations c SET waiting_since = k.waiting_since, first_reply_created_at = k.first_reply_created_at, \
             status = k.status, snoozed_until = k.snoozed_until, last_activity_at = k.last_activity_at, updated_at = now() \
             FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::timestamptz[]) \
             AS k(id, waiting_since, first_reply_created_at, status, snoozed_until, last_activity_at) WHERE c.id = k.id RETURNING c.*",
        )
        .bind::<Array<BigInt>, _>(changed.iter().map(|c| c.id).collect::<Vec<_>>())
        .bind::<Array<Nullable<Timestamptz>>, _>(changed.iter().map(|c| c.waiting_since).collect::<Vec<_>>())
        .bind::<Array<Nullable<Timestamptz>>, _>(changed.iter().map(|c| c.first_reply_created_at).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(changed.iter().map(|c| c.status.as_str()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Timestamptz>>, _>(changed.iter().map(|c| c.snoozed_until).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(changed.iter().map(|c| c.last_activity_at).collect::<Vec<_>>())
        .load::<Conversation>(&mut c)
        .await
    };
    let (saved, contacts_written, written) = futures_util::future::try_join3(save_files, touch_contacts, write_conversations).await?;
    // Files the channel only linked are fetched into our storage by a job of their own, queued
    // with the message: the link may expire, the message is never held up by it.
    let to_fetch: Vec<i64> = saved.iter().filter(|a| a.storage_key.is_none()).map(|a| a.id).collect();
    crate::jobs::enqueue_many(
        conn,
        &to_fetch.iter().map(|&attachment_id| crate::jobs::DownloadMedia { attachment_id }).collect::<Vec<_>>(),
    )
    .await?;
    let mut files_of: HashMap<i64, Vec<Attachment>> = HashMap::new();
    for a in saved {
        files_of.entry(a.message_id).or_default().push(a);
    }
    let contacts_written: HashMap<i64, Contact> = contacts_written.into_iter().map(|c| (c.id, c)).collect();
    let written: HashMap<i64, Conversation> = written.into_iter().map(|c| (c.id, c)).collect();

    // The first message of a conversation (or contact) in the batch carries what happened to it.
    let mut announced_conversations = HashSet::new();
    let mut announced_contacts = HashSet::new();
    for (i, message) in stored_now {
        let (identity, contact_created) = &identities[i.identity];
        let (before, working, created) = &conversations[i.conversation];
        // A row deleted under us (the contact, say) fails the batch rather than lose the message's events.
        let conversation = written.get(&working.id).cloned().ok_or(StoreError::NotFound)?;
        let contact = contacts_written.get(&identity.contact_id).cloned().ok_or(StoreError::NotFound)?;
        let first_of_conversation = announced_conversations.insert(conversation.id);
        out[i.delivery].push(Received {
            files: files_of.remove(&message.id).unwrap_or_default(),
            message,
            new_contact: *contact_created && announced_contacts.insert(contact.id),
            new_conversation: *created && first_of_conversation,
            previous_status: if first_of_conversation { *before } else { conversation.status },
            conversation,
            contact,
            identity: identity.clone(),
        });
    }
    Ok(out)
}

/// Many messages in one statement whose text does not depend on how many (so it stays
/// prepared). A message whose (inbox, source_id) is taken is skipped, not an error.
async fn insert_messages(conn: &mut AsyncPgConnection, rows: &[NewMessage]) -> StoreResult<Vec<Message>> {
    fn column<'r, T>(rows: &'r [NewMessage], f: impl Fn(&'r NewMessage) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    // Every field is bound below: a field added to NewMessage stops compiling here until it is.
    let _every_field = |m: &NewMessage| {
        let NewMessage {
            account_id: _,
            inbox_id: _,
            conversation_id: _,
            message_type: _,
            content: _,
            content_type: _,
            content_attributes: _,
            additional_attributes: _,
            private: _,
            status: _,
            source_id: _,
            sender_type: _,
            sender_id: _,
            echo_id: _,
            created_at: _,
        } = m;
    };
    Ok(prepared(
        "INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, content_type, content_attributes, \
         additional_attributes, private, status, source_id, sender_type, sender_id, echo_id, created_at) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[], $5::text[], $6::text[], $7::jsonb[], \
         $8::jsonb[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::timestamptz[]) \
         ON CONFLICT DO NOTHING RETURNING *",
    )
    .bind::<Array<BigInt>, _>(column(rows, |m| m.account_id))
    .bind::<Array<BigInt>, _>(column(rows, |m| m.inbox_id))
    .bind::<Array<BigInt>, _>(column(rows, |m| m.conversation_id))
    .bind::<Array<diesel::sql_types::SmallInt>, _>(column(rows, |m| m.message_type))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |m| m.content.as_deref()))
    .bind::<Array<Text>, _>(column(rows, |m| m.content_type.as_str()))
    .bind::<Array<Jsonb>, _>(column(rows, |m| &m.content_attributes))
    .bind::<Array<Jsonb>, _>(column(rows, |m| &m.additional_attributes))
    .bind::<Array<Bool>, _>(column(rows, |m| m.private))
    .bind::<Array<Text>, _>(column(rows, |m| m.status.as_str()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |m| m.source_id.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |m| m.sender_type.map(SenderType::as_str)))
    .bind::<Array<Nullable<BigInt>>, _>(column(rows, |m| m.sender_id))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |m| m.echo_id.as_deref()))
    .bind::<Array<Timestamptz>, _>(column(rows, |m| m.created_at))
    .load(conn)
    .await?)
}

fn new_conversation(inbox: &Inbox, identity: &ContactInbox, inbound: &Inbound) -> NewConversation {
    NewConversation {
        account_id: inbox.account_id,
        inbox_id: inbox.id,
        contact_id: identity.contact_id,
        contact_inbox_id: Some(identity.id),
        assignee_id: None,
        team_id: None,
        status: crate::models::Status::Open,
        priority: None,
        group_type: if inbound.group { "group" } else { "individual" }.into(),
        snoozed_until: None,
        uuid: inbound.conversation_uuid.clone(),
        additional_attributes: Value::Object(Default::default()),
        custom_attributes: Value::Object(Default::default()),
    }
}

/// The identity of a sender seen for the first time on this inbox, with its contact: a contact
/// with this number may exist already (created by an agent, another inbox or a concurrent
/// delivery). No row lock is taken on the contact: locks go identity first, then contact, in
/// every path, so concurrent deliveries cannot deadlock. `true`: the contact is new.
async fn create_identity(conn: &mut AsyncPgConnection, inbox: &Inbox, inbound: &Inbound) -> StoreResult<(ContactInbox, bool)> {
    let contact: Upserted = match &inbound.phone_number {
        Some(phone) => {
            let inserted: Option<Upserted> = diesel::sql_query(
                "INSERT INTO contacts (account_id, name, phone_number, last_activity_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, phone_number) WHERE phone_number IS NOT NULL DO NOTHING RETURNING id, true AS inserted",
            )
            .bind::<BigInt, _>(inbox.account_id)
            .bind::<Text, _>(&inbound.name)
            .bind::<Text, _>(phone)
            .bind::<Timestamptz, _>(inbound.created_at)
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
            .bind::<Timestamptz, _>(inbound.created_at)
            .get_result(conn)
            .await?
        }
    };
    let identity = upsert_identity(conn, contact.id, inbox.id, &inbound.wa_id, &inbound.pubsub_token).await?;
    Ok((identity, contact.inserted))
}

/// The contact's identity with this source id in the inbox; one made concurrently (the same
/// sender in another delivery) is returned as it is.
pub(crate) async fn upsert_identity(
    conn: &mut AsyncPgConnection,
    contact_id: i64,
    inbox_id: i64,
    source_id: &str,
    pubsub_token: &str,
) -> StoreResult<ContactInbox> {
    Ok(diesel::insert_into(contact_inboxes::table)
        .values((
            contact_inboxes::contact_id.eq(contact_id),
            contact_inboxes::inbox_id.eq(inbox_id),
            contact_inboxes::source_id.eq(source_id),
            contact_inboxes::pubsub_token.eq(pubsub_token),
        ))
        .on_conflict((contact_inboxes::inbox_id, contact_inboxes::source_id))
        .do_update()
        .set(contact_inboxes::updated_at.eq(contact_inboxes::updated_at))
        .returning(ContactInbox::as_returning())
        .get_result(conn)
        .await?)
}
