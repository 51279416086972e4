//! Saved filters: each belongs to the user who saved it, in one account.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::models::CustomFilter;
use crate::schema::custom_filters as filters;
use crate::StoreResult;

/// The user's filters in the account, of one type or all, oldest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    user_id: i64,
    filter_type: Option<&str>,
) -> StoreResult<Vec<CustomFilter>> {
    let mut q = filters::table.filter(filters::account_id.eq(account_id)).filter(filters::user_id.eq(user_id)).into_boxed();
    if let Some(t) = filter_type {
        q = q.filter(filters::filter_type.eq(t.to_string()));
    }
    Ok(q.order(filters::id).select(CustomFilter::as_select()).load(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, id: i64) -> StoreResult<Option<CustomFilter>> {
    Ok(filters::table
        .filter(filters::account_id.eq(account_id))
        .filter(filters::user_id.eq(user_id))
        .filter(filters::id.eq(id))
        .select(CustomFilter::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    user_id: i64,
    name: &str,
    filter_type: &str,
    query: &Value,
) -> StoreResult<CustomFilter> {
    Ok(diesel::insert_into(filters::table)
        .values((
            filters::account_id.eq(account_id),
            filters::user_id.eq(user_id),
            filters::name.eq(name),
            filters::filter_type.eq(filter_type),
            filters::query.eq(query),
        ))
        .returning(CustomFilter::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    current: &CustomFilter,
    name: &str,
    filter_type: &str,
    query: &Value,
) -> StoreResult<CustomFilter> {
    Ok(diesel::update(filters::table.find(current.id))
        .set((
            filters::name.eq(name),
            filters::filter_type.eq(filter_type),
            filters::query.eq(query),
            filters::updated_at.eq(diesel::dsl::now),
        ))
        .returning(CustomFilter::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(
        filters::table.filter(filters::account_id.eq(account_id)).filter(filters::user_id.eq(user_id)).filter(filters::id.eq(id)),
    )
    .execute(conn)
    .await?
        > 0)
}
