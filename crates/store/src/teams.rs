//! Teams and their members.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::models::{AccountUser, Agent, Team, TeamChanges, User};
use crate::schema::{account_users, team_members, teams, users};
use crate::{StoreError, StoreResult};

/// Teams of the account, each with whether `viewer` belongs to it, in one query.
pub async fn list(conn: &mut AsyncPgConnection, account_id: i64, viewer: i64) -> StoreResult<Vec<(Team, bool)>> {
    Ok(teams::table
        .left_join(team_members::table.on(team_members::team_id.eq(teams::id).and(team_members::user_id.eq(viewer))))
        .filter(teams::account_id.eq(account_id))
        .order(teams::id)
        .select((Team::as_select(), team_members::id.nullable().is_not_null()))
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64, viewer: i64) -> StoreResult<Option<(Team, bool)>> {
    Ok(teams::table
        .left_join(team_members::table.on(team_members::team_id.eq(teams::id).and(team_members::user_id.eq(viewer))))
        .filter(teams::account_id.eq(account_id))
        .filter(teams::id.eq(id))
        .select((Team::as_select(), team_members::id.nullable().is_not_null()))
        .first(conn)
        .await
        .optional()?)
}

pub async fn create(conn: &mut AsyncPgConnection, account_id: i64, name: &str, changes: &TeamChanges) -> StoreResult<Team> {
    conn.transaction::<Team, StoreError, _>(async move |conn| {
        let team: Team = diesel::insert_into(teams::table)
            .values((teams::account_id.eq(account_id), teams::name.eq(name)))
            .returning(Team::as_returning())
            .get_result(conn)
            .await?;
        update(conn, account_id, team.id, changes).await?.ok_or(StoreError::NotFound)
    })
    .await
}

pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, id: i64, changes: &TeamChanges) -> StoreResult<Option<Team>> {
    Ok(diesel::update(teams::table.filter(teams::account_id.eq(account_id)).filter(teams::id.eq(id)))
        .set((changes, teams::updated_at.eq(diesel::dsl::now)))
        .returning(Team::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(teams::table.filter(teams::account_id.eq(account_id)).filter(teams::id.eq(id))).execute(conn).await? > 0)
}

/// Members of the team, limited to `only` when given, with their account membership.
pub async fn members(conn: &mut AsyncPgConnection, team: &Team, only: Option<&[i64]>) -> StoreResult<Vec<Agent>> {
    let mut query = team_members::table
        .inner_join(users::table)
        .inner_join(
            account_users::table.on(account_users::user_id.eq(team_members::user_id).and(account_users::account_id.eq(team.account_id))),
        )
        .filter(team_members::team_id.eq(team.id))
        .order((users::name, users::id))
        .select((User::as_select(), AccountUser::as_select()))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(team_members::user_id.eq_any(ids));
    }
    let rows: Vec<(User, AccountUser)> = query.load(conn).await?;
    Ok(rows.into_iter().map(|(user, member)| Agent { user, member }).collect())
}

pub async fn add_members(conn: &mut AsyncPgConnection, team_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    let rows: Vec<_> = user_ids.iter().map(|u| (team_members::team_id.eq(team_id), team_members::user_id.eq(*u))).collect();
    diesel::insert_into(team_members::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

pub async fn remove_members(conn: &mut AsyncPgConnection, team_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    diesel::delete(team_members::table.filter(team_members::team_id.eq(team_id)).filter(team_members::user_id.eq_any(user_ids)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn replace_members(conn: &mut AsyncPgConnection, team_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    conn.transaction::<(), StoreError, _>(async move |conn| {
        diesel::delete(team_members::table.filter(team_members::team_id.eq(team_id)).filter(team_members::user_id.ne_all(user_ids)))
            .execute(conn)
            .await?;
        add_members(conn, team_id, user_ids).await
    })
    .await
}
