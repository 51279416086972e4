//! `/api/v1/accounts/{account_id}/custom_filters`: the caller's saved filters (each user sees
//! only their own; `?filter_type=` narrows). They run with `GET conversations?custom_filter_id=`
//! and `GET contacts?custom_filter_id=`. The work is `switchboard_core::custom_filters`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::custom_filters;
use switchboard_core::state::AppState;

use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{Body, Params, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterPayload {
    name: Option<String>,
    #[serde(rename = "type")]
    filter_type: Option<String>,
    query: Option<Value>,
}
impl Payload for FilterPayload {
    const WRAPPER: Option<&'static str> = Some("custom_filter");
}

fn id(path: &(String, String)) -> ApiResult<i64> {
    super::path_id(&path.1)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    let kind = params.str("filter_type").filter(|t| ["conversation", "contact", "report"].contains(t));
    Ok(HttpResponse::Ok().json(custom_filters::list(&state, ctx.account_id, ctx.user.id, kind).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(custom_filters::show(&state, ctx.account_id, ctx.user.id, id(&path)?).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(b): Body<FilterPayload>) -> ApiResult<HttpResponse> {
    let saved =
        custom_filters::save(&state, ctx.account_id, ctx.user.id, None, b.name.as_deref(), b.filter_type.as_deref(), b.query).await?;
    Ok(HttpResponse::Ok().json(saved))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(b): Body<FilterPayload>,
) -> ApiResult<HttpResponse> {
    let id = Some(id(&path)?);
    let saved = custom_filters::save(&state, ctx.account_id, ctx.user.id, id, b.name.as_deref(), b.filter_type.as_deref(), b.query).await?;
    Ok(HttpResponse::Ok().json(saved))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    custom_filters::delete(&state, ctx.account_id, ctx.user.id, id(&path)?).await?;
    Ok(HttpResponse::Ok().finish())
}
