//! `GET /api/v1/accounts/{account_id}/audit_logs?page=` (administrators): who changed what,
//! newest first, 15 a page. Entries are written by the operations; nothing here edits them.

use actix_web::{web, HttpResponse};
use switchboard_core::state::AppState;

use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::Params;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(switchboard_core::audit::page(&state, ctx.account_id, params.page()).await?))
}
