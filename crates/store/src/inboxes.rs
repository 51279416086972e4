//! Inboxes and their members; what an agent may see.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::models::{AccountUser, Agent, Inbox, InboxChanges, NewInbox, User};
use crate::schema::{account_users, agent_bot_inboxes, inbox_members, inboxes, users};
use crate::{StoreError, StoreResult};

/// Whose view of the inboxes a query takes: administrators see all, agents only their own,
/// and an agent bot the inboxes it answers.
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    All,
    MemberOf(i64),
    AgentBot(i64),
}

/// The ids of the inboxes `vis` sees, as a subquery (None: all of them).
pub(crate) fn visible_ids(vis: Visibility) -> Option<inboxes::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::Int8>> {
    match vis {
        Visibility::All => None,
        Visibility::MemberOf(user_id) => Some(
            inboxes::table
                .filter(inboxes::id.eq_any(inbox_members::table.filter(inbox_members::user_id.eq(user_id)).select(inbox_members::inbox_id)))
                .select(inboxes::id)
                .into_boxed(),
        ),
        Visibility::AgentBot(bot_id) => Some(
            inboxes::table
                .filter(inboxes::id.eq_any(
                    agent_bot_inboxes::table.filter(agent_bot_inboxes::agent_bot_id.eq(bot_id)).select(agent_bot_inboxes::inbox_id),
                ))
                .select(inboxes::id)
                .into_boxed(),
        ),
    }
}

pub async fn list(conn: &mut AsyncPgConnection, account_id: i64, vis: Visibility) -> StoreResult<Vec<Inbox>> {
    let mut query = inboxes::table.filter(inboxes::account_id.eq(account_id)).order(inboxes::id).select(Inbox::as_select()).into_boxed();
    if let Some(ids) = visible_ids(vis) {
        query = query.filter(inboxes::id.eq_any(ids));
    }
    Ok(query.load(conn).await?)
}

/// `None` both when it does not exist and when the viewer may not see it: the caller answers 404.
pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64, vis: Visibility) -> StoreResult<Option<Inbox>> {
    let mut query =
        inboxes::table.filter(inboxes::account_id.eq(account_id)).filter(inboxes::id.eq(id)).select(Inbox::as_select()).into_boxed();
    if let Some(ids) = visible_ids(vis) {
        query = query.filter(inboxes::id.eq_any(ids));
    }
    Ok(query.first(conn).await.optional()?)
}

/// An inbox by its public identifier (`inbox_identifier`), in whatever account.
pub async fn by_identifier(conn: &mut AsyncPgConnection, identifier: &str) -> StoreResult<Option<Inbox>> {
    Ok(inboxes::table.filter(inboxes::inbox_identifier.eq(identifier)).select(Inbox::as_select()).first(conn).await.optional()?)
}

pub async fn create(conn: &mut AsyncPgConnection, new: &NewInbox, settings: &InboxChanges) -> StoreResult<Inbox> {
    conn.transaction::<Inbox, StoreError, _>(async move |conn| {
        let inbox: Inbox = diesel::insert_into(inboxes::table).values(new).returning(Inbox::as_returning()).get_result(conn).await?;
        update(conn, inbox.account_id, inbox.id, settings).await?.ok_or(StoreError::NotFound)
    })
    .await
}

pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, id: i64, changes: &InboxChanges) -> StoreResult<Option<Inbox>> {
    Ok(diesel::update(inboxes::table.filter(inboxes::account_id.eq(account_id)).filter(inboxes::id.eq(id)))
        .set((changes, inboxes::updated_at.eq(diesel::dsl::now)))
        .returning(Inbox::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(inboxes::table.filter(inboxes::account_id.eq(account_id)).filter(inboxes::id.eq(id))).execute(conn).await? > 0)
}

/// The inbox's agents, with their account membership, in one query.
pub async fn members(conn: &mut AsyncPgConnection, inbox: &Inbox) -> StoreResult<Vec<Agent>> {
    let rows: Vec<(User, AccountUser)> = inbox_members::table
        .inner_join(users::table)
        .inner_join(
            account_users::table.on(account_users::user_id.eq(inbox_members::user_id).and(account_users::account_id.eq(inbox.account_id))),
        )
        .filter(inbox_members::inbox_id.eq(inbox.id))
        .order((users::name, users::id))
        .select((User::as_select(), AccountUser::as_select()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(user, member)| Agent { user, member }).collect())
}

pub async fn add_members(conn: &mut AsyncPgConnection, inbox_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    let rows: Vec<_> = user_ids.iter().map(|u| (inbox_members::inbox_id.eq(inbox_id), inbox_members::user_id.eq(*u))).collect();
    diesel::insert_into(inbox_members::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

pub async fn remove_members(conn: &mut AsyncPgConnection, inbox_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    diesel::delete(inbox_members::table.filter(inbox_members::inbox_id.eq(inbox_id)).filter(inbox_members::user_id.eq_any(user_ids)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes the member list exactly `user_ids`, atomically.
pub async fn replace_members(conn: &mut AsyncPgConnection, inbox_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    conn.transaction::<(), StoreError, _>(async move |conn| {
        diesel::delete(inbox_members::table.filter(inbox_members::inbox_id.eq(inbox_id)).filter(inbox_members::user_id.ne_all(user_ids)))
            .execute(conn)
            .await?;
        add_members(conn, inbox_id, user_ids).await
    })
    .await
}

/// Ids of the account's inboxes the user is a member of.
pub async fn member_inbox_ids(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<Vec<i64>> {
    Ok(inbox_members::table
        .inner_join(inboxes::table)
        .filter(inbox_members::user_id.eq(user_id))
        .filter(inboxes::account_id.eq(account_id))
        .select(inbox_members::inbox_id)
        .load(conn)
        .await?)
}
