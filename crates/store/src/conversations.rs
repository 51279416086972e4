//! Conversations: creation with a gapless per-account display id, the filtered list and its
//! counts, and batch loaders so a list page costs the same number of queries at any size.

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::conversations::Status;

use crate::filters::like_pattern;
use crate::inboxes::Visibility;
use crate::models::{Contact, Conversation, ConversationChanges, Message, NewConversation, NewMessage, SenderType, Team, User};
use crate::schema::{account_counters, contacts, conversations, messages, teams, users};
use crate::{StoreError, StoreResult};

pub const PER_PAGE: i64 = 25;

/// Takes the account's next display id; must run inside the transaction that inserts the row.
async fn next_display_id(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<i64> {
    Ok(diesel::insert_into(account_counters::table)
        .values((account_counters::account_id.eq(account_id), account_counters::last_conversation_display_id.eq(1)))
        .on_conflict(account_counters::account_id)
        .do_update()
        .set(account_counters::last_conversation_display_id.eq(account_counters::last_conversation_display_id + 1))
        .returning(account_counters::last_conversation_display_id)
        .get_result(conn)
        .await?)
}

/// Inserts the conversation with its display id, all in the caller's transaction. Every new
/// conversation comes through here, so here it starts pending when a bot answers its inbox.
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewConversation) -> StoreResult<Conversation> {
    let display_id = next_display_id(conn, new.account_id).await?;
    let requested = new.status;
    let status = switchboard_domain::agent_bots::initial_status(requested, crate::agent_bots::answers(conn, new.inbox_id).await?);
    let started;
    let new = if status == requested {
        new
    } else {
        started = NewConversation { status, snoozed_until: None, ..new.clone() };
        &started
    };
    Ok(diesel::insert_into(conversations::table)
        .values((new, conversations::display_id.eq(display_id)))
        .returning(Conversation::as_returning())
        .get_result(conn)
        .await?)
}

/// Creates a conversation, optionally with a first message built from it, and the
/// notifications `notify` builds from it, all or nothing.
pub async fn create<F, N>(
    conn: &mut AsyncPgConnection,
    new: &NewConversation,
    first: Option<F>,
    notify: N,
) -> StoreResult<(Conversation, Option<Message>, Vec<crate::models::Notification>)>
where
    F: FnOnce(&Conversation) -> NewMessage + Send,
    N: FnOnce(&Conversation) -> Vec<crate::models::NewNotification> + Send,
{
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let conversation = insert(conn, new).await?;
        let notifications = crate::notifications::insert(conn, &notify(&conversation)).await?;
        match first {
            None => Ok((conversation, None, notifications)),
            Some(build) => {
                let message = build(&conversation);
                let (message, conversation) = crate::messages::insert_and_apply(conn, &conversation, &message).await?;
                Ok((conversation, Some(message), notifications))
            }
        }
    })
    .await
}

