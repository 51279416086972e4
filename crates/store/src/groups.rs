//! WhatsApp groups: the group contact and its identity, the people in it, and their
//! memberships. Everything here is idempotent, so a repeated webhook or sync changes nothing.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::groups::{better_name, Person};

use crate::models::{Contact, ContactInbox, Conversation, GroupMember, Inbox};
use crate::schema::{contacts, group_members};
use crate::{StoreError, StoreResult};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The group contact with this JID, and its identity in the inbox; both are created when
/// missing, in one transaction with a `SyncGroup` job for a new group. `true`: the contact is new.
pub async fn ensure_group(
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    jid: &str,
    source_id: &str,
    pubsub_token: &str,
) -> StoreResult<(Contact, ContactInbox, bool)> {
    // Nearly always the group is known: one read, no transaction.
    if let Some((contact, identity)) = find_group(conn, inbox, jid, source_id).await? {
        return Ok((contact, identity, false));
    }
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let (contact, identity, created) = ensure_group_in(conn, inbox, jid, source_id, pubsub_token).await?;
        if created {
            crate::jobs::enqueue(conn, &crate::jobs::SyncGroup { contact_id: contact.id, force: false }).await?;
        }
        Ok((contact, identity, created))
    })
    .await
}

/// The group contact with this JID and its identity in the inbox, if known.
pub async fn find_group(
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    jid: &str,
    source_id: &str,
) -> StoreResult<Option<(Contact, ContactInbox)>> {
    Ok(contacts::table
        .inner_join(crate::schema::contact_inboxes::table.on(crate::schema::contact_inboxes::contact_id.eq(contacts::id)))
        .filter(crate::schema::contact_inboxes::inbox_id.eq(inbox.id))
        .filter(crate::schema::contact_inboxes::source_id.eq(source_id))
        .filter(contacts::identifier.eq(jid))
        .select((Contact::as_select(), ContactInbox::as_select()))
        .first(conn)
        .await
        .optional()?)
}

/// An active member of the group who is this person as we know them: the contact with their
/// LID (or, without one, their number) that already has every identifier the provider gave.
/// `None` when anything about them would change (new, inactive, an identifier missing).
pub async fn known_member(conn: &mut AsyncPgConnection, account_id: i64, group_id: i64, p: &Person) -> StoreResult<Option<Contact>> {
    let mut q = contacts::table
        .inner_join(group_members::table.on(group_members::contact_id.eq(contacts::id)))
        .filter(group_members::group_contact_id.eq(group_id))
        .filter(group_members::is_active.eq(true))
        .filter(contacts::account_id.eq(account_id))
        .select(Contact::as_select())
        .into_boxed();
    match (&p.lid, &p.phone) {
        (Some(lid), Some(phone)) => q = q.filter(contacts::identifier.eq(lid)).filter(contacts::phone_number.eq(phone)),
        (Some(lid), None) => q = q.filter(contacts::identifier.eq(lid)),
        (None, Some(phone)) => q = q.filter(contacts::phone_number.eq(phone)),
        (None, None) => return Ok(None),
    }
    let found: Option<Contact> = q.first(conn).await.optional()?;
    // A better name (a push name for a number) is news too.
    Ok(found.filter(|c| better_name(&c.name, p.name.as_deref()).is_none()))
}

