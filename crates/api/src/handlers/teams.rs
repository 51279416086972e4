//! `/api/v1/accounts/{account_id}/teams`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use switchboard_domain::inbox::team_name;
use switchboard_domain::text::optional_text;
use switchboard_domain::ValidationError;
use switchboard_store::models::TeamChanges;

use super::ok;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let teams = switchboard_store::teams::list(&mut conn, ctx.account_id, ctx.user.id).await?;
    Ok(ok(teams.iter().map(|(t, m)| views::team(t, *m)).collect::<Vec<_>>()))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (team, member) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    Ok(ok(views::team(&team, member)))
}

#[derive(Deserialize)]
pub struct TeamPayload {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    allow_auto_assign: Option<bool>,
}
impl Payload for TeamPayload {
    const WRAPPER: Option<&'static str> = Some("team");
}

impl TeamPayload {
    fn changes(&self) -> Result<TeamChanges, ValidationError> {
        Ok(TeamChanges {
            name: self.name.as_deref().map(|n| team_name("name", n)).transpose()?,
            description: self.description.as_ref().map(|d| optional_text("description", d.as_deref(), 10_000)).transpose()?,
            allow_auto_assign: self.allow_auto_assign,
        })
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<TeamPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let name = team_name("name", body.name.as_deref().unwrap_or_default())?;
    let changes = body.changes()?;
    let team = switchboard_core::account_records::create_team(&state, &ctx.actor(), &name, &changes).await?;
    Ok(ok(views::team(&team, false)))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<TeamPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let changes = body.changes()?;
    let mut conn = state.conn().await?;
    let (team, member) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    let team = switchboard_core::account_records::update_team(&state, &ctx.actor(), team.id, &changes).await?;
    Ok(ok(views::team(&team, member)))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let mut conn = state.conn().await?;
    let (team, _) = crate::lookup::team(&mut conn, &ctx, &path.1).await?;
    switchboard_core::account_records::delete_team(&state, &ctx.actor(), &team).await?;
    Ok(ok(views::Empty {}))
}
