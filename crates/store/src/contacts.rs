//! Contacts and their inbox identities: lists, search, filters, merges.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use switchboard_domain::contacts::ContactSort;

use crate::filters::like_pattern;
use crate::models::{Contact, ContactChanges, ContactInbox, Inbox};
use crate::schema::{contact_inboxes, contacts, inboxes};
use crate::{StoreError, StoreResult};

/// Page size of the contact list, as in the reference.
pub const PER_PAGE: i64 = 15;

/// The expression `contacts_search_trgm_idx` indexes; searches must use it verbatim.
const SEARCH_EXPR: &str =
    "(contacts.name || ' ' || coalesce(contacts.email, '') || ' ' || coalesce(contacts.phone_number, '') || ' ' || coalesce(contacts.identifier, ''))";

pub struct ListQuery<'a> {
    pub account_id: i64,
    pub sort: ContactSort,
    pub descending: bool,
    pub page: i64,
    pub search: Option<&'a str>,
    pub label: Option<&'a str>,
    /// Conditions of `POST contacts/filter`.
    pub conditions: Option<&'a switchboard_domain::filters::Groups>,
}

fn filtered<'a>(q: &ListQuery<'a>) -> contacts::BoxedQuery<'a, diesel::pg::Pg> {
    let mut query = contacts::table.filter(contacts::account_id.eq(q.account_id)).into_boxed();
    if let Some(term) = q.search {
        query = query.filter(sql::<Bool>(SEARCH_EXPR).sql(" ILIKE ").bind::<Text, _>(like_pattern(term)));
    }
    if let Some(label) = q.label {
        query = query.filter(contacts::labels.contains(vec![label.to_string()]));
    }
    if let Some(groups) = q.conditions {
        query = query.filter(crate::filters::where_clause(groups, &crate::filters::CONTACT_COLUMNS));
    }
    query
}

/// One page and the total count: two queries, whatever the page size.
pub async fn list(conn: &mut AsyncPgConnection, q: &ListQuery<'_>) -> StoreResult<(Vec<Contact>, i64)> {
    let count: i64 = filtered(q).count().get_result(conn).await?;
    let mut query = filtered(q).select(Contact::as_select());
    query = match (q.sort, q.descending) {
        (ContactSort::Name, false) => query.order(contacts::name.asc()),
        (ContactSort::Name, true) => query.order(contacts::name.desc()),
        (ContactSort::Email, false) => query.order(contacts::email.asc().nulls_last()),
        (ContactSort::Email, true) => query.order(contacts::email.desc().nulls_last()),
        (ContactSort::PhoneNumber, false) => query.order(contacts::phone_number.asc().nulls_last()),
        (ContactSort::PhoneNumber, true) => query.order(contacts::phone_number.desc().nulls_last()),
        (ContactSort::LastActivityAt, false) => query.order(contacts::last_activity_at.asc().nulls_last()),
        (ContactSort::LastActivityAt, true) => query.order(contacts::last_activity_at.desc().nulls_last()),
        (ContactSort::CreatedAt, false) => query.order(contacts::created_at.asc()),
        (ContactSort::CreatedAt, true) => query.order(contacts::created_at.desc()),
    };
    let rows = query.then_order_by(contacts::id.asc()).limit(PER_PAGE).offset((q.page - 1) * PER_PAGE).load(conn).await?;
    Ok((rows, count))
}

/// Contact inboxes (with their inbox) of many contacts in one query, for list pages.
pub async fn inboxes_of(conn: &mut AsyncPgConnection, contact_ids: &[i64]) -> StoreResult<Vec<(ContactInbox, Inbox)>> {
    Ok(contact_inboxes::table
        .inner_join(inboxes::table)
        .filter(contact_inboxes::contact_id.eq_any(contact_ids))
        .order(contact_inboxes::id)
        .select((ContactInbox::as_select(), Inbox::as_select()))
        .load(conn)
        .await?)
}

