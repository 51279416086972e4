//! `/api/v1/accounts/{account_id}/conversations`. `{conversation_id}` is the per-account
//! display id. Agents see the conversations of their inboxes only.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::contacts::label_list;
use switchboard_domain::conversations::{activity, status_filter, Priority, Status};
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::conversations::{AssigneeFilter, ListFilter, SortBy};
use switchboard_store::models::{Conversation, ConversationChanges};

use super::{object, ok, path_id, LabelsPayload};
use crate::auth::{AccountCtx, ActingCtx};
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, IdLike, Params, Payload};
use switchboard_core::conversations::{change_one, ContactRef, Opening};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_domain::custom_attributes::Model;

fn filter<'a>(ctx: &AccountCtx, params: &'a Params, labels: &'a [String]) -> ListFilter<'a> {
    let (sort, ascending) = match params.str("sort_by").unwrap_or("last_activity_at_desc") {
        "last_activity_at_asc" => (SortBy::LastActivity, true),
        "created_at_desc" => (SortBy::Created, false),
        "created_at_asc" => (SortBy::Created, true),
        "priority_desc" => (SortBy::Priority, false),
        "priority_asc" => (SortBy::Priority, true),
        "waiting_since_desc" => (SortBy::WaitingSince, false),
        "waiting_since_asc" => (SortBy::WaitingSince, true),
        _ => (SortBy::LastActivity, false),
    };
    let assignee = match params.str("assignee_type") {
        Some("me") => AssigneeFilter::Me,
        Some("unassigned") => AssigneeFilter::Unassigned,
        Some("assigned") => AssigneeFilter::Assigned,
        _ => AssigneeFilter::All,
    };
    let conversation_type = params.str("conversation_type");
    ListFilter {
        account_id: ctx.account_id,
        viewer: ctx.user.id,
        visibility: ctx.inbox_visibility(),
        status: status_filter(params.str("status")),
        assignee,
        inbox_id: params.int("inbox_id"),
        team_id: params.int("team_id"),
        contact_id: None,
        // Lenient, as every query parameter: an unknown value filters nothing.
        group_type: params.str("group_type").and_then(|g| switchboard_domain::contacts::GroupType::parse("group_type", g).ok()),
        labels,
        search: params.str("q"),
        unattended: conversation_type == Some("unattended"),
        participating: conversation_type == Some("participating"),
        mentioned: conversation_type == Some("mention"),
        conditions: None,
        sort,
        ascending,
        page: params.page(),
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    // A saved filter runs as the filter endpoint does, with its paging and counts.
    if let Some(id) = params.int("custom_filter_id") {
        let groups = switchboard_core::custom_filters::conditions(&state, ctx.account_id, ctx.user.id, id, "conversation").await?;
        let (counts, payload) = by_conditions(&state, &ctx, &params, &groups).await?;
        return Ok(ok(views::Data { data: views::Page { meta: counts, payload } }));
    }
    if params.str("q").is_some() {
        super::search_allowed(&state, &ctx).await?;
    }
    let labels = params.list("labels");
    let f = filter(&ctx, &params, &labels);
    let mut conn = state.conn().await?;
    let counts = switchboard_store::conversations::counts(&mut conn, &f).await?;
    let page = switchboard_store::conversations::list(&mut conn, &f).await?;
    let payload = switchboard_core::present::conversations(&state, &mut conn, ctx.account_id, &page).await?;
    Ok(ok(views::Data { data: views::Page { meta: counts, payload } }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn meta(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    let labels = params.list("labels");
    let f = filter(&ctx, &params, &labels);
    let mut conn = state.conn().await?;
    let counts = switchboard_store::conversations::counts(&mut conn, &f).await?;
    Ok(ok(views::Meta { meta: counts }))
}

/// `POST conversations/filter`: the conditions decide (no default status), within what the
/// caller may see.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn filter_list(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    params: Params,
    Body(body): Body<super::FilterPayload>,
) -> ApiResult<HttpResponse> {
    super::search_allowed(&state, &ctx).await?;
    let groups = body.parse(&state, ctx.account_id, switchboard_domain::custom_attributes::Model::Conversation).await?;
    let (counts, payload) = by_conditions(&state, &ctx, &params, &groups).await?;
    Ok(ok(views::Page { meta: counts, payload }))
}

/// A page of the conversations the conditions select (no default status), with the counts.
async fn by_conditions(
    state: &AppState,
    ctx: &AccountCtx,
    params: &Params,
    groups: &switchboard_domain::filters::Groups,
) -> ApiResult<(switchboard_store::conversations::Counts, Vec<views::Conversation>)> {
    let mut f = filter(ctx, params, &[]);
    f.status = None;
    f.assignee = AssigneeFilter::All;
    f.search = None;
    f.conditions = Some(groups);
    let mut conn = state.conn().await?;
    let counts = switchboard_store::conversations::counts(&mut conn, &f).await?;
    let page = switchboard_store::conversations::list(&mut conn, &f).await?;
    Ok((counts, switchboard_core::present::conversations(state, &mut conn, ctx.account_id, &page).await?))
}

/// The conversations of one contact (visible ones), newest activity first.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn of_contact(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let contact_id = path_id(&path.1)?;
    let mut conn = state.conn().await?;
    switchboard_store::contacts::find(&mut conn, ctx.account_id, contact_id).await?.ok_or(ApiError::NotFound)?;
    let f = ListFilter {
        account_id: ctx.account_id,
        viewer: ctx.user.id,
        visibility: ctx.inbox_visibility(),
        status: None,
        assignee: AssigneeFilter::All,
        inbox_id: None,
        team_id: None,
        contact_id: Some(contact_id),
        group_type: None,
        labels: &[],
        search: None,
        unattended: false,
        participating: false,
        mentioned: false,
        conditions: None,
        sort: SortBy::LastActivity,
        ascending: false,
        page: 1,
    };
    let page = switchboard_store::conversations::list(&mut conn, &f).await?;
    Ok(ok(views::Payload { payload: switchboard_core::present::conversations(&state, &mut conn, ctx.account_id, &page).await? }))
}

/// The first message of a new conversation, as the reference takes it: text, or a WhatsApp
/// template (`template_params`) to a number that has not written (the window is closed).
#[derive(Deserialize)]
pub struct FirstMessage {
    content: Option<String>,
    content_type: Option<String>,
    content_attributes: Option<Value>,
    template_params: Option<Value>,
}

#[derive(Deserialize)]
pub struct CreatePayload {
    inbox_id: Option<IdLike>,
    source_id: Option<String>,
    contact_id: Option<IdLike>,
    status: Option<String>,
    assignee_id: Option<IdLike>,
    team_id: Option<IdLike>,
    #[serde(default)]
    snoozed_until: Value,
    priority: Option<String>,
    additional_attributes: Option<Value>,
    custom_attributes: Option<Value>,
    message: Option<FirstMessage>,
}
impl Payload for CreatePayload {}

/// An assignee must be an agent of the account; a team must be one of its teams.

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: ActingCtx, Body(body): Body<CreatePayload>) -> ApiResult<HttpResponse> {
    let inbox_id = body.inbox_id.ok_or_else(|| ValidationError::blank("inbox_id"))?.0;
    let status = body.status.as_deref().map(|s| Status::parse("status", s)).transpose()?.unwrap_or(Status::Open);
    let priority = Priority::parse("priority", body.priority.as_deref())?;
    let snoozed_until = switchboard_domain::text::timestamp("snoozed_until", &body.snoozed_until)?;
    let additional = body.additional_attributes.map(|v| object("additional_attributes", v)).transpose()?.unwrap_or_else(|| json!({}));
    let custom = body
        .custom_attributes
        .map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v))
        .transpose()?
        .unwrap_or_else(|| json!({}));
    let first_message = match body.message {
        Some(m) => {
            if m.template_params.is_none() && m.content.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err(ValidationError::blank("message.content").into());
            }
            let raw = switchboard_domain::messages::Raw {
                content: m.content,
                message_type: None,
                private: false,
                content_type: m.content_type,
                content_attributes: m.content_attributes,
                in_reply_to: None,
                template_params: m.template_params,
                files: 0,
            };
            Some(switchboard_domain::messages::draft(raw).map_err(|mut v| {
                v.field = format!("message.{}", v.field);
                v
            })?)
        }
        None => None,
    };

    let contact = match (body.source_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()), body.contact_id) {
        (Some(source_id), _) => ContactRef::SourceId(source_id),
        (None, Some(contact_id)) => ContactRef::ContactId(contact_id.0),
        (None, None) => return Err(ValidationError::blank("contact_id").into()),
    };
    let opening = Opening {
        inbox_id,
        contact,
        assignee_id: body.assignee_id.map(|a| a.0),
        team_id: body.team_id.map(|t| t.0),
        status,
        priority,
        snoozed_until,
        additional_attributes: additional,
        custom_attributes: custom,
        first_message,
    };
    Ok(ok(switchboard_core::conversations::open(&state, &ctx.actor(), opening).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let c = crate::lookup::conversation(&mut conn, &ctx, &path.1).await?;
    Ok(ok(switchboard_core::present::conversation(&state, &mut conn, &c).await?))
}

#[derive(Deserialize)]
pub struct UpdatePayload {
    #[serde(default, deserialize_with = "nullable")]
    priority: Option<Option<String>>,
    custom_attributes: Option<Value>,
    additional_attributes: Option<Value>,
}
impl Payload for UpdatePayload {
    const WRAPPER: Option<&'static str> = Some("conversation");
}

fn priority_line(c: &Conversation, new: Option<Priority>, by: &str) -> Option<String> {
    activity::priority(c.priority.as_deref().and_then(Priority::from_stored), new, by)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<UpdatePayload>,
) -> ApiResult<HttpResponse> {
    let priority = body.priority.map(|p| Priority::parse("priority", p.as_deref())).transpose()?;
    let custom = body.custom_attributes.map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v)).transpose()?;
    if let Some(custom) = &custom {
        switchboard_core::custom_attributes::check_in(&state, ctx.account_id, Model::Conversation, custom).await?;
    }
    let additional = body.additional_attributes.map(|v| object("additional_attributes", v)).transpose()?;
    let by = views::available_name(&ctx.user).to_string();
    let decide = move |c: &Conversation| {
        let lines = priority.and_then(|p| priority_line(c, p, &by)).into_iter().collect();
        let changes = ConversationChanges {
            priority: priority.map(|p| p.map(|p| p.as_str().to_string())),
            custom_attributes: custom,
            additional_attributes: additional,
            ..Default::default()
        };
        (changes, lines)
    };
    let display_id = path_id(&path.1)?;
    let (_, payload) = change_one(&state, &ctx.actor(), display_id, Event::ConversationUpdated, decide).await?;
    Ok(ok(payload))
}

