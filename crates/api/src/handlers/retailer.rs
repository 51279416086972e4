//! The retailer API (`retailer-api.apib.md`) under `/retailers/api/v1`, authenticated by the
//! `Slug` and `Api-Key` headers (`IntegratorCtx`). Answers keep the document's shapes and words:
//! create answers 200, a record we do not have is `{"message": "Not found"}`.

use actix_web::{web, HttpResponse};

use super::ok;
use crate::auth::IntegratorCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Payload};
use switchboard_core::error::CoreError;
use switchboard_core::retailer::{self, CustomerInput};
use switchboard_core::state::AppState;
use switchboard_core::views::retailer as views;

impl Payload for CustomerInput {
    const WRAPPER: Option<&'static str> = Some("customer");
}

/// The document's not-found answer; anything else as our errors are.
fn answer(result: Result<impl serde::Serialize, CoreError>) -> ApiResult<HttpResponse> {
    match result {
        Ok(v) => Ok(ok(v)),
        Err(CoreError::NotFound) => Ok(HttpResponse::NotFound().json(views::Said { message: "Not found" })),
        Err(e) => Err(ApiError::from(e)),
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn agents(state: web::Data<AppState>, ctx: IntegratorCtx) -> ApiResult<HttpResponse> {
    answer(retailer::agents(&state, ctx.account_id).await)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn customers(state: web::Data<AppState>, ctx: IntegratorCtx, params: Params) -> ApiResult<HttpResponse> {
    answer(retailer::customers(&state, ctx.account_id, params.page()).await)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn customer(state: web::Data<AppState>, ctx: IntegratorCtx, path: web::Path<String>) -> ApiResult<HttpResponse> {
    answer(retailer::show_customer(&state, ctx.account_id, &path).await)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create_customer(state: web::Data<AppState>, ctx: IntegratorCtx, Body(body): Body<CustomerInput>) -> ApiResult<HttpResponse> {
    answer(retailer::create_customer(&state, ctx.account_id, &body).await)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_customer(
    state: web::Data<AppState>,
    ctx: IntegratorCtx,
    path: web::Path<String>,
    Body(body): Body<CustomerInput>,
) -> ApiResult<HttpResponse> {
    answer(retailer::update_customer(&state, ctx.account_id, &path, &body).await)
}

/// We have no Messenger channel: an account has no Messenger conversations.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn messenger_conversations(ctx: IntegratorCtx) -> ApiResult<HttpResponse> {
    tracing::debug!(account_id = ctx.account_id, "no Messenger channel");
    Ok(ok(views::MessengerConversations::none()))
}

/// A customer's Messenger conversations: none for a customer we have, "Not found" otherwise.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn customer_messenger_conversations(
    state: web::Data<AppState>,
    ctx: IntegratorCtx,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let found = retailer::show_customer(&state, ctx.account_id, &path).await;
    answer(found.map(|_| views::MessengerConversations::none()))
}

impl Payload for retailer::Notification {}

/// `GET /retailers/api/v1/whatsapp_templates`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn templates(state: web::Data<AppState>, ctx: IntegratorCtx) -> ApiResult<HttpResponse> {
    answer(retailer::templates(&state, ctx.account_id).await)
}

/// `POST /retailers/api/v1/whatsapp/send_notification_by_id`: refusals in the document's words,
/// `{"message": …, "info": {"data": {}}}`; an `Idempotency-Key` header makes a repeat a replay.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn send_notification(
    state: web::Data<AppState>,
    ctx: IntegratorCtx,
    req: actix_web::HttpRequest,
    Body(body): Body<retailer::Notification>,
) -> ApiResult<HttpResponse> {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok());
    match retailer::send_notification(&state, ctx.account_id, &body, key).await {
        Ok(v) => Ok(ok(v)),
        Err(retailer::Refused::Document { status, message }) => {
            let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            Ok(HttpResponse::build(status).json(views::notification_refused(message)))
        }
        Err(retailer::Refused::Core(e)) => Err(e.into()),
    }
}

/// `GET /retailers/api/v1/whatsapp_conversations`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn whatsapp_conversations(state: web::Data<AppState>, ctx: IntegratorCtx, params: Params) -> ApiResult<HttpResponse> {
    let per_page = params.int("results_per_page").filter(|n| *n >= 1).unwrap_or(retailer::RESULTS_PER_PAGE).min(retailer::RESULTS_PER_PAGE);
    let unassigned = params.str("unassigned").is_some_and(|v| matches!(v, "true" | "1"));
    answer(retailer::whatsapp_conversations(&state, ctx.account_id, params.page(), per_page, unassigned).await)
}

/// `GET /retailers/api/v1/customers/{id}/whatsapp_conversations`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn customer_whatsapp(
    state: web::Data<AppState>,
    ctx: IntegratorCtx,
    path: web::Path<String>,
    params: Params,
) -> ApiResult<HttpResponse> {
    answer(retailer::customer_whatsapp(&state, ctx.account_id, &path, params.page()).await)
}
