//! `/api/v1/accounts/{account_id}/teams/{team_id}/team_members`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::ok;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, IdLike, Payload};
use crate::lookup::account_members;
use switchboard_core::account_records::{self, Membership};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[derive(Deserialize)]
pub struct MembersPayload {
    user_ids: Vec<IdLike>,
}
impl Payload for MembersPayload {}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (team, _) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    let members = switchboard_store::teams::members(&mut conn, &team, None).await?;
    Ok(ok(views::agents(&members)))
}

/// Answers with the agents that were asked for, as the reference does.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn add(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<MembersPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut conn = state.conn().await?;
    let (team, _) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    let ids = account_members(&mut conn, ctx.account_id, &body.user_ids).await?;
    drop(conn);
    let members = account_records::change_members(&state, &ctx.actor(), &team, Membership::Add, &ids).await?;
    Ok(ok(views::agents(&members)))
}

/// Makes the team exactly `user_ids`; answers with the whole team.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<MembersPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut conn = state.conn().await?;
    let (team, _) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    let ids = account_members(&mut conn, ctx.account_id, &body.user_ids).await?;
    drop(conn);
    let members = account_records::change_members(&state, &ctx.actor(), &team, Membership::Replace, &ids).await?;
    Ok(ok(views::agents(&members)))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn remove(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<MembersPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut conn = state.conn().await?;
    let (team, _) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    let ids: Vec<i64> = body.user_ids.iter().map(|i| i.0).collect();
    drop(conn);
    account_records::change_members(&state, &ctx.actor(), &team, Membership::Remove, &ids).await?;
    Ok(ok(views::Empty {}))
}
