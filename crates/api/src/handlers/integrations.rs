//! The integrator APIs of other products, served by Switchboard (see README, "Integrator APIs"),
//! authenticated by the account's slug and an API key (`IntegratorCtx`).
//!
//! `GET /api/conversations` is the conversations-list API (`conversations-list-api.txt`): the
//! account's conversations as a bare array, `page` (default 1) and `per_page` (default 100, at
//! most `MAX_PER_PAGE`) read leniently.

use actix_web::{web, HttpResponse};

use super::ok;
use crate::auth::IntegratorCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use switchboard_core::state::AppState;

/// The most conversations one page gives.
pub const MAX_PER_PAGE: i64 = 500;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn conversations(state: web::Data<AppState>, ctx: IntegratorCtx, params: Params) -> ApiResult<HttpResponse> {
    let page = params.page();
    let per_page = params.int("per_page").filter(|n| *n >= 1).unwrap_or(100).min(MAX_PER_PAGE);
    let mut conn = state.conn().await?;
    let rows = switchboard_store::integrations::conversations_page(&mut conn, ctx.account_id, (page - 1) * per_page, per_page).await?;
    // Past the last page: "Conversation not found", as the document lists it; the first page of
    // an account without conversations is an empty list.
    if rows.is_empty() && page > 1 {
        return Err(ApiError::NotFound);
    }
    Ok(ok(rows.iter().map(switchboard_core::views::listed_conversation).collect::<Vec<_>>()))
}
