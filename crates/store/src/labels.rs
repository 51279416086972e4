//! The account's labels.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{Label, LabelChanges};
use crate::schema::labels;
use crate::StoreResult;

pub async fn list(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<Label>> {
    Ok(labels::table.filter(labels::account_id.eq(account_id)).order(labels::title).select(Label::as_select()).load(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<Label>> {
    Ok(labels::table
        .filter(labels::account_id.eq(account_id))
        .filter(labels::id.eq(id))
        .select(Label::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub struct NewLabel<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub color: &'a str,
    pub show_on_sidebar: bool,
}

pub async fn create(conn: &mut AsyncPgConnection, account_id: i64, new: &NewLabel<'_>) -> StoreResult<Label> {
    Ok(diesel::insert_into(labels::table)
        .values((
            labels::account_id.eq(account_id),
            labels::title.eq(new.title),
            labels::description.eq(new.description),
            labels::color.eq(new.color),
            labels::show_on_sidebar.eq(new.show_on_sidebar),
        ))
        .returning(Label::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, id: i64, changes: &LabelChanges) -> StoreResult<Option<Label>> {
    Ok(diesel::update(labels::table.filter(labels::account_id.eq(account_id)).filter(labels::id.eq(id)))
        .set((changes, labels::updated_at.eq(diesel::dsl::now)))
        .returning(Label::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(labels::table.filter(labels::account_id.eq(account_id)).filter(labels::id.eq(id))).execute(conn).await? > 0)
}

/// The account's label with this title, made (with the default color and `description`) when
/// it has none.
pub async fn ensure(conn: &mut AsyncPgConnection, account_id: i64, title: &str, description: &str) -> StoreResult<Label> {
    diesel::insert_into(labels::table)
        .values((labels::account_id.eq(account_id), labels::title.eq(title), labels::description.eq(description)))
        .on_conflict((labels::account_id, labels::title))
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(labels::table
        .filter(labels::account_id.eq(account_id))
        .filter(labels::title.eq(title))
        .select(Label::as_select())
        .first(conn)
        .await?)
}