/// A new group is named by its JID's number until its first sync.
async fn ensure_group_in(
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    jid: &str,
    source_id: &str,
    pubsub_token: &str,
) -> StoreResult<(Contact, ContactInbox, bool)> {
    let name = source_id;
    let inserted: Option<Id> = diesel::sql_query(
        "INSERT INTO contacts (account_id, name, identifier, group_type) VALUES ($1, $2, $3, 'group') \
         ON CONFLICT (account_id, identifier) WHERE identifier IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind::<BigInt, _>(inbox.account_id)
    .bind::<Text, _>(name)
    .bind::<Text, _>(jid)
    .get_result(conn)
    .await
    .optional()?;
    let contact: Contact = contacts::table
        .filter(contacts::account_id.eq(inbox.account_id))
        .filter(contacts::identifier.eq(jid))
        .select(Contact::as_select())
        .first(conn)
        .await?;
    let identity = crate::whatsapp::upsert_identity(conn, contact.id, inbox.id, source_id, pubsub_token).await?;
    Ok((contact.clone(), identity, inserted.is_some_and(|i| i.id == contact.id)))
}

pub async fn find_person(conn: &mut AsyncPgConnection, account_id: i64, p: &Person) -> StoreResult<Option<Contact>> {
    let mut found = None;
    if let Some(lid) = &p.lid {
        found = contacts::table
            .filter(contacts::account_id.eq(account_id))
            .filter(contacts::identifier.eq(lid))
            .select(Contact::as_select())
            .first(conn)
            .await
            .optional()?;
    }
    if let (None, Some(phone)) = (&found, &p.phone) {
        found = contacts::table
            .filter(contacts::account_id.eq(account_id))
            .filter(contacts::phone_number.eq(phone))
            .select(Contact::as_select())
            .first(conn)
            .await
            .optional()?;
    }
    Ok(found)
}

/// A person of a group as a contact: found by LID, then by number, else created. What the
/// provider tells about them fills in what the contact lacks: the LID, the number, and a name
/// better than a number. `true`: the contact is new.
pub async fn ensure_person(conn: &mut AsyncPgConnection, account_id: i64, p: &Person) -> StoreResult<(Contact, bool)> {
    // Twice at most: a contact created concurrently between our look and our insert is found
    // (and improved) on the second turn.
    for _ in 0..2 {
        if let Some(c) = find_person(conn, account_id, p).await? {
            return Ok((improve(conn, c, p).await?, false));
        }
        let inserted: Option<Contact> = diesel::sql_query(
            "INSERT INTO contacts (account_id, name, identifier, phone_number) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING *",
        )
        .bind::<BigInt, _>(account_id)
        .bind::<Text, _>(p.display_name())
        .bind::<Nullable<Text>, _>(&p.lid)
        .bind::<Nullable<Text>, _>(&p.phone)
        .get_result(conn)
        .await
        .optional()?;
        if let Some(c) = inserted {
            return Ok((c, true));
        }
    }
    Err(StoreError::NotFound)
}

/// Fills in what a contact lacks from what the provider told: its LID, its number, and a name
/// better than a number.
async fn improve(conn: &mut AsyncPgConnection, c: Contact, p: &Person) -> StoreResult<Contact> {
    let name = better_name(&c.name, p.name.as_deref());
    let lid = p.lid.as_ref().filter(|_| c.identifier.is_none());
    let phone = p.phone.as_ref().filter(|_| c.phone_number.is_none());
    if name.is_none() && lid.is_none() && phone.is_none() {
        return Ok(c);
    }
    // Another contact may hold that LID or number already: then this one goes without.
    let updated: Option<Contact> = diesel::sql_query(
        "UPDATE contacts c SET name = coalesce($2, c.name), \
           identifier = CASE WHEN $3::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.account_id = c.account_id AND o.identifier = $3) THEN $3 ELSE c.identifier END, \
           phone_number = CASE WHEN $4::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.account_id = c.account_id AND o.phone_number = $4) THEN $4 ELSE c.phone_number END, \
           updated_at = now() \
         WHERE c.id = $1 RETURNING c.*",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Nullable<Text>, _>(name)
    .bind::<Nullable<Text>, _>(lid)
    .bind::<Nullable<Text>, _>(phone)
    .get_result(conn)
    .await
    .optional()
    .or_else(|e| match StoreError::from(e) {
        // A concurrent delivery took the LID or number in between: keep the contact as it was.
        StoreError::Conflict { .. } => Ok(None),
        e => Err(e),
    })?;
    Ok(updated.unwrap_or(c))
}

/// A membership to record: `role: None` keeps the role a member already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange<'a> {
    pub contact_id: i64,
    pub role: Option<&'a str>,
    pub active: bool,
}

#[derive(QueryableByName)]
struct Changed {
    #[diesel(sql_type = BigInt)]
    contact_id: i64,
}

/// Records memberships in two statements, whatever their number (a sync brings up to a
/// thousand). A contact named twice counts once, the last time. Returns the contacts whose
/// membership is new or changed: the same news delivered twice changes nothing the second time.
pub async fn apply_members(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    group_id: i64,
    changes: &[MemberChange<'_>],
) -> StoreResult<Vec<i64>> {
    let mut changed = Vec::new();
    let mut last = std::collections::BTreeMap::new();
    for c in changes {
        last.insert(c.contact_id, *c);
    }
    for keeps_role in [false, true] {
        let rows: Vec<&MemberChange<'_>> = last.values().filter(|c| c.role.is_none() == keeps_role).collect();
        if rows.is_empty() {
            continue;
        }
        let role_on_conflict = if keeps_role { "group_members.role" } else { "EXCLUDED.role" };
        let rows: Vec<Changed> = diesel::sql_query(format!(
            "INSERT INTO group_members (account_id, group_contact_id, contact_id, role, is_active) \
             SELECT $1, $2, c, r, a FROM unnest($3::bigint[], $4::text[], $5::bool[]) AS t(c, r, a) \
             ON CONFLICT (group_contact_id, contact_id) DO UPDATE SET role = {role_on_conflict}, is_active = EXCLUDED.is_active, updated_at = now() \
             WHERE group_members.is_active IS DISTINCT FROM EXCLUDED.is_active OR group_members.role IS DISTINCT FROM {role_on_conflict} \
             RETURNING contact_id"
        ))
        .bind::<BigInt, _>(account_id)
        .bind::<BigInt, _>(group_id)
        .bind::<Array<BigInt>, _>(rows.iter().map(|c| c.contact_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|c| c.role.unwrap_or("member")).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(rows.iter().map(|c| c.active).collect::<Vec<_>>())
        .load(conn)
        .await?;
        changed.extend(rows.into_iter().map(|r| r.contact_id));
    }
    Ok(changed)
}

/// A sync's last word: members the provider no longer lists are no longer active.
pub async fn deactivate_others(conn: &mut AsyncPgConnection, group_id: i64, keep: &[i64]) -> StoreResult<usize> {
    Ok(diesel::sql_query(
        "UPDATE group_members SET is_active = false, updated_at = now() WHERE group_contact_id = $1 AND is_active AND NOT (contact_id = ANY($2))",
    )
    .bind::<BigInt, _>(group_id)
    .bind::<Array<BigInt>, _>(keep)
    .execute(conn)
    .await?)
}

/// Renames the group (when `name` is given) and merges `attributes` into its
/// additional_attributes.
pub async fn describe(conn: &mut AsyncPgConnection, group_id: i64, name: Option<&str>, attributes: &Value) -> StoreResult<Contact> {
    Ok(diesel::sql_query(
        "UPDATE contacts SET name = coalesce($2, name), additional_attributes = additional_attributes || $3, updated_at = now() \
         WHERE id = $1 RETURNING *",
    )
    .bind::<BigInt, _>(group_id)
    .bind::<Nullable<Text>, _>(name)
    .bind::<Jsonb, _>(attributes)
    .get_result(conn)
    .await?)
}

/// A person as `record` left them.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub contact: Contact,
    /// The contact was created now.
    pub new: bool,
    /// Their membership is new or changed (not a repeat of what was known).
    pub membership_changed: bool,
}

/// A person and what happens to their membership.
#[derive(Debug, Clone)]
pub struct PersonChange<'a> {
    pub person: Person,
    pub role: Option<&'a str>,
    pub active: bool,
}

/// Records the people of a group in one transaction: each as a contact, their memberships, and
/// (with `exhaustive`, a sync's full list) the end of every membership it did not list. Returns
/// the group and the people, in the order given.
pub async fn record(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    group_id: i64,
    people: &[PersonChange<'_>],
    exhaustive: bool,
) -> StoreResult<(Contact, Vec<Recorded>)> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let mut contacts = Vec::with_capacity(people.len());
        for p in people {
            contacts.push(ensure_person(conn, account_id, &p.person).await?);
        }
        let changes: Vec<MemberChange<'_>> =
            people.iter().zip(&contacts).map(|(p, (c, _))| MemberChange { contact_id: c.id, role: p.role, active: p.active }).collect();
        let changed = apply_members(conn, account_id, group_id, &changes).await?;
        if exhaustive {
            let keep: Vec<i64> = contacts.iter().map(|(c, _)| c.id).collect();
            deactivate_others(conn, group_id, &keep).await?;
        }
        let group = contacts::table.find(group_id).select(Contact::as_select()).first(conn).await?;
        let people = contacts
            .into_iter()
            .map(|(contact, new)| {
                let membership_changed = changed.contains(&contact.id);
                Recorded { contact, new, membership_changed }
            })
            .collect();
        Ok((group, people))
    })
    .await
}

