//! A user's notifications. They are written in the transaction of the change they report (an
//! assignment, a mention), so a committed change always has its notification.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{NewNotification, Notification};
use crate::schema::notifications;
use crate::StoreResult;

pub const PER_PAGE: i64 = 15;

/// Inside the caller's transaction.
pub async fn insert(conn: &mut AsyncPgConnection, rows: &[NewNotification]) -> StoreResult<Vec<Notification>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    Ok(diesel::insert_into(notifications::table).values(rows).returning(Notification::as_returning()).get_results(conn).await?)
}

fn of_user(account_id: i64, user_id: i64) -> notifications::BoxedQuery<'static, diesel::pg::Pg> {
    notifications::table.filter(notifications::account_id.eq(account_id)).filter(notifications::user_id.eq(user_id)).into_boxed()
}

/// One page of the user's notifications, most recent activity first.
pub async fn page(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, page: i64) -> StoreResult<Vec<Notification>> {
    Ok(of_user(account_id, user_id)
        .order((notifications::last_activity_at.desc(), notifications::id.desc()))
        .limit(PER_PAGE)
        .offset((page.max(1) - 1) * PER_PAGE)
        .select(Notification::as_select())
        .load(conn)
        .await?)
}

/// (unread, all) of the user's notifications, in one scan.
pub async fn counts(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        unread: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        total: i64,
    }
    let c: Counts = crate::prepared::prepared(
        "SELECT count(*) FILTER (WHERE read_at IS NULL) AS unread, count(*) AS total FROM notifications \
         WHERE account_id = $1 AND user_id = $2",
    )
    .bind::<diesel::sql_types::BigInt, _>(account_id)
    .bind::<diesel::sql_types::BigInt, _>(user_id)
    .get_result(conn)
    .await?;
    Ok((c.unread, c.total))
}

/// Marks one of the user's notifications read; `None` when it is not theirs.
pub async fn mark_read(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, id: i64) -> StoreResult<Option<Notification>> {
    Ok(diesel::update(notifications::table)
        .filter(notifications::id.eq(id))
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::user_id.eq(user_id))
        .set((
            notifications::read_at
                .eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>("coalesce(read_at, now())")),
            notifications::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Notification::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn mark_all_read(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64) -> StoreResult<usize> {
    Ok(diesel::update(notifications::table)
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .set((notifications::read_at.eq(Some(chrono::Utc::now())), notifications::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?)
}

/// `false` when it is not the user's.
pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, user_id: i64, id: i64) -> StoreResult<bool> {
    let n = diesel::delete(notifications::table)
        .filter(notifications::id.eq(id))
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::user_id.eq(user_id))
        .execute(conn)
        .await?;
    Ok(n > 0)
}
