//! Accounts.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{Account, AccountChanges};
use crate::schema::accounts;
use crate::StoreResult;

/// A new account, with its reports reader (which reads its log from the start).
pub async fn create(conn: &mut AsyncPgConnection, new: &AccountChanges) -> StoreResult<Account> {
    let account: Account = diesel::insert_into(accounts::table).values(new).returning(Account::as_returning()).get_result(conn).await?;
    crate::events::ensure_reader(conn, account.id, crate::reports::READER).await?;
    Ok(account)
}

pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Account> {
    Ok(accounts::table.find(id).select(Account::as_select()).first(conn).await?)
}

/// The account, locked until the caller's transaction ends: a read-modify-write of its
/// settings does not lose a concurrent one.
pub async fn lock(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<Account> {
    Ok(accounts::table.find(id).for_update().select(Account::as_select()).first(conn).await?)
}

pub async fn update(conn: &mut AsyncPgConnection, id: i64, changes: &AccountChanges) -> StoreResult<Account> {
    Ok(diesel::update(accounts::table.find(id))
        .set((changes, accounts::updated_at.eq(diesel::dsl::now)))
        .returning(Account::as_returning())
        .get_result(conn)
        .await?)
}

/// Everything the account owns goes with it (ON DELETE CASCADE).
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(accounts::table.find(id)).execute(conn).await? > 0)
}

pub async fn first(conn: &mut AsyncPgConnection) -> StoreResult<Option<Account>> {
    Ok(accounts::table.order(accounts::id).select(Account::as_select()).first(conn).await.optional()?)
}