/// Contacts by id within an account, for rendering who wrote what.
pub async fn by_ids(conn: &mut AsyncPgConnection, account_id: i64, ids: &[i64]) -> StoreResult<Vec<Contact>> {
    Ok(contacts::table
        .filter(contacts::account_id.eq(account_id))
        .filter(contacts::id.eq_any(ids))
        .select(Contact::as_select())
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<Contact>> {
    Ok(contacts::table
        .filter(contacts::account_id.eq(account_id))
        .filter(contacts::id.eq(id))
        .select(Contact::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Creates the contact and, when an inbox is given, its identity there, all or nothing.
pub async fn create(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    fields: &ContactChanges,
    inbox: Option<(i64, &str, &str)>,
) -> StoreResult<(Contact, Option<ContactInbox>)> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let created: Contact = diesel::insert_into(contacts::table)
            .values(contacts::account_id.eq(account_id))
            .returning(Contact::as_returning())
            .get_result(conn)
            .await?;
        let contact = update(conn, account_id, created.id, fields).await?.ok_or(StoreError::NotFound)?;
        let contact_inbox = match inbox {
            Some((inbox_id, source_id, pubsub_token)) => Some(add_inbox(conn, contact.id, inbox_id, source_id, pubsub_token).await?),
            None => None,
        };
        Ok((contact, contact_inbox))
    })
    .await
}

pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, id: i64, changes: &ContactChanges) -> StoreResult<Option<Contact>> {
    Ok(diesel::update(contacts::table.filter(contacts::account_id.eq(account_id)).filter(contacts::id.eq(id)))
        .set((changes, contacts::updated_at.eq(diesel::dsl::now)))
        .returning(Contact::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(contacts::table.filter(contacts::account_id.eq(account_id)).filter(contacts::id.eq(id))).execute(conn).await? > 0)
}

pub async fn set_labels(conn: &mut AsyncPgConnection, account_id: i64, id: i64, labels: &[String]) -> StoreResult<Option<Contact>> {
    Ok(diesel::update(contacts::table.filter(contacts::account_id.eq(account_id)).filter(contacts::id.eq(id)))
        .set((contacts::labels.eq(labels), contacts::updated_at.eq(diesel::dsl::now)))
        .returning(Contact::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// The account's contact with this identifier.
pub async fn by_identifier(conn: &mut AsyncPgConnection, account_id: i64, identifier: &str) -> StoreResult<Option<Contact>> {
    Ok(contacts::table
        .filter(contacts::account_id.eq(account_id))
        .filter(contacts::identifier.eq(identifier))
        .select(Contact::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks an identity as proven by the inbox's HMAC (`identifier_hash`).
pub async fn verify_identity(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<ContactInbox> {
    Ok(diesel::update(contact_inboxes::table.find(id))
        .set((contact_inboxes::hmac_verified.eq(true), contact_inboxes::updated_at.eq(diesel::dsl::now)))
        .returning(ContactInbox::as_returning())
        .get_result(conn)
        .await?)
}

/// The contact's identity in an inbox; an existing (inbox, source_id) is a conflict.
pub async fn add_inbox(
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
        .returning(ContactInbox::as_returning())
        .get_result(conn)
        .await?)
}

/// The contact behind `source_id` in an inbox of the account.
pub async fn find_identity(conn: &mut AsyncPgConnection, inbox_id: i64, source_id: &str) -> StoreResult<Option<ContactInbox>> {
    Ok(contact_inboxes::table
        .filter(contact_inboxes::inbox_id.eq(inbox_id))
        .filter(contact_inboxes::source_id.eq(source_id))
        .select(ContactInbox::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The contact's first identity in an inbox, if any.
pub async fn identity_in(conn: &mut AsyncPgConnection, contact_id: i64, inbox_id: i64) -> StoreResult<Option<ContactInbox>> {
    Ok(contact_inboxes::table
        .filter(contact_inboxes::contact_id.eq(contact_id))
        .filter(contact_inboxes::inbox_id.eq(inbox_id))
        .order(contact_inboxes::id)
        .select(ContactInbox::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Contact> {
    Ok(contacts::table.find(id).select(Contact::as_select()).first(conn).await?)
}

/// Moves the mergee's conversations and identities to the base, deletes the mergee, then writes
/// the base's merged fields, all or nothing (the order keeps unique emails/phones from clashing).
/// Returns the base and the conversations that moved.
pub async fn merge(
    conn: &mut AsyncPgConnection,
    base: &Contact,
    mergee: &Contact,
    merged: &ContactChanges,
    labels: &[String],
) -> StoreResult<(Contact, Vec<crate::models::Conversation>)> {
    use crate::schema::conversations;
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let moved: Vec<crate::models::Conversation> = diesel::update(conversations::table.filter(conversations::contact_id.eq(mergee.id)))
            .set(conversations::contact_id.eq(base.id))
            .returning(crate::models::Conversation::as_returning())
            .get_results(conn)
            .await?;
        diesel::update(contact_inboxes::table.filter(contact_inboxes::contact_id.eq(mergee.id)))
            .set(contact_inboxes::contact_id.eq(base.id))
            .execute(conn)
            .await?;
        // Group memberships follow the person, unless the base is in that group already.
        diesel::sql_query(
            "UPDATE group_members g SET contact_id = $1, updated_at = now() WHERE g.contact_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM group_members b WHERE b.group_contact_id = g.group_contact_id AND b.contact_id = $1)",
        )
        .bind::<diesel::sql_types::BigInt, _>(base.id)
        .bind::<diesel::sql_types::BigInt, _>(mergee.id)
        .execute(conn)
        .await?;
        diesel::delete(contacts::table.find(mergee.id)).execute(conn).await?;
        diesel::update(contacts::table.find(base.id))
            .set((merged, contacts::labels.eq(labels), contacts::updated_at.eq(diesel::dsl::now)))
            .returning(Contact::as_returning())
            .get_result(conn)
            .await
            .map(|contact| (contact, moved))
            .map_err(StoreError::from)
    })
    .await
}

/// The contact identity holding this realtime token, with its account.
pub async fn identity_by_pubsub(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<(ContactInbox, i64)>> {
    Ok(contact_inboxes::table
        .inner_join(contacts::table)
        .filter(contact_inboxes::pubsub_token.eq(token))
        .select((ContactInbox::as_select(), contacts::account_id))
        .first(conn)
        .await
        .optional()?)
}

pub async fn identity(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Option<ContactInbox>> {
    Ok(contact_inboxes::table.find(id).select(ContactInbox::as_select()).first(conn).await.optional()?)
}

/// The contact's picture (`thumbnail`, empty for none) and when it was last looked for.
pub async fn set_avatar(conn: &mut AsyncPgConnection, id: i64, thumbnail: &str, fetched_at: i64) -> StoreResult<Contact> {
    Ok(diesel::sql_query(
        "UPDATE contacts SET thumbnail = $2, additional_attributes = additional_attributes || jsonb_build_object('avatar_fetched_at', $3::bigint), \
         updated_at = now() WHERE id = $1 RETURNING *",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .bind::<diesel::sql_types::Text, _>(thumbnail)
    .bind::<diesel::sql_types::BigInt, _>(fetched_at)
    .get_result(conn)
    .await?)
}