#[derive(Deserialize)]
pub struct StatusPayload {
    status: Option<String>,
    #[serde(default)]
    snoozed_until: Value,
}
impl Payload for StatusPayload {}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn toggle_status(
    state: web::Data<AppState>,
    ctx: ActingCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<StatusPayload>,
) -> ApiResult<HttpResponse> {
    let requested = body.status.as_deref().map(|s| Status::parse("status", s)).transpose()?;
    let snoozed_until = switchboard_domain::text::timestamp("snoozed_until", &body.snoozed_until)?;
    let display_id = path_id(&path.1)?;
    let c = switchboard_core::conversations::set_status(&state, &ctx.actor(), display_id, requested, snoozed_until).await?;
    let payload = views::StatusToggled {
        success: true,
        current_status: c.status,
        conversation_id: c.display_id,
        snoozed_until: c.snoozed_until.map(|t| t.timestamp()),
    };
    Ok(ok(views::Page { meta: views::Empty {}, payload }))
}

#[derive(Deserialize)]
pub struct PriorityPayload {
    #[serde(default, deserialize_with = "nullable")]
    priority: Option<Option<String>>,
}
impl Payload for PriorityPayload {}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn toggle_priority(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<PriorityPayload>,
) -> ApiResult<HttpResponse> {
    let raw = body.priority.ok_or_else(|| ValidationError::blank("priority"))?;
    let priority = Priority::parse("priority", raw.as_deref())?;
    let by = views::available_name(&ctx.user).to_string();
    let decide = move |c: &Conversation| {
        let lines = priority_line(c, priority, &by).into_iter().collect();
        (ConversationChanges { priority: Some(priority.map(|p| p.as_str().to_string())), ..Default::default() }, lines)
    };
    let display_id = path_id(&path.1)?;
    let (_, payload) = change_one(&state, &ctx.actor(), display_id, Event::ConversationUpdated, decide).await?;
    Ok(ok(payload))
}

