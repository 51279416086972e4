//! The resource a path names, found among what the caller may see: another account's, or one in
//! an inbox an agent is not in, is a 404. Shared by the handlers of several resources, so that no
//! handler reaches into another's file.

use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{Conversation, Inbox, Team};
use switchboard_store::AsyncPgConnection;

use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::IdLike;
use crate::handlers::path_id;

/// The conversation `{conversation_id}` (its display id) names.
pub(crate) async fn conversation(conn: &mut AsyncPgConnection, ctx: &AccountCtx, raw_display_id: &str) -> ApiResult<Conversation> {
    let display_id = path_id(raw_display_id)?;
    switchboard_store::conversations::find(conn, ctx.account_id, display_id, ctx.inbox_visibility()).await?.ok_or(ApiError::NotFound)
}

/// The inbox with this id, among those `visibility` lets the caller see.
pub(crate) async fn inbox(conn: &mut AsyncPgConnection, ctx: &AccountCtx, id: i64, visibility: Visibility) -> ApiResult<Inbox> {
    switchboard_store::inboxes::find(conn, ctx.account_id, id, visibility).await?.ok_or(ApiError::NotFound)
}

/// The team `{team_id}` names, and whether the caller is in it.
pub(crate) async fn team(conn: &mut AsyncPgConnection, ctx: &AccountCtx, raw_id: &str) -> ApiResult<(Team, bool)> {
    let id = path_id(raw_id)?;
    switchboard_store::teams::find(conn, ctx.account_id, id, ctx.user.id).await?.ok_or(ApiError::NotFound)
}

/// The given users, each a member of the account; one foreign id refuses them all.
pub(crate) async fn account_members(conn: &mut AsyncPgConnection, account_id: i64, ids: &[IdLike]) -> ApiResult<Vec<i64>> {
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    Ok(switchboard_core::inbox_members::account_members(conn, account_id, &ids).await?)
}
