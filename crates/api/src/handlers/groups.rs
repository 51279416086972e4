//! A WhatsApp group contact: its sync from the provider, its member list, and its
//! administration through the provider (members, data, invite link, join requests, settings,
//! leaving, creating), each a `group_admin` operation.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use switchboard_core::group_admin::{self, MetadataChange, Purpose};
use switchboard_domain::groups::GroupSetting;
use switchboard_domain::ValidationError;
use switchboard_store::models::{Contact, Inbox};
use switchboard_store::AsyncPgConnection;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{is_multipart, json_body, Body, Params, Payload};
use switchboard_core::groups;
use switchboard_core::state::AppState;
use switchboard_core::views;

/// The group contact a reading route names, for the caller (see `group_admin::find`).
async fn group(conn: &mut AsyncPgConnection, ctx: &AccountCtx, raw_id: &str) -> ApiResult<(Contact, Inbox)> {
    let group = group_admin::find(conn, &ctx.actor(), path_id(raw_id)?, Purpose::Read).await?;
    Ok((group.contact, group.inbox))
}

/// `POST …/contacts/{id}/sync_group`: queues a sync with the provider (202). The answer is the
/// group as it is now; `contact.group_synced` brings it once synced.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn sync(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (contact, _) = group(&mut conn, &ctx, &path.1).await?;
    groups::request_sync(&state, &mut conn, &contact).await?;
    let payload = switchboard_core::present::group(&mut conn, &contact).await?;
    Ok(HttpResponse::Accepted().json(views::Payload { payload }))
}

/// `GET …/contacts/{id}/group_members`: active members, admins first; the inbox's own number
/// leads the first page.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn members(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (contact, inbox) = group(&mut conn, &ctx, &path.1).await?;
    let page = params.page();
    let per_page = params.int("per_page").unwrap_or(10).clamp(1, 100);
    let phone = inbox.phone_number.clone().unwrap_or_default();
    let own = switchboard_store::groups::member_with_number(&mut conn, contact.id, &phone).await?;
    let (rows, total) =
        switchboard_store::groups::members(&mut conn, contact.id, own.as_ref().map(|m| m.contact_id), (page - 1) * per_page, per_page)
            .await?;
    Ok(ok(views::Page {
        payload: rows.iter().map(|(m, c)| views::group_member(m, c)).collect::<Vec<_>>(),
        meta: views::MembersMeta {
            total_count: total,
            page,
            per_page,
            inbox_phone_number: inbox.phone_number,
            is_inbox_admin: own.is_some_and(|m| m.role == "admin"),
        },
    }))
}

#[derive(Deserialize)]
pub struct ParticipantsPayload {
    participants: Vec<String>,
}
impl Payload for ParticipantsPayload {}

/// `POST …/contacts/{id}/group_members {participants}`: each participant's outcome.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn add_members(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<ParticipantsPayload>,
) -> ApiResult<HttpResponse> {
    let outcomes = group_admin::add_members(&state, &ctx.actor(), path_id(&path.1)?, &body.participants).await?;
    Ok(ok(views::Payload { payload: outcomes }))
}

#[derive(Deserialize)]
pub struct RolePayload {
    role: String,
}
impl Payload for RolePayload {}

/// `PATCH …/contacts/{id}/group_members/{member_id} {role}`: the member as changed.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_member(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
    Body(body): Body<RolePayload>,
) -> ApiResult<HttpResponse> {
    let member = group_admin::set_role(&state, &ctx.actor(), path_id(&path.1)?, path_id(&path.2)?, &body.role).await?;
    Ok(ok(views::Payload { payload: member }))
}

/// `DELETE …/contacts/{id}/group_members/{member_id}`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn remove_member(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    group_admin::remove_member(&state, &ctx.actor(), path_id(&path.1)?, path_id(&path.2)?).await?;
    Ok(HttpResponse::Ok().finish())
}

#[derive(Deserialize, Default)]
pub struct MetadataPayload {
    subject: Option<String>,
    description: Option<String>,
}
impl Payload for MetadataPayload {}

/// `PATCH …/contacts/{id}/group_metadata`: JSON `{subject?, description?}`, or a multipart form
/// with those fields and the picture as `avatar`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_metadata(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let contact_id = path_id(&path.1)?;
    let change = if is_multipart(&req) {
        read_metadata_form(&state, &mut Multipart::new(req.headers(), payload)).await?
    } else {
        let body: MetadataPayload = json_body(&req, payload, state.settings.max_body_bytes).await?;
        MetadataChange { subject: body.subject, description: body.description, avatar: None }
    };
    Ok(ok(group_admin::update_metadata(&state, &ctx.actor(), contact_id, change).await?))
}

/// The form's `subject` and `description` as text, and its `avatar` file in memory (it goes to
/// the provider whole, as base64), within the attachment limit.
async fn read_metadata_form(state: &AppState, form: &mut Multipart) -> ApiResult<MetadataChange> {
    let mut change = MetadataChange::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = if name == "avatar" { state.settings.max_attachment_bytes } else { state.settings.max_body_bytes };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8(bytes.clone()).map_err(|_| ValidationError::invalid(&name, "must be UTF-8 text"));
        match name.as_str() {
            "avatar" => change.avatar = Some(bytes),
            "subject" => change.subject = Some(text()?),
            "description" => change.description = Some(text()?),
            _ => {}
        }
    }
    Ok(change)
}

/// `GET …/contacts/{id}/group_invite`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn invite(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    Ok(ok(group_admin::invite(&state, &ctx.actor(), path_id(&path.1)?).await?))
}

/// `POST …/contacts/{id}/group_invite/revoke`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn revoke_invite(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    Ok(ok(group_admin::revoke_invite(&state, &ctx.actor(), path_id(&path.1)?).await?))
}

/// `GET …/contacts/{id}/group_join_requests`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn join_requests(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let requests = group_admin::join_requests(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(ok(views::Payload { payload: requests }))
}

#[derive(Deserialize)]
pub struct JoinRequestsPayload {
    request_action: String,
    participants: Vec<String>,
}
impl Payload for JoinRequestsPayload {}

/// `POST …/contacts/{id}/group_join_requests/handle {request_action, participants}`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn handle_join_requests(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<JoinRequestsPayload>,
) -> ApiResult<HttpResponse> {
    group_admin::handle_join_requests(&state, &ctx.actor(), path_id(&path.1)?, &body.request_action, &body.participants).await?;
    Ok(HttpResponse::Ok().finish())
}

#[derive(Deserialize)]
pub struct AdminPayload {
    property: String,
    enabled: bool,
}
impl Payload for AdminPayload {}

/// `PATCH …/contacts/{id}/group_admin {property, enabled}`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_setting(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<AdminPayload>,
) -> ApiResult<HttpResponse> {
    let setting = GroupSetting::parse(body.property.trim(), body.enabled)?;
    group_admin::set_setting(&state, &ctx.actor(), path_id(&path.1)?, setting).await?;
    Ok(HttpResponse::Ok().finish())
}

/// `POST …/contacts/{id}/group_admin/leave`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn leave(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    group_admin::leave(&state, &ctx.actor(), path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().finish())
}

#[derive(Deserialize)]
pub struct CreatePayload {
    inbox_id: i64,
    subject: String,
    participants: Vec<String>,
}
impl Payload for CreatePayload {}

/// `POST /api/v1/accounts/{id}/groups {inbox_id, subject, participants}`.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<CreatePayload>) -> ApiResult<HttpResponse> {
    let created = group_admin::create(&state, &ctx.actor(), body.inbox_id, &body.subject, &body.participants).await?;
    Ok(ok(created))
}
