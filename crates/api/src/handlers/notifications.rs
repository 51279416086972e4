//! `/api/v1/accounts/{account_id}/notifications`: the caller's own notifications. Another
//! user's notification is a 404, whatever the caller's role.

use actix_web::{web, HttpResponse};

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use switchboard_core::notifications::render_many;
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let page = params.page();
    let list = switchboard_store::notifications::page(&mut conn, ctx.account_id, ctx.user.id, page).await?;
    let (unread, all) = switchboard_store::notifications::counts(&mut conn, ctx.account_id, ctx.user.id).await?;
    let payload = render_many(&state, &mut conn, ctx.account_id, &list).await?;
    Ok(ok(views::Data {
        data: views::Page { meta: views::NotificationsMeta { unread_count: unread, count: all, current_page: page }, payload },
    }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn unread_count(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (unread, _) = switchboard_store::notifications::counts(&mut conn, ctx.account_id, ctx.user.id).await?;
    Ok(ok(unread))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn read_all(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    switchboard_core::notifications::mark_all_read(&state, &ctx.actor()).await?;
    Ok(ok(views::Empty {}))
}

/// Marks it read (the reference's `PATCH` sets `read_at`), answering with it.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    let n = switchboard_core::notifications::mark_read(&state, &ctx.actor(), id).await?;
    let mut conn = state.conn().await?;
    let rendered = render_many(&state, &mut conn, ctx.account_id, std::slice::from_ref(&n)).await?;
    Ok(ok(rendered.into_iter().next().ok_or(ApiError::NotFound)?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    switchboard_core::notifications::delete(&state, &ctx.actor(), id).await?;
    Ok(ok(views::Empty {}))
}
