//! Users, their sessions and their memberships.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{Account, AccountUser, NewUser, User, UserChanges, UserSession};
use crate::schema::{account_users, accounts, user_sessions, users};
use crate::StoreResult;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub async fn create(conn: &mut AsyncPgConnection, new: &NewUser) -> StoreResult<User> {
    Ok(diesel::insert_into(users::table).values(new).returning(User::as_returning()).get_result(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<User> {
    Ok(users::table.find(id).select(User::as_select()).first(conn).await?)
}

/// Case-insensitive, through the unique index on lower(email).
pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> StoreResult<Option<User>> {
    Ok(users::table.filter(lower(users::email).eq(email.to_lowercase())).select(User::as_select()).first(conn).await.optional()?)
}

pub async fn find_by_access_token(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<User>> {
    Ok(users::table.filter(users::access_token.eq(token)).select(User::as_select()).first(conn).await.optional()?)
}

pub async fn update(conn: &mut AsyncPgConnection, id: i64, changes: &UserChanges) -> StoreResult<User> {
    Ok(diesel::update(users::table.find(id))
        .set((changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(User::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(users::table.find(id)).execute(conn).await? > 0)
}

/// The accounts a user belongs to, with their membership, in one query.
pub async fn memberships(conn: &mut AsyncPgConnection, user_id: i64) -> StoreResult<Vec<(AccountUser, Account)>> {
    Ok(account_users::table
        .inner_join(accounts::table)
        .filter(account_users::user_id.eq(user_id))
        .order(account_users::account_id)
        .select((AccountUser::as_select(), Account::as_select()))
        .load(conn)
        .await?)
}

pub async fn create_session(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    client: &str,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::user_id.eq(user_id),
            user_sessions::client.eq(client),
            user_sessions::token_hash.eq(token_hash),
            user_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The live session of `client` for the user whose email is `uid`, with that user.
pub async fn find_session(conn: &mut AsyncPgConnection, uid: &str, client: &str) -> StoreResult<Option<(UserSession, User)>> {
    Ok(user_sessions::table
        .inner_join(users::table)
        .filter(lower(users::email).eq(uid.to_lowercase()))
        .filter(user_sessions::client.eq(client))
        .filter(user_sessions::expires_at.gt(diesel::dsl::now))
        .select((UserSession::as_select(), User::as_select()))
        .first(conn)
        .await
        .optional()?)
}

pub async fn delete_session(conn: &mut AsyncPgConnection, session_id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(user_sessions::table.find(session_id)).execute(conn).await? > 0)
}

/// Ends every session of a user but `keep`, e.g. after a password change.
pub async fn delete_sessions_of(conn: &mut AsyncPgConnection, user_id: i64, keep: Option<i64>) -> StoreResult<usize> {
    let sessions = user_sessions::table.filter(user_sessions::user_id.eq(user_id)).filter(user_sessions::id.ne(keep.unwrap_or(0)));
    Ok(diesel::delete(sessions).execute(conn).await?)
}

pub async fn by_ids(conn: &mut AsyncPgConnection, ids: &[i64]) -> StoreResult<Vec<User>> {
    Ok(users::table.filter(users::id.eq_any(ids)).select(User::as_select()).load(conn).await?)
}

pub async fn find_by_pubsub_token(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<User>> {
    Ok(users::table.filter(users::pubsub_token.eq(token)).select(User::as_select()).first(conn).await.optional()?)
}

/// The names of these users (authors of macros and scheduled messages), in one query.
pub async fn names(conn: &mut AsyncPgConnection, ids: &[i64]) -> StoreResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(users::table.filter(users::id.eq_any(ids)).select((users::id, users::name)).load(conn).await?)
}
