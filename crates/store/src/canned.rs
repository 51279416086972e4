//! Canned responses: an account's saved replies, found by short code or content.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::filters::like_pattern;
use crate::models::CannedResponse;
use crate::schema::canned_responses as canned;
use crate::StoreResult;

/// The account's canned responses, by short code; `search` narrows to those whose short code
/// or content holds it (case-insensitive).
pub async fn list(conn: &mut AsyncPgConnection, account_id: i64, search: Option<&str>) -> StoreResult<Vec<CannedResponse>> {
    let mut q = canned::table.filter(canned::account_id.eq(account_id)).into_boxed();
    if let Some(term) = search {
        let pattern = like_pattern(term);
        q = q.filter(canned::short_code.ilike(pattern.clone()).or(canned::content.ilike(pattern)));
    }
    Ok(q.order(canned::short_code).then_order_by(canned::id).select(CannedResponse::as_select()).load(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<CannedResponse>> {
    Ok(canned::table
        .filter(canned::account_id.eq(account_id))
        .filter(canned::id.eq(id))
        .select(CannedResponse::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create(conn: &mut AsyncPgConnection, account_id: i64, short_code: &str, content: &str) -> StoreResult<CannedResponse> {
    Ok(diesel::insert_into(canned::table)
        .values((canned::account_id.eq(account_id), canned::short_code.eq(short_code), canned::content.eq(content)))
        .returning(CannedResponse::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    id: i64,
    short_code: Option<&str>,
    content: Option<&str>,
) -> StoreResult<Option<CannedResponse>> {
    let target = canned::table.filter(canned::account_id.eq(account_id)).filter(canned::id.eq(id));
    if let Some(code) = short_code {
        diesel::update(target).set(canned::short_code.eq(code)).execute(conn).await?;
    }
    if let Some(text) = content {
        diesel::update(target).set(canned::content.eq(text)).execute(conn).await?;
    }
    Ok(diesel::update(target)
        .set(canned::updated_at.eq(diesel::dsl::now))
        .returning(CannedResponse::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(canned::table.filter(canned::account_id.eq(account_id)).filter(canned::id.eq(id))).execute(conn).await? > 0)
}
