//! `/api/v1/accounts/{account_id}/csat_survey_responses` (and `/metrics`): the contacts' survey
//! answers, for administrators. Parameters are lenient: `since`/`until` take epoch seconds,
//! RFC 3339 or a date; `inbox_id`; `user_ids[]` (the agent who had the conversation); `rating`
//! (one or a list); anything unreadable narrows nothing.

use actix_web::{web, HttpResponse};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_domain::whatsapp_analytics::time;
use switchboard_store::csat::CsatFilter;

use super::ok;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::Params;

fn filter(ctx: &AccountCtx, params: &Params) -> CsatFilter {
    let ints = |name: &str| -> Vec<i64> { params.list(name).iter().filter_map(|v| v.parse().ok()).collect() };
    CsatFilter {
        account_id: ctx.account_id,
        since: params.str("since").and_then(|v| time(v, false)),
        until: params.str("until").and_then(|v| time(v, true)),
        inbox_id: params.int("inbox_id"),
        agent_ids: [ints("user_ids"), ints("assigned_agent_id")].concat(),
        ratings: ints("rating").into_iter().filter(|r| (1..=5).contains(r)).map(|r| r as i16).collect(),
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let page = params.page();
    let (rows, count) = switchboard_core::csat::list(&state, &filter(&ctx, &params), page).await?;
    Ok(ok(views::Page { meta: views::PageMeta { count, current_page: page, per_page: None }, payload: rows }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn metrics(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(ok(switchboard_core::csat::metrics(&state, &filter(&ctx, &params)).await?))
}