fn visible(query: conversations::BoxedQuery<'_, Pg>, vis: Visibility) -> conversations::BoxedQuery<'_, Pg> {
    match crate::inboxes::visible_ids(vis) {
        None => query,
        Some(ids) => query.filter(conversations::inbox_id.eq_any(ids)),
    }
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, display_id: i64, vis: Visibility) -> StoreResult<Option<Conversation>> {
    let query =
        conversations::table.filter(conversations::account_id.eq(account_id)).filter(conversations::display_id.eq(display_id)).into_boxed();
    Ok(visible(query, vis).select(Conversation::as_select()).first(conn).await.optional()?)
}

pub async fn update(conn: &mut AsyncPgConnection, id: i64, changes: &ConversationChanges) -> StoreResult<Conversation> {
    Ok(diesel::update(conversations::table.find(id))
        .set((changes, conversations::updated_at.eq(diesel::dsl::now)))
        .returning(Conversation::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Me,
    Unassigned,
    Assigned,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    LastActivity,
    Created,
    Priority,
    WaitingSince,
}

/// Everything the list can be narrowed by. `assignee` does not apply to the counts, which are
/// given for all four assignee filters at once.
#[derive(Debug, Clone)]
pub struct ListFilter<'a> {
    pub account_id: i64,
    pub viewer: i64,
    pub visibility: Visibility,
    pub status: Option<Status>,
    pub assignee: AssigneeFilter,
    pub inbox_id: Option<i64>,
    pub team_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// WhatsApp groups or one-to-one conversations only.
    pub group_type: Option<switchboard_domain::contacts::GroupType>,
    pub labels: &'a [String],
    pub search: Option<&'a str>,
    pub unattended: bool,
    pub participating: bool,
    /// Only conversations where the viewer was mentioned in a private note.
    pub mentioned: bool,
    /// Conditions of `POST conversations/filter`.
    pub conditions: Option<&'a switchboard_domain::filters::Groups>,
    pub sort: SortBy,
    pub ascending: bool,
    pub page: i64,
}

fn narrowed<'a>(f: &ListFilter<'a>) -> conversations::BoxedQuery<'a, Pg> {
    let mut q = visible(conversations::table.filter(conversations::account_id.eq(f.account_id)).into_boxed(), f.visibility);
    if let Some(status) = f.status {
        q = q.filter(conversations::status.eq(status.as_str()));
    }
    if let Some(inbox) = f.inbox_id {
        q = q.filter(conversations::inbox_id.eq(inbox));
    }
    if let Some(team) = f.team_id {
        q = q.filter(conversations::team_id.eq(team));
    }
    if let Some(contact) = f.contact_id {
        q = q.filter(conversations::contact_id.eq(contact));
    }
    if let Some(kind) = f.group_type {
        q = q.filter(conversations::group_type.eq(kind.as_str()));
    }
    if !f.labels.is_empty() {
        q = q.filter(conversations::labels.overlaps_with(f.labels.to_vec()));
    }
    if let Some(term) = f.search {
        let hits = messages::table
            .filter(messages::account_id.eq(f.account_id))
            .filter(messages::content.ilike(like_pattern(term)))
            .select(messages::conversation_id);
        q = q.filter(conversations::id.eq_any(hits));
    }
    if f.unattended {
        q = q.filter(conversations::first_reply_created_at.is_null().or(conversations::waiting_since.is_not_null()));
    }
    if let Some(groups) = f.conditions {
        q = q.filter(crate::filters::where_clause(groups, &crate::filters::CONVERSATION_COLUMNS));
    }
    if f.mentioned {
        use crate::schema::mentions;
        let mine = mentions::table.filter(mentions::user_id.eq(f.viewer)).select(mentions::conversation_id);
        q = q.filter(conversations::id.eq_any(mine));
    }
    if f.participating {
        let mine = messages::table
            .filter(messages::account_id.eq(f.account_id))
            .filter(messages::sender_type.eq(SenderType::User))
            .filter(messages::sender_id.eq(f.viewer))
            .select(messages::conversation_id);
        q = q.filter(conversations::id.eq_any(mine).or(conversations::assignee_id.eq(f.viewer)));
    }
    q
}

/// One page of the list.
pub async fn list(conn: &mut AsyncPgConnection, f: &ListFilter<'_>) -> StoreResult<Vec<Conversation>> {
    let mut q = narrowed(f);
    q = match f.assignee {
        AssigneeFilter::Me => q.filter(conversations::assignee_id.eq(f.viewer)),
        AssigneeFilter::Unassigned => q.filter(conversations::assignee_id.is_null()),
        AssigneeFilter::Assigned => q.filter(conversations::assignee_id.is_not_null()),
        AssigneeFilter::All => q,
    };
    q = match (f.sort, f.ascending) {
        (SortBy::LastActivity, false) => q.order((conversations::last_activity_at.desc(), conversations::id.desc())),
        (SortBy::LastActivity, true) => q.order((conversations::last_activity_at.asc(), conversations::id.asc())),
        (SortBy::Created, false) => q.order((conversations::created_at.desc(), conversations::id.desc())),
        (SortBy::Created, true) => q.order((conversations::created_at.asc(), conversations::id.asc())),
        // urgent > high > medium > low > none
        (SortBy::Priority, asc) => {
            let rank = sql::<BigInt>(
                "CASE conversations.priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END",
            );
            if asc {
                q.order((rank.asc(), conversations::last_activity_at.desc(), conversations::id.desc()))
            } else {
                q.order((rank.desc(), conversations::last_activity_at.desc(), conversations::id.desc()))
            }
        }
        (SortBy::WaitingSince, false) => q.order((conversations::waiting_since.desc().nulls_last(), conversations::id.desc())),
        (SortBy::WaitingSince, true) => q.order((conversations::waiting_since.asc().nulls_last(), conversations::id.asc())),
    };
    Ok(q.select(Conversation::as_select()).limit(PER_PAGE).offset((f.page - 1) * PER_PAGE).load(conn).await?)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub mine_count: i64,
    pub assigned_count: i64,
    pub unassigned_count: i64,
    pub all_count: i64,
}

