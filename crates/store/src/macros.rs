//! Macros: a user's own (personal) or the account's (global) lists of actions.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::models::Macro;
use crate::schema::macros;
use crate::StoreResult;

/// The macros `user_id` may see: the account's global ones and their own.
pub async fn visible(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<Vec<Macro>> {
    Ok(macros::table
        .filter(macros::account_id.eq(account_id))
        .filter(macros::visibility.eq("global").or(macros::created_by_id.eq(user_id)))
        .order(macros::id)
        .select(Macro::as_select())
        .load(conn)
        .await?)
}

/// One macro `user_id` may see.
pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, id: i64) -> StoreResult<Option<Macro>> {
    Ok(macros::table
        .filter(macros::account_id.eq(account_id))
        .filter(macros::id.eq(id))
        .filter(macros::visibility.eq("global").or(macros::created_by_id.eq(user_id)))
        .select(Macro::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    user_id: i64,
    name: &str,
    visibility: &str,
    actions: &Value,
) -> StoreResult<Macro> {
    Ok(diesel::insert_into(macros::table)
        .values((
            macros::account_id.eq(account_id),
            macros::name.eq(name),
            macros::visibility.eq(visibility),
            macros::created_by_id.eq(user_id),
            macros::updated_by_id.eq(user_id),
            macros::actions.eq(actions),
        ))
        .returning(Macro::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    m: &Macro,
    user_id: i64,
    name: &str,
    visibility: &str,
    actions: &Value,
) -> StoreResult<Macro> {
    Ok(diesel::update(macros::table.find(m.id))
        .set((
            macros::name.eq(name),
            macros::visibility.eq(visibility),
            macros::actions.eq(actions),
            macros::updated_by_id.eq(user_id),
            macros::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Macro::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<()> {
    diesel::delete(macros::table.find(id)).execute(conn).await?;
    Ok(())
}
