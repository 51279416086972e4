//! Account memberships: the reference's agents.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::models::{AccountUser, AccountUserChanges, Agent, NewAccountUser, User};
use crate::schema::{account_users, inbox_members, inboxes, team_members, teams, users};
use crate::{StoreError, StoreResult};
use switchboard_domain::users::{keeps_an_administrator, Role};
use switchboard_domain::ValidationError;

fn to_agents(rows: Vec<(User, AccountUser)>) -> Vec<Agent> {
    rows.into_iter().map(|(user, member)| Agent { user, member }).collect()
}

pub async fn list(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<Agent>> {
    let rows = account_users::table
        .inner_join(users::table)
        .filter(account_users::account_id.eq(account_id))
        .order((users::name, users::id))
        .select((User::as_select(), AccountUser::as_select()))
        .load(conn)
        .await?;
    Ok(to_agents(rows))
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<Option<Agent>> {
    let row = account_users::table
        .inner_join(users::table)
        .filter(account_users::account_id.eq(account_id))
        .filter(account_users::user_id.eq(user_id))
        .select((User::as_select(), AccountUser::as_select()))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(user, member)| Agent { user, member }))
}

/// The membership only: what every authenticated account request needs.
pub async fn membership(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<Option<AccountUser>> {
    Ok(account_users::table
        .filter(account_users::account_id.eq(account_id))
        .filter(account_users::user_id.eq(user_id))
        .select(AccountUser::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn add(conn: &mut AsyncPgConnection, new: &NewAccountUser) -> StoreResult<AccountUser> {
    Ok(diesel::insert_into(account_users::table).values(new).returning(AccountUser::as_returning()).get_result(conn).await?)
}

/// Adds the membership, or changes the role of an existing one.
pub async fn upsert(conn: &mut AsyncPgConnection, new: &NewAccountUser) -> StoreResult<AccountUser> {
    Ok(diesel::insert_into(account_users::table)
        .values(new)
        .on_conflict((account_users::account_id, account_users::user_id))
        .do_update()
        .set((account_users::role.eq(&new.role), account_users::updated_at.eq(diesel::dsl::now)))
        .returning(AccountUser::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, changes: &AccountUserChanges) -> StoreResult<AccountUser> {
    Ok(diesel::update(account_users::table.filter(account_users::account_id.eq(account_id)).filter(account_users::user_id.eq(user_id)))
        .set((changes, account_users::updated_at.eq(diesel::dsl::now)))
        .returning(AccountUser::as_returning())
        .get_result(conn)
        .await?)
}

/// Removes the user from the account and from its inboxes and teams, all or nothing.
pub async fn remove(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<bool> {
    conn.transaction::<bool, StoreError, _>(async move |conn| {
        let account_inboxes = inboxes::table.filter(inboxes::account_id.eq(account_id)).select(inboxes::id);
        diesel::delete(
            inbox_members::table.filter(inbox_members::user_id.eq(user_id)).filter(inbox_members::inbox_id.eq_any(account_inboxes)),
        )
        .execute(conn)
        .await?;
        let account_teams = teams::table.filter(teams::account_id.eq(account_id)).select(teams::id);
        diesel::delete(team_members::table.filter(team_members::user_id.eq(user_id)).filter(team_members::team_id.eq_any(account_teams)))
            .execute(conn)
            .await?;
        let n = diesel::delete(
            account_users::table.filter(account_users::account_id.eq(account_id)).filter(account_users::user_id.eq(user_id)),
        )
        .execute(conn)
        .await?;
        Ok(n > 0)
    })
    .await
}

/// A change to a membership that could take away an administrator.
#[derive(Debug, Clone, Copy)]
pub enum MemberChange<'a> {
    Update(&'a AccountUserChanges),
    Remove,
}

/// Why a guarded membership change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Guarded {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The account would be left without an administrator.
    #[error(transparent)]
    Refused(#[from] ValidationError),
}

impl From<diesel::result::Error> for Guarded {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Applies `change` to the membership unless it would leave the account without an
/// administrator (`keeps_an_administrator`). The account's administrator rows are locked first
/// (`FOR UPDATE`, in id order) and counted inside the transaction: two demotions at once cannot
/// each count the other as the administrator who stays, since the second waits for the first
/// and then no longer sees it. `None` when the user is not a member.
pub async fn change_keeping_an_administrator(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    user_id: i64,
    change: MemberChange<'_>,
) -> Result<Option<AccountUser>, Guarded> {
    conn.transaction::<Option<AccountUser>, Guarded, _>(async move |conn| {
        let administrators: Vec<i64> = account_users::table
            .filter(account_users::account_id.eq(account_id))
            .filter(account_users::role.eq(Role::Administrator.as_str()))
            .order(account_users::id)
            .select(account_users::id)
            .for_update()
            .load(conn)
            .await?;
        let member = account_users::table
            .filter(account_users::account_id.eq(account_id))
            .filter(account_users::user_id.eq(user_id))
            .select(AccountUser::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(member) = member else { return Ok(None) };
        let current = member.role;
        let next = match change {
            MemberChange::Update(c) => Some(c.role.unwrap_or(current)),
            MemberChange::Remove => None,
        };
        keeps_an_administrator(current, next, administrators.len() as i64)?;
        match change {
            MemberChange::Update(changes) => Ok(Some(update(conn, account_id, user_id, changes).await?)),
            MemberChange::Remove => {
                remove(conn, account_id, user_id).await?;
                Ok(Some(member))
            }
        }
    })
    .await
}

/// Of `user_ids`, those that are members of the account; used to refuse foreign ids up front.
pub async fn member_ids(conn: &mut AsyncPgConnection, account_id: i64, user_ids: &[i64]) -> StoreResult<Vec<i64>> {
    Ok(account_users::table
        .filter(account_users::account_id.eq(account_id))
        .filter(account_users::user_id.eq_any(user_ids))
        .select(account_users::user_id)
        .load(conn)
        .await?)
}

pub async fn count_administrators(conn: &mut AsyncPgConnection) -> StoreResult<i64> {
    Ok(account_users::table.filter(account_users::role.eq("administrator")).count().get_result(conn).await?)
}

pub async fn list_raw(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<AccountUser>> {
    Ok(account_users::table
        .filter(account_users::account_id.eq(account_id))
        .order(account_users::id)
        .select(AccountUser::as_select())
        .load(conn)
        .await?)
}
