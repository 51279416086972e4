//! `/api/v1/accounts/{account_id}/inbox_members`: which agents work an inbox.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use switchboard_domain::ValidationError;
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::Inbox;
use switchboard_store::AsyncPgConnection;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdLike, Payload};
use switchboard_core::change::Change;
use switchboard_core::events;
use switchboard_core::state::AppState;
use switchboard_core::views;

#[derive(Deserialize)]
pub struct MembersPayload {
    inbox_id: IdLike,
    user_ids: Vec<IdLike>,
}
impl Payload for MembersPayload {}

/// Every id must be a member of the account; one foreign id refuses the whole request.
pub(crate) async fn account_members(conn: &mut AsyncPgConnection, account_id: i64, ids: &[IdLike]) -> ApiResult<Vec<i64>> {
    let mut wanted: Vec<i64> = ids.iter().map(|i| i.0).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let found = switchboard_store::account_users::member_ids(conn, account_id, &wanted).await?;
    if found.len() != wanted.len() {
        return Err(ApiError::Invalid(ValidationError::invalid("user_ids", "contains users who are not agents of this account")));
    }
    Ok(wanted)
}

async fn inbox(conn: &mut AsyncPgConnection, ctx: &AccountCtx, id: i64, vis: Visibility) -> ApiResult<Inbox> {
    switchboard_store::inboxes::find(conn, ctx.account_id, id, vis).await?.ok_or(ApiError::NotFound)
}

async fn render_members(conn: &mut AsyncPgConnection, inbox: &Inbox) -> ApiResult<HttpResponse> {
    let members = switchboard_store::inboxes::members(conn, inbox).await?;
    Ok(ok(json!({ "payload": views::agents(&members) })))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    let mut conn = state.conn().await?;
    let inbox = inbox(&mut conn, &ctx, id, ctx.inbox_visibility()).await?;
    render_members(&mut conn, &inbox).await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn add(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MembersPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut tx = Change::begin(&state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let inbox = inbox(conn, &ctx, body.inbox_id.0, Visibility::All).await?;
        let ids = account_members(conn, ctx.account_id, &body.user_ids).await?;
        switchboard_store::inboxes::add_members(conn, inbox.id, &ids).await?;
        events::access_changed(out, ctx.account_id, &ids);
        render_members(conn, &inbox).await
    }
    .await;
    tx.finish(&state, result).await
}

/// Replaces the member list with `user_ids`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MembersPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut tx = Change::begin(&state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let inbox = inbox(conn, &ctx, body.inbox_id.0, Visibility::All).await?;
        let ids = account_members(conn, ctx.account_id, &body.user_ids).await?;
        let before: Vec<i64> = switchboard_store::inboxes::members(conn, &inbox).await?.iter().map(|m| m.user.id).collect();
        switchboard_store::inboxes::replace_members(conn, inbox.id, &ids).await?;
        let mut changed: Vec<i64> = before.iter().chain(&ids).copied().filter(|id| before.contains(id) != ids.contains(id)).collect();
        changed.sort_unstable();
        changed.dedup();
        events::access_changed(out, ctx.account_id, &changed);
        render_members(conn, &inbox).await
    }
    .await;
    tx.finish(&state, result).await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn remove(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MembersPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut tx = Change::begin(&state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let inbox = inbox(conn, &ctx, body.inbox_id.0, Visibility::All).await?;
        let ids: Vec<i64> = body.user_ids.iter().map(|i| i.0).collect();
        switchboard_store::inboxes::remove_members(conn, inbox.id, &ids).await?;
        events::access_changed(out, ctx.account_id, &ids);
        Ok(json!({}))
    }
    .await;
    tx.finish(&state, result).await.map(ok)
}
