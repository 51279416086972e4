//! Platform apps and what each created (the only accounts and users it may manage).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::PlatformApp;
use crate::schema::{platform_app_permissibles as perms, platform_apps};
use crate::StoreResult;

/// What a platform app may manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissible {
    Account(i64),
    User(i64),
    AgentBot(i64),
}

impl Permissible {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Self::Account(id) => ("account", id),
            Self::User(id) => ("user", id),
            Self::AgentBot(id) => ("agent_bot", id),
        }
    }
}

pub async fn create_app(conn: &mut AsyncPgConnection, name: &str, access_token: &str) -> StoreResult<PlatformApp> {
    Ok(diesel::insert_into(platform_apps::table)
        .values((platform_apps::name.eq(name), platform_apps::access_token.eq(access_token)))
        .returning(PlatformApp::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn find_by_token(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<PlatformApp>> {
    Ok(platform_apps::table.filter(platform_apps::access_token.eq(token)).select(PlatformApp::as_select()).first(conn).await.optional()?)
}

pub async fn grant(conn: &mut AsyncPgConnection, app_id: i64, what: Permissible) -> StoreResult<()> {
    let (kind, id) = what.parts();
    diesel::insert_into(perms::table)
        .values((perms::platform_app_id.eq(app_id), perms::permissible_type.eq(kind), perms::permissible_id.eq(id)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn is_permitted(conn: &mut AsyncPgConnection, app_id: i64, what: Permissible) -> StoreResult<bool> {
    let (kind, id) = what.parts();
    Ok(diesel::select(diesel::dsl::exists(
        perms::table
            .filter(perms::platform_app_id.eq(app_id))
            .filter(perms::permissible_type.eq(kind))
            .filter(perms::permissible_id.eq(id)),
    ))
    .get_result(conn)
    .await?)
}

/// Drops grants on a deleted resource so a reused id is never inherited.
pub async fn revoke_all(conn: &mut AsyncPgConnection, what: Permissible) -> StoreResult<()> {
    let (kind, id) = what.parts();
    diesel::delete(perms::table.filter(perms::permissible_type.eq(kind)).filter(perms::permissible_id.eq(id))).execute(conn).await?;
    Ok(())
}