/// The four counts in one scan.
pub async fn counts(conn: &mut AsyncPgConnection, f: &ListFilter<'_>) -> StoreResult<Counts> {
    let (mine_count, assigned_count, unassigned_count, all_count) = narrowed(f)
        .select((
            sql::<BigInt>("count(*) FILTER (WHERE conversations.assignee_id = ").bind::<BigInt, _>(f.viewer).sql(")"),
            sql::<BigInt>("count(*) FILTER (WHERE conversations.assignee_id IS NOT NULL)"),
            sql::<BigInt>("count(*) FILTER (WHERE conversations.assignee_id IS NULL)"),
            sql::<BigInt>("count(*)"),
        ))
        .first::<(i64, i64, i64, i64)>(conn)
        .await?;
    Ok(Counts { mine_count, assigned_count, unassigned_count, all_count })
}

/// Everything a conversation payload shows besides the row itself, loaded for a whole page.
#[derive(Debug, Default)]
pub struct Related {
    pub contacts: Vec<Contact>,
    pub assignees: Vec<User>,
    pub teams: Vec<Team>,
    pub last_messages: Vec<Message>,
    pub unread: Vec<(i64, i64)>,
}

impl Related {
    pub fn contact(&self, c: &Conversation) -> Option<&Contact> {
        self.contacts.iter().find(|x| x.id == c.contact_id)
    }
    pub fn assignee(&self, c: &Conversation) -> Option<&User> {
        c.assignee_id.and_then(|id| self.assignees.iter().find(|u| u.id == id))
    }
    pub fn team(&self, c: &Conversation) -> Option<&Team> {
        c.team_id.and_then(|id| self.teams.iter().find(|t| t.id == id))
    }
    pub fn last_message(&self, c: &Conversation) -> Option<&Message> {
        self.last_messages.iter().find(|m| m.conversation_id == c.id)
    }
    pub fn unread_count(&self, c: &Conversation) -> i64 {
        self.unread.iter().find(|(id, _)| *id == c.id).map(|(_, n)| *n).unwrap_or(0)
    }
}

/// Five queries for any number of conversations.
pub async fn related(conn: &mut AsyncPgConnection, list: &[Conversation]) -> StoreResult<Related> {
    if list.is_empty() {
        return Ok(Related::default());
    }
    let ids: Vec<i64> = list.iter().map(|c| c.id).collect();
    let contact_ids: Vec<i64> = list.iter().map(|c| c.contact_id).collect();
    let assignee_ids: Vec<i64> = list.iter().filter_map(|c| c.assignee_id).collect();
    let team_ids: Vec<i64> = list.iter().filter_map(|c| c.team_id).collect();
    let contacts = contacts::table.filter(contacts::id.eq_any(&contact_ids)).select(Contact::as_select()).load(conn).await?;
    let assignees = users::table.filter(users::id.eq_any(&assignee_ids)).select(User::as_select()).load(conn).await?;
    let teams = teams::table.filter(teams::id.eq_any(&team_ids)).select(Team::as_select()).load(conn).await?;
    // The newest non-activity message of each conversation: one index probe per conversation,
    // however long the conversation is (DISTINCT ON would read all of its messages).
    let last_messages: Vec<Message> = diesel::sql_query(
        "SELECT m.* FROM unnest($1::bigint[]) AS c(id) CROSS JOIN LATERAL \
         (SELECT * FROM messages WHERE conversation_id = c.id AND message_type <> 2 ORDER BY id DESC LIMIT 1) m",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(&ids)
    .load(conn)
    .await?;
    // Incoming messages the agents have not seen yet.
    let unread = messages::table
        .inner_join(conversations::table)
        .filter(messages::conversation_id.eq_any(&ids))
        .filter(messages::message_type.eq(MessageType::Incoming))
        .filter(conversations::agent_last_seen_at.is_null().or(messages::created_at.nullable().gt(conversations::agent_last_seen_at)))
        .group_by(messages::conversation_id)
        .select((messages::conversation_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(Related { contacts, assignees, teams, last_messages, unread })
}

/// Opens snoozed conversations whose time has come, each with an activity line, in one
/// transaction. The row update is the claim: with several processes each wakes a conversation once.
pub async fn wake_snoozed(
    conn: &mut AsyncPgConnection,
    line: impl Fn(&Conversation) -> NewMessage + Send + Sync,
) -> StoreResult<Vec<(Conversation, Message)>> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let woken: Vec<Conversation> = diesel::update(
            conversations::table.filter(conversations::status.eq("snoozed")).filter(conversations::snoozed_until.le(diesel::dsl::now)),
        )
        .set((
            conversations::status.eq("open"),
            conversations::snoozed_until.eq(None::<chrono::DateTime<chrono::Utc>>),
            conversations::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Conversation::as_returning())
        .get_results(conn)
        .await?;
        let lines: Vec<NewMessage> = woken.iter().map(&line).collect();
        if lines.is_empty() {
            return Ok(vec![]);
        }
        let written: Vec<Message> =
            diesel::insert_into(messages::table).values(&lines).returning(Message::as_returning()).get_results(conn).await?;
        Ok(woken
            .into_iter()
            .filter_map(|c| {
                let line = written.iter().find(|m| m.conversation_id == c.id).cloned()?;
                Some((c, line))
            })
            .collect())
    })
    .await
}

/// Applies `changes`, appends `lines` (activity messages) and writes the notifications the change
/// causes, all or nothing; returns the conversation, the messages and the notifications written.
pub async fn change(
    conn: &mut AsyncPgConnection,
    conversation_id: i64,
    changes: &ConversationChanges,
    lines: Vec<NewMessage>,
    notify: &[crate::models::NewNotification],
) -> StoreResult<(Conversation, Vec<Message>, Vec<crate::models::Notification>)> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let mut updated = update(conn, conversation_id, changes).await?;
        let mut written = Vec::with_capacity(lines.len());
        for line in lines {
            let (message, after) = crate::messages::insert_and_apply(conn, &updated, &line).await?;
            written.push(message);
            updated = after;
        }
        let notifications = crate::notifications::insert(conn, notify).await?;
        Ok((updated, written, notifications))
    })
    .await
}

