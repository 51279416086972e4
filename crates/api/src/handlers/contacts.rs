//! `/api/v1/accounts/{account_id}/contacts`. Every member of the account sees its contacts;
//! deleting one is for administrators.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::contacts::{label_list, phone_number, ContactSort, GroupType};
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::text::optional_text;
use switchboard_domain::users::Email;
use switchboard_domain::ValidationError;
use switchboard_store::contacts::ListQuery;
use switchboard_store::models::{Contact, ContactChanges};
use switchboard_store::AsyncPgConnection;

use super::{object, ok, path_id, LabelsPayload};
use crate::auth::{random_token, AccountCtx};
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, IdLike, Params, Payload};
use switchboard_core::state::AppState;
use switchboard_core::views;

async fn render_page(conn: &mut AsyncPgConnection, query: ListQuery<'_>) -> ApiResult<HttpResponse> {
    let page = query.page;
    let (contacts, count) = switchboard_store::contacts::list(conn, &query).await?;
    let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    let identities = switchboard_store::contacts::inboxes_of(conn, &ids).await?;
    Ok(ok(views::Page {
        meta: views::ContactsMeta { count, current_page: page.to_string() },
        payload: contacts.iter().map(|c| views::contact(c, &identities)).collect::<Vec<_>>(),
    }))
}

fn list_query<'a>(ctx: &AccountCtx, params: &'a Params, search: Option<&'a str>) -> ListQuery<'a> {
    let (sort, descending) = ContactSort::parse(params.str("sort"));
    ListQuery { account_id: ctx.account_id, sort, descending, page: params.page(), search, label: params.str("labels"), conditions: None }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    // A saved filter runs as the filter endpoint does, with its paging and counts.
    let saved = match params.int("custom_filter_id") {
        Some(id) => Some(switchboard_core::custom_filters::conditions(&state, ctx.account_id, ctx.user.id, id, "contact").await?),
        None => None,
    };
    let mut query = list_query(&ctx, &params, None);
    query.conditions = saved.as_ref();
    let mut conn = state.conn().await?;
    render_page(&mut conn, query).await
}

/// `q` matches name, email, phone number and identifier; an empty `q` lists everything.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn search(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    super::search_allowed(&state, &ctx).await?;
    let mut conn = state.conn().await?;
    render_page(&mut conn, list_query(&ctx, &params, params.str("q"))).await
}

/// `POST contacts/filter`: the reference's condition payload.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn filter(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    params: Params,
    Body(body): Body<super::FilterPayload>,
) -> ApiResult<HttpResponse> {
    super::search_allowed(&state, &ctx).await?;
    let groups = body.parse(&state, ctx.account_id, switchboard_domain::custom_attributes::Model::Contact).await?;
    let mut query = list_query(&ctx, &params, None);
    query.conditions = Some(&groups);
    let mut conn = state.conn().await?;
    render_page(&mut conn, query).await
}

#[derive(Deserialize)]
pub struct MergePayload {
    base_contact_id: IdLike,
    mergee_contact_id: IdLike,
}
impl Payload for MergePayload {}

/// `POST actions/contact_merge`: the mergee's conversations, identities, labels and attributes
/// move to the base contact, and the mergee is deleted.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn merge(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<MergePayload>) -> ApiResult<HttpResponse> {
    // A merge deletes the mergee: it needs the role that deleting a contact needs.
    ctx.require_admin()?;
    let merged = switchboard_core::contacts::merge(&state, &ctx.actor(), body.base_contact_id.0, body.mergee_contact_id.0).await?;
    Ok(ok(merged))
}

async fn find(conn: &mut AsyncPgConnection, ctx: &AccountCtx, raw_id: &str) -> ApiResult<Contact> {
    let id = path_id(raw_id)?;
    switchboard_store::contacts::find(conn, ctx.account_id, id).await?.ok_or(ApiError::NotFound)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let contact = find(&mut conn, &ctx, &path.1).await?;
    Ok(ok(views::Payload { payload: switchboard_core::present::contact(&mut conn, &contact).await? }))
}

#[derive(Deserialize)]
pub struct ContactPayload {
    inbox_id: Option<IdLike>,
    source_id: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    identifier: Option<Option<String>>,
    avatar_url: Option<String>,
    blocked: Option<bool>,
    group_type: Option<String>,
    additional_attributes: Option<Value>,
    custom_attributes: Option<Value>,
}
impl Payload for ContactPayload {
    const WRAPPER: Option<&'static str> = Some("contact");
}

/// Blank means "none" for the optional identity fields.
fn blank_is_none(v: Option<Option<String>>) -> Option<Option<String>> {
    v.map(|inner| inner.filter(|s| !s.trim().is_empty()))
}

