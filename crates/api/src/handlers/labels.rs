//! `/api/v1/accounts/{account_id}/labels`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use switchboard_domain::inbox::label_title;
use switchboard_domain::text::{color, optional_text};
use switchboard_store::labels::NewLabel;
use switchboard_store::models::LabelChanges;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let labels = switchboard_store::labels::list(&mut conn, ctx.account_id).await?;
    Ok(ok(views::Payload { payload: labels.iter().map(views::label).collect::<Vec<_>>() }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    let mut conn = state.conn().await?;
    let label = switchboard_store::labels::find(&mut conn, ctx.account_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(views::label(&label)))
}

#[derive(Deserialize)]
pub struct LabelPayload {
    title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    color: Option<String>,
    show_on_sidebar: Option<bool>,
}
impl Payload for LabelPayload {
    const WRAPPER: Option<&'static str> = Some("label");
}

impl LabelPayload {
    fn changes(&self) -> Result<LabelChanges, switchboard_domain::ValidationError> {
        Ok(LabelChanges {
            title: self.title.as_deref().map(|t| label_title("title", t)).transpose()?,
            description: self.description.as_ref().map(|d| optional_text("description", d.as_deref(), 10_000)).transpose()?,
            color: self.color.as_deref().map(|c| color("color", c)).transpose()?,
            show_on_sidebar: self.show_on_sidebar,
        })
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<LabelPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let changes = body.changes()?;
    let title = changes.title.clone().map_or_else(|| label_title("title", ""), Ok)?;
    let new = NewLabel {
        title: &title,
        description: changes.description.as_ref().and_then(|d| d.as_deref()),
        color: changes.color.as_deref().unwrap_or("#1f93ff"),
        show_on_sidebar: changes.show_on_sidebar.unwrap_or(true),
    };
    let label = switchboard_core::account_records::create_label(&state, &ctx.actor(), &new).await?;
    Ok(ok(views::label(&label)))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<LabelPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    let changes = body.changes()?;
    let label = switchboard_core::account_records::update_label(&state, &ctx.actor(), id, &changes).await?;
    Ok(ok(views::label(&label)))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    switchboard_core::account_records::delete_label(&state, &ctx.actor(), id).await?;
    Ok(ok(views::Empty {}))
}
