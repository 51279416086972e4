//! Custom attribute definitions of an account, by model.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{AttributeDefinition, AttributeDefinitionFields};
use crate::schema::custom_attribute_definitions as defs;
use crate::StoreResult;

/// The account's definitions, of one model or all, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, account_id: i64, model: Option<&str>) -> StoreResult<Vec<AttributeDefinition>> {
    let mut q = defs::table.filter(defs::account_id.eq(account_id)).into_boxed();
    if let Some(m) = model {
        q = q.filter(defs::attribute_model.eq(m.to_string()));
    }
    Ok(q.order(defs::id).select(AttributeDefinition::as_select()).load(conn).await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<AttributeDefinition>> {
    Ok(defs::table
        .filter(defs::account_id.eq(account_id))
        .filter(defs::id.eq(id))
        .select(AttributeDefinition::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create(conn: &mut AsyncPgConnection, account_id: i64, f: &AttributeDefinitionFields) -> StoreResult<AttributeDefinition> {
    Ok(diesel::insert_into(defs::table)
        .values((defs::account_id.eq(account_id), f))
        .returning(AttributeDefinition::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    id: i64,
    f: &AttributeDefinitionFields,
) -> StoreResult<Option<AttributeDefinition>> {
    Ok(diesel::update(defs::table.filter(defs::account_id.eq(account_id)).filter(defs::id.eq(id)))
        .set((f, defs::updated_at.eq(diesel::dsl::now)))
        .returning(AttributeDefinition::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(defs::table.filter(defs::account_id.eq(account_id)).filter(defs::id.eq(id))).execute(conn).await? > 0)
}
