//! `/api/v1/accounts/{account_id}/inbox_members`: which agents work an inbox.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use switchboard_store::models::Inbox;
use switchboard_store::AsyncPgConnection;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, IdLike, Payload};
use switchboard_core::inbox_members::Membership;
use switchboard_core::state::AppState;
use switchboard_core::views;

#[derive(Deserialize)]
pub struct MembersPayload {
    inbox_id: IdLike,
    user_ids: Vec<IdLike>,
}
impl Payload for MembersPayload {}

async fn render_members(conn: &mut AsyncPgConnection, inbox: &Inbox) -> ApiResult<HttpResponse> {
    let members = switchboard_store::inboxes::members(conn, inbox).await?;
    Ok(ok(views::Payload { payload: views::agents(&members) }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    let mut conn = state.conn().await?;
    let inbox = crate::lookup::inbox(&mut conn, &ctx, id, ctx.inbox_visibility()).await?;
    render_members(&mut conn, &inbox).await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn add(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MembersPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let ids: Vec<i64> = body.user_ids.iter().map(|i| i.0).collect();
    let members = switchboard_core::inbox_members::change(&state, &ctx.actor(), body.inbox_id.0, &ids, Membership::Add).await?;
    Ok(ok(views::Payload { payload: views::agents(&members) }))
}

/// Replaces the member list with `user_ids`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MembersPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let ids: Vec<i64> = body.user_ids.iter().map(|i| i.0).collect();
    let members = switchboard_core::inbox_members::change(&state, &ctx.actor(), body.inbox_id.0, &ids, Membership::Replace).await?;
    Ok(ok(views::Payload { payload: views::agents(&members) }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn remove(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MembersPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let ids: Vec<i64> = body.user_ids.iter().map(|i| i.0).collect();
    switchboard_core::inbox_members::change(&state, &ctx.actor(), body.inbox_id.0, &ids, Membership::Remove).await?;
    Ok(ok(views::Empty {}))
}
