//! A WhatsApp group contact's sync from the provider and its member list.

use actix_web::{web, HttpResponse};
use serde_json::json;
use switchboard_store::models::{Contact, Inbox};
use switchboard_store::AsyncPgConnection;

use super::{ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use switchboard_core::baileys;
use switchboard_core::state::AppState;
use switchboard_core::views;

/// The account's group contact (404 otherwise) that is a group with a JID in a Baileys inbox
/// (400 otherwise), in an inbox the caller works in (403 otherwise).
async fn group(conn: &mut AsyncPgConnection, ctx: &AccountCtx, raw_id: &str) -> ApiResult<(Contact, Inbox)> {
    let contact = switchboard_store::contacts::find(conn, ctx.account_id, path_id(raw_id)?).await?.ok_or(ApiError::NotFound)?;
    let not_a_group = || ApiError::BadRequest("Contact is not a valid group".into());
    if contact.group_type != "group" || contact.identifier.is_none() {
        return Err(not_a_group());
    }
    let (_, inbox) = baileys::group_inbox(conn, &contact).await?.ok_or_else(not_a_group)?;
    if !ctx.role.sees_all_inboxes() {
        let mine = switchboard_store::inboxes::member_inbox_ids(conn, ctx.account_id, ctx.user.id).await?;
        if !mine.contains(&inbox.id) {
            return Err(ApiError::Forbidden);
        }
    }
    Ok((contact, inbox))
}

/// `POST …/contacts/{id}/sync_group`: queues a sync with the provider (202). The answer is the
/// group as it is now; `contact.group_synced` brings it once synced.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn sync(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (contact, _) = group(&mut conn, &ctx, &path.1).await?;
    baileys::request_sync(&state, &mut conn, &contact).await?;
    let mut payload = switchboard_core::present::contact(&mut conn, &contact).await?;
    let (members, _) = switchboard_store::groups::members(&mut conn, contact.id, None, 0, i64::MAX).await?;
    payload["group_members"] = json!(members.iter().map(|(m, c)| views::group_member(m, c)).collect::<Vec<_>>());
    Ok(HttpResponse::Accepted().json(json!({ "payload": payload })))
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
    Ok(ok(json!({
        "payload": rows.iter().map(|(m, c)| views::group_member(m, c)).collect::<Vec<_>>(),
        "meta": {
            "total_count": total,
            "page": page,
            "per_page": per_page,
            "inbox_phone_number": inbox.phone_number,
            "is_inbox_admin": own.is_some_and(|m| m.role == "admin"),
        },
    })))
}