/// The group's conversation in an inbox that is still going (open, pending or snoozed).
pub async fn current_conversation(conn: &mut AsyncPgConnection, contact_inbox_id: i64) -> StoreResult<Option<Conversation>> {
    use crate::schema::conversations;
    Ok(conversations::table
        .filter(conversations::contact_inbox_id.eq(contact_inbox_id))
        .filter(conversations::status.ne("resolved"))
        .order(conversations::id.desc())
        .select(Conversation::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A group's active members with their contacts: admins first, then in the order they came.
/// `pinned` (the inbox's own member) comes before everyone.
pub async fn members(
    conn: &mut AsyncPgConnection,
    group_id: i64,
    pinned: Option<i64>,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<(GroupMember, Contact)>, i64)> {
    let total: i64 = group_members::table
        .filter(group_members::group_contact_id.eq(group_id))
        .filter(group_members::is_active.eq(true))
        .count()
        .get_result(conn)
        .await?;
    let rows = group_members::table
        .inner_join(contacts::table.on(contacts::id.eq(group_members::contact_id)))
        .filter(group_members::group_contact_id.eq(group_id))
        .filter(group_members::is_active.eq(true))
        .order((group_members::contact_id.eq(pinned.unwrap_or(0)).desc(), group_members::role.eq("admin").desc(), group_members::id.asc()))
        .offset(offset)
        .limit(limit)
        .select((GroupMember::as_select(), Contact::as_select()))
        .load(conn)
        .await?;
    Ok((rows, total))
}

/// The active member whose number is the inbox's: the same digits, or the same last 8.
pub async fn member_with_number(conn: &mut AsyncPgConnection, group_id: i64, phone: &str) -> StoreResult<Option<GroupMember>> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return Ok(None);
    }
    let last8 = &digits[digits.len() - 8..];
    Ok(diesel::sql_query(
        "SELECT gm.* FROM group_members gm JOIN contacts c ON c.id = gm.contact_id \
         WHERE gm.group_contact_id = $1 AND gm.is_active AND c.phone_number IS NOT NULL \
           AND (regexp_replace(c.phone_number, '\\D', '', 'g') = $2 OR right(regexp_replace(c.phone_number, '\\D', '', 'g'), 8) = $3) \
         ORDER BY (regexp_replace(c.phone_number, '\\D', '', 'g') = $2) DESC, gm.id LIMIT 1",
    )
    .bind::<BigInt, _>(group_id)
    .bind::<Text, _>(&digits)
    .bind::<Text, _>(last8)
    .get_result(conn)
    .await
    .optional()?)
}

/// An active membership of the group, by its id, with the member's contact.
pub async fn member(conn: &mut AsyncPgConnection, group_id: i64, member_id: i64) -> StoreResult<Option<(GroupMember, Contact)>> {
    Ok(group_members::table
        .inner_join(contacts::table.on(contacts::id.eq(group_members::contact_id)))
        .filter(group_members::group_contact_id.eq(group_id))
        .filter(group_members::id.eq(member_id))
        .filter(group_members::is_active.eq(true))
        .select((GroupMember::as_select(), Contact::as_select()))
        .first(conn)
        .await
        .optional()?)
}

/// Records that our number left the group in this inbox (`left`), or is in it again. `true` when
/// that is news.
pub async fn set_left(conn: &mut AsyncPgConnection, contact_inbox_id: i64, left: bool) -> StoreResult<bool> {
    use crate::schema::contact_inboxes;
    let target = contact_inboxes::table.filter(contact_inboxes::id.eq(contact_inbox_id));
    let changed = if left {
        diesel::update(target.filter(contact_inboxes::group_left_at.is_null()))
            .set((contact_inboxes::group_left_at.eq(diesel::dsl::now), contact_inboxes::updated_at.eq(diesel::dsl::now)))
            .execute(conn)
            .await?
    } else {
        diesel::update(target.filter(contact_inboxes::group_left_at.is_not_null()))
            .set((
                contact_inboxes::group_left_at.eq(None::<chrono::DateTime<chrono::Utc>>),
                contact_inboxes::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?
    };
    Ok(changed > 0)
}

/// The group's conversations in an inbox that wait for someone (open or pending), locked for
/// the change that resolves them.
pub async fn waiting_conversations(conn: &mut AsyncPgConnection, contact_inbox_id: i64) -> StoreResult<Vec<Conversation>> {
    use crate::schema::conversations;
    Ok(conversations::table
        .filter(conversations::contact_inbox_id.eq(contact_inbox_id))
        .filter(conversations::status.eq_any(["open", "pending"]))
        .order(conversations::id)
        .select(Conversation::as_select())
        .for_update()
        .load(conn)
        .await?)
}

/// A soft-disabled group's activity summary on its current conversation (created, open, when
/// it has none): the last activity moves to `at` (never back) and the summary is kept as
/// `additional_attributes.group_activity`. `true`: the conversation is new.
pub async fn touch_conversation(
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    group: &Contact,
    identity: &ContactInbox,
    at: chrono::DateTime<chrono::Utc>,
    summary: &Value,
    uuid: &str,
) -> StoreResult<(Conversation, bool)> {
    use crate::schema::conversations;
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let (current, created) = match current_conversation(conn, identity.id).await? {
            Some(c) => (c, false),
            None => {
                let new = crate::models::NewConversation {
                    account_id: inbox.account_id,
                    inbox_id: inbox.id,
                    contact_id: group.id,
                    contact_inbox_id: Some(identity.id),
                    assignee_id: None,
                    team_id: None,
                    status: crate::models::Status::Open,
                    priority: None,
                    group_type: "group".into(),
                    snoozed_until: None,
                    uuid: uuid.to_string(),
                    additional_attributes: serde_json::json!({}),
                    custom_attributes: serde_json::json!({}),
                };
                (crate::conversations::insert(conn, &new).await?, true)
            }
        };
        let updated = diesel::update(conversations::table.find(current.id))
            .set((
                // A new conversation starts at the activity, not at its insertion.
                conversations::last_activity_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("CASE WHEN ")
                    .bind::<Bool, _>(created)
                    .sql(" THEN ")
                    .bind::<diesel::sql_types::Timestamptz, _>(at)
                    .sql(" ELSE GREATEST(last_activity_at, ")
                    .bind::<diesel::sql_types::Timestamptz, _>(at)
                    .sql(") END")),
                conversations::additional_attributes.eq(diesel::dsl::sql::<Jsonb>(
                    "additional_attributes || jsonb_build_object('group_activity', ",
                )
                .bind::<Jsonb, _>(summary)
                .sql(")")),
                conversations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Conversation::as_returning())
            .get_result(conn)
            .await?;
        Ok((updated, created))
    })
    .await
}

/// Pairs of contacts that WhatsApp shows are one person: for each person known by LID and
/// number, the contact with the number and the one with the LID, when they differ (oldest
/// first, locked for the merge that follows). One query, however many people.
pub async fn split_people(conn: &mut AsyncPgConnection, account_id: i64, people: &[&Person]) -> StoreResult<Vec<(Contact, Contact)>> {
    let both: Vec<(&String, &String)> = people.iter().filter_map(|p| Some((p.lid.as_ref()?, p.phone.as_ref()?))).collect();
    if both.is_empty() {
        return Ok(vec![]);
    }
    let lids: Vec<&String> = both.iter().map(|(l, _)| *l).collect();
    let phones: Vec<&String> = both.iter().map(|(_, p)| *p).collect();
    let found: Vec<Contact> = contacts::table
        .filter(contacts::account_id.eq(account_id))
        .filter(contacts::identifier.eq_any(&lids).or(contacts::phone_number.eq_any(&phones)))
        .order(contacts::id)
        .select(Contact::as_select())
        .for_update()
        .load(conn)
        .await?;
    let mut pairs = Vec::new();
    for (lid, phone) in both {
        let by_lid = found.iter().find(|c| c.identifier.as_ref() == Some(lid));
        let by_phone = found.iter().find(|c| c.phone_number.as_ref() == Some(phone));
        if let (Some(a), Some(b)) = (by_lid, by_phone) {
            if a.id != b.id && !pairs.iter().any(|(x, y): &(Contact, Contact)| [x.id, y.id].contains(&a.id) || [x.id, y.id].contains(&b.id))
            {
                let (older, newer) = if a.id < b.id { (a, b) } else { (b, a) };
                pairs.push((older.clone(), newer.clone()));
            }
        }
    }
    Ok(pairs)
}

/// The group's identity in an inbox whose provider reaches groups, with that inbox.
pub async fn group_inbox(conn: &mut AsyncPgConnection, group: &Contact) -> StoreResult<Option<(ContactInbox, Inbox)>> {
    use switchboard_domain::inbox::ChannelType;
    use switchboard_domain::whatsapp::Provider;
    let identities = crate::contacts::inboxes_of(conn, &[group.id]).await?;
    Ok(identities.into_iter().find(|(_, i)| i.channel_type == ChannelType::Whatsapp && Provider::of(i.provider).capabilities().groups))
}

/// A contact whose number ends in the same 8 digits (a number written with or without a
/// country's mobile prefix), when exactly one does.
pub async fn by_last_digits(conn: &mut AsyncPgConnection, account_id: i64, phone: &str) -> StoreResult<Option<Contact>> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return Ok(None);
    }
    let found: Vec<Contact> = diesel::sql_query(
        "SELECT * FROM contacts WHERE account_id = $1 AND phone_number IS NOT NULL \
         AND right(regexp_replace(phone_number, '\\D', '', 'g'), 8) = $2 LIMIT 2",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Text, _>(&digits[digits.len() - 8..])
    .load(conn)
    .await?;
    Ok(if found.len() == 1 { found.into_iter().next() } else { None })
}