/// Conversations by row id within an account, for rendering what points at them.
pub async fn by_ids(conn: &mut AsyncPgConnection, account_id: i64, ids: &[i64]) -> StoreResult<Vec<Conversation>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(conversations::table
        .filter(conversations::account_id.eq(account_id))
        .filter(conversations::id.eq_any(ids))
        .select(Conversation::as_select())
        .load(conn)
        .await?)
}

/// Conversations by display id within an account (events name them so).
pub async fn by_display_ids(conn: &mut AsyncPgConnection, account_id: i64, ids: &[i64]) -> StoreResult<Vec<Conversation>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(conversations::table
        .filter(conversations::account_id.eq(account_id))
        .filter(conversations::display_id.eq_any(ids))
        .select(Conversation::as_select())
        .load(conn)
        .await?)
}

/// A conversation by its row id, for work that starts from a message rather than a request.
pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Conversation> {
    Ok(conversations::table.find(id).select(Conversation::as_select()).first(conn).await?)
}

/// The contact's conversation with the latest activity, if any.
pub async fn latest_of_contact(conn: &mut AsyncPgConnection, contact_id: i64) -> StoreResult<Option<Conversation>> {
    Ok(conversations::table
        .filter(conversations::contact_id.eq(contact_id))
        .order(conversations::last_activity_at.desc())
        .select(Conversation::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The contact's conversations in one inbox, newest first (the public client API's list).
pub async fn of_contact_in(conn: &mut AsyncPgConnection, contact_id: i64, inbox_id: i64, limit: i64) -> StoreResult<Vec<Conversation>> {
    Ok(conversations::table
        .filter(conversations::contact_id.eq(contact_id))
        .filter(conversations::inbox_id.eq(inbox_id))
        .order(conversations::id.desc())
        .limit(limit)
        .select(Conversation::as_select())
        .load(conn)
        .await?)
}

/// A conversation by its uuid (the survey page's address), in whatever account.
pub async fn by_uuid(conn: &mut AsyncPgConnection, uuid: &str) -> StoreResult<Option<Conversation>> {
    Ok(conversations::table.filter(conversations::uuid.eq(uuid)).select(Conversation::as_select()).first(conn).await.optional()?)
}

/// When the contact last looked at the conversation.
pub async fn contact_seen(conn: &mut AsyncPgConnection, id: i64, at: chrono::DateTime<chrono::Utc>) -> StoreResult<Conversation> {
    Ok(diesel::update(conversations::table.find(id))
        .set(conversations::contact_last_seen_at.eq(Some(at)))
        .returning(Conversation::as_returning())
        .get_result(conn)
        .await?)
}

/// The contact's conversations still going (open, pending or snoozed).
pub async fn open_of_contact(conn: &mut AsyncPgConnection, contact_id: i64) -> StoreResult<Vec<Conversation>> {
    Ok(conversations::table
        .filter(conversations::contact_id.eq(contact_id))
        .filter(conversations::status.ne("resolved"))
        .order(conversations::id)
        .select(Conversation::as_select())
        .load(conn)
        .await?)
}