#[derive(Deserialize)]
pub struct AssignmentPayload {
    #[serde(default, deserialize_with = "nullable")]
    assignee_id: Option<Option<IdLike>>,
    #[serde(default, deserialize_with = "nullable")]
    team_id: Option<Option<IdLike>>,
}
impl Payload for AssignmentPayload {}

/// Sets the assignee and/or the team; answers with the assignee (or the team when only it changed).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn assignments(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<AssignmentPayload>,
) -> ApiResult<HttpResponse> {
    if body.assignee_id.is_none() && body.team_id.is_none() {
        return Err(ValidationError::blank("assignee_id").into());
    }
    let display_id = path_id(&path.1)?;
    let assignee = body.assignee_id.map(|a| a.map(|a| a.0));
    let team = body.team_id.map(|t| t.map(|t| t.0));
    Ok(ok(switchboard_core::conversations::reassign(&state, &ctx.actor(), display_id, assignee, team).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn labels(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let c = crate::lookup::conversation(&mut conn, &ctx, &path.1).await?;
    Ok(ok(views::Payload { payload: c.labels }))
}

/// Replaces the labels; each addition and removal leaves an activity line.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn set_labels(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<LabelsPayload>,
) -> ApiResult<HttpResponse> {
    let labels = label_list("labels", &body.labels)?;
    let by = views::available_name(&ctx.user).to_string();
    let decide = move |c: &Conversation| {
        let added: Vec<String> = labels.iter().filter(|l| !c.labels.contains(l)).cloned().collect();
        let removed: Vec<String> = c.labels.iter().filter(|l| !labels.contains(l)).cloned().collect();
        let lines = activity::labels(&added, &removed, &by);
        (ConversationChanges { labels: Some(labels), ..Default::default() }, lines)
    };
    let display_id = path_id(&path.1)?;
    let (c, _) = change_one(&state, &ctx.actor(), display_id, Event::ConversationUpdated, decide).await?;
    Ok(ok(views::Payload { payload: c.labels }))
}

#[derive(Deserialize)]
pub struct CustomAttributesPayload {
    custom_attributes: Value,
}
impl Payload for CustomAttributesPayload {}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn custom_attributes(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<CustomAttributesPayload>,
) -> ApiResult<HttpResponse> {
    let custom = switchboard_domain::limits::custom_attributes("custom_attributes", body.custom_attributes)?;
    switchboard_core::custom_attributes::check_in(&state, ctx.account_id, Model::Conversation, &custom).await?;
    let decide = move |_: &Conversation| (ConversationChanges { custom_attributes: Some(custom), ..Default::default() }, vec![]);
    let display_id = path_id(&path.1)?;
    let (c, _) = change_one(&state, &ctx.actor(), display_id, Event::ConversationUpdated, decide).await?;
    Ok(ok(views::CustomAttributes { custom_attributes: c.custom_attributes }))
}

#[derive(Deserialize)]
pub struct TypingPayload {
    typing_status: String,
    #[serde(default)]
    is_private: bool,
}
impl Payload for TypingPayload {}

/// Typing is live-only: nothing is stored (the realtime layer broadcasts it).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn toggle_typing_status(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<TypingPayload>,
) -> ApiResult<HttpResponse> {
    if !matches!(body.typing_status.as_str(), "on" | "off") {
        return Err(ValidationError::new("typing_status", "inclusion", "must be on or off").into());
    }
    let mut conn = state.conn().await?;
    let c = crate::lookup::conversation(&mut conn, &ctx, &path.1).await?;
    let on = body.typing_status == "on";
    switchboard_core::events::typing(
        &state,
        &mut conn,
        &c,
        on,
        body.is_private,
        views::events::Typer::User(views::user_brief(&ctx.user)),
        &ctx.user.pubsub_token,
    )
    .await?;
    Ok(ok(views::TypingToggled { conversation_id: c.display_id, typing_status: body.typing_status, is_private: body.is_private }))
}

/// Marks everything as seen by the agents (and by the assignee, when that is the caller).
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_last_seen(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let me = ctx.user.id;
    let decide = move |c: &Conversation| {
        let changes = ConversationChanges {
            agent_last_seen_at: Some(Some(now)),
            assignee_last_seen_at: (c.assignee_id == Some(me)).then_some(Some(now)),
            ..Default::default()
        };
        (changes, vec![])
    };
    let display_id = path_id(&path.1)?;
    let (c, _) = change_one(&state, &ctx.actor(), display_id, Event::ConversationRead, decide).await?;
    Ok(ok(views::AgentSeen { id: c.display_id, agent_last_seen_at: now.timestamp() }))
}