impl ContactPayload {
    fn changes(&self) -> Result<ContactChanges, ValidationError> {
        Ok(ContactChanges {
            name: self.name.as_deref().map(|n| optional_text("name", Some(n), 255).map(Option::unwrap_or_default)).transpose()?,
            email: blank_is_none(self.email.clone())
                .map(|e| e.map(|e| Email::parse("email", &e).map(Email::into_inner)).transpose())
                .transpose()?,
            phone_number: blank_is_none(self.phone_number.clone())
                .map(|p| p.map(|p| phone_number("phone_number", &p)).transpose())
                .transpose()?,
            identifier: blank_is_none(self.identifier.clone())
                .map(|i| i.map(|i| optional_text("identifier", Some(&i), 255).map(Option::unwrap_or_default)).transpose())
                .transpose()?,
            thumbnail: self
                .avatar_url
                .as_deref()
                .map(|u| if u.trim().is_empty() { Ok(String::new()) } else { switchboard_domain::text::http_url("avatar_url", u) })
                .transpose()?,
            blocked: self.blocked,
            group_type: self
                .group_type
                .as_deref()
                .map(|g| GroupType::parse("group_type", g).map(|g| g.as_str().to_string()))
                .transpose()?,
            additional_attributes: self.additional_attributes.clone().map(|v| object("additional_attributes", v)).transpose()?,
            custom_attributes: self
                .custom_attributes
                .clone()
                .map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v))
                .transpose()?,
        })
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<ContactPayload>) -> ApiResult<HttpResponse> {
    let changes = body.changes()?;
    let created =
        switchboard_core::contacts::create(&state, &ctx.actor(), &changes, body.inbox_id.map(|i| i.0), body.source_id.as_deref()).await?;
    Ok(ok(views::Payload { payload: created }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<ContactPayload>,
) -> ApiResult<HttpResponse> {
    let changes = body.changes()?;
    let id = path_id(&path.1)?;
    let rendered = switchboard_core::contacts::update(&state, &ctx.actor(), id, &changes).await?;
    Ok(ok(views::Payload { payload: rendered }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    switchboard_core::contacts::delete(&state, &ctx.actor(), id).await?;
    Ok(ok(views::Empty {}))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn labels(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let contact = find(&mut conn, &ctx, &path.1).await?;
    Ok(ok(views::Payload { payload: contact.labels }))
}

/// Replaces the contact's labels with the given list.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn set_labels(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<LabelsPayload>,
) -> ApiResult<HttpResponse> {
    let labels = label_list("labels", &body.labels)?;
    let mut conn = state.conn().await?;
    let contact = find(&mut conn, &ctx, &path.1).await?;
    drop(conn);
    let contact = switchboard_core::contacts::set_labels(&state, &ctx.actor(), contact.id, &labels).await?;
    Ok(ok(views::Payload { payload: contact.labels }))
}

#[derive(Deserialize)]
pub struct ContactInboxPayload {
    inbox_id: IdLike,
    source_id: Option<String>,
}
impl Payload for ContactInboxPayload {}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn add_inbox(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<ContactInboxPayload>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let contact = find(&mut conn, &ctx, &path.1).await?;
    let inbox = switchboard_store::inboxes::find(&mut conn, ctx.account_id, body.inbox_id.0, ctx.inbox_visibility())
        .await?
        .ok_or_else(|| ApiError::Invalid(ValidationError::invalid("inbox_id", "is not an inbox of this account")))?;
    drop(conn);
    let ci = switchboard_core::contacts::add_inbox(&state, &ctx.actor(), &contact, &inbox, body.source_id.as_deref()).await?;
    Ok(ok(views::contact_inbox(&ci, &inbox)))
}

/// The inboxes the caller can reach this contact through, with the source id to use.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn contactable_inboxes(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let contact = find(&mut conn, &ctx, &path.1).await?;
    let identities = switchboard_store::contacts::inboxes_of(&mut conn, &[contact.id]).await?;
    let inboxes = switchboard_store::inboxes::list(&mut conn, ctx.account_id, ctx.inbox_visibility()).await?;
    let admin = ctx.role.can_administer();
    let payload: Vec<views::ContactableInbox> = inboxes
        .iter()
        .filter_map(|inbox| {
            let existing = identities.iter().find(|(ci, _)| ci.inbox_id == inbox.id).map(|(ci, _)| ci.source_id.clone());
            let source_id = match inbox.channel_type {
                ChannelType::Api => existing.unwrap_or_else(|| random_token(16)),
                // WhatsApp reaches a contact by its number, without the '+'.
                ChannelType::Whatsapp => {
                    existing.or_else(|| contact.phone_number.as_ref().map(|p| p.trim_start_matches('+').to_string()))?
                }
            };
            Some(views::ContactableInbox { source_id, inbox: views::inbox(inbox, admin) })
        })
        .collect();
    Ok(ok(views::Payload { payload }))
}
