//! Integrators' API keys of an account, stored as digests, and the lookup that authenticates a
//! request by the account's slug and a key.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::ApiKey;
use crate::schema::{accounts, api_keys};
use crate::StoreResult;

pub async fn create(conn: &mut AsyncPgConnection, account_id: i64, name: &str, digest: &str, last_four: &str) -> StoreResult<ApiKey> {
    Ok(diesel::insert_into(api_keys::table)
        .values((
            api_keys::account_id.eq(account_id),
            api_keys::name.eq(name),
            api_keys::key_digest.eq(digest),
            api_keys::last_four.eq(last_four),
        ))
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .await?)
}

/// The account's keys that still work, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::account_id.eq(account_id))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::id)
        .select(ApiKey::as_select())
        .load(conn)
        .await?)
}

/// Revokes one of the account's keys; `false` when it has no such working key.
pub async fn revoke(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    let n = diesel::update(
        api_keys::table.filter(api_keys::account_id.eq(account_id)).filter(api_keys::id.eq(id)).filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// The key with this digest among the keys of the account with this slug (revoked ones too:
/// the caller tells them apart). One query.
pub async fn find(conn: &mut AsyncPgConnection, slug: &str, digest: &str) -> StoreResult<Option<ApiKey>> {
    Ok(api_keys::table
        .inner_join(accounts::table.on(accounts::id.eq(api_keys::account_id)))
        .filter(accounts::slug.eq(slug))
        .filter(api_keys::key_digest.eq(digest))
        .select(ApiKey::as_select())
        .first(conn)
        .await
        .optional()?)
}
