//! The public client API (`/public/api/v1/inboxes/{inbox_identifier}/…`): what chat widgets and
//! client SDKs call with an API inbox's identifier and a contact's `source_id`, no user token.
//! Every request is counted against the caller's IP and the inbox (`PUBLIC_REQUESTS_PER_MINUTE_*`,
//! shared through Redis by every process), then parsed and handed to `switchboard_core::public`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload as HttpPayload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_core::messages::StoredFile;
use switchboard_core::public::{self, ContactInput, Visitor};
use switchboard_core::state::AppState;
use switchboard_core::views;
use switchboard_domain::text::optional_text;
use switchboard_domain::users::Email;
use switchboard_domain::ValidationError;
use switchboard_store::models::{ContactChanges, Inbox};

use super::{ok, path_id};
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, Params, Payload};
use crate::limits::public as limit;

fn state(req: &HttpRequest) -> ApiResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::internal("app state missing"))
}

/// The API inbox named by `{inbox_identifier}` (404 for any other), after the rate limits.
pub struct PublicInbox(pub Inbox);

impl FromRequest for PublicInbox {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let identifier = req.match_info().get("inbox_identifier").unwrap_or_default().to_string();
            limit(&state, &req, &identifier).await?;
            Ok(PublicInbox(public::inbox(&state, &identifier).await?))
        })
    }
}

/// The contact named by `{contact_identifier}` (its `source_id`) in that inbox, after the rate
/// limits: another inbox's, another account's or a made-up one is a 404.
pub struct PublicVisitor(pub Visitor);

impl FromRequest for PublicVisitor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let identifier = req.match_info().get("inbox_identifier").unwrap_or_default().to_string();
            let source_id = req.match_info().get("contact_identifier").unwrap_or_default().to_string();
            limit(&state, &req, &identifier).await?;
            Ok(PublicVisitor(public::visitor(&state, &identifier, &source_id).await?))
        })
    }
}

/// `{…, conversation_id}` paths: the conversation's display id.
fn conversation_id(req: &HttpRequest) -> ApiResult<i64> {
    path_id(req.match_info().get("conversation_id").unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPayload {
    #[serde(default, deserialize_with = "nullable")]
    identifier: Option<Option<String>>,
    identifier_hash: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    avatar_url: Option<String>,
    custom_attributes: Option<Value>,
}
impl Payload for ContactPayload {
    const WRAPPER: Option<&'static str> = Some("contact");
}

fn contact_input(p: ContactPayload) -> ApiResult<ContactInput> {
    let name =
        p.name.map(|n| optional_text("name", Some(&n), switchboard_domain::text::NAME_MAX).map(Option::unwrap_or_default)).transpose()?;
    let email = match p.email {
        Some(Some(e)) if !e.trim().is_empty() => Some(Some(Email::parse("email", &e)?.as_str().to_string())),
        Some(_) => Some(None),
        None => None,
    };
    let phone_number = p.phone_number.map(|n| optional_text("phone_number", n.as_deref(), 32)).transpose()?;
    let thumbnail = p.avatar_url.map(|u| switchboard_domain::text::http_url("avatar_url", &u)).transpose()?;
    let custom_attributes =
        p.custom_attributes.map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v)).transpose()?;
    let identifier = p.identifier.flatten().map(|i| optional_text("identifier", Some(&i), 255)).transpose()?.flatten();
    Ok(ContactInput {
        identifier,
        identifier_hash: p.identifier_hash,
        fields: ContactChanges { name, email, phone_number, thumbnail, custom_attributes, ..Default::default() },
    })
}

#[tracing::instrument(skip_all)]
pub async fn inbox(PublicInbox(inbox): PublicInbox) -> ApiResult<HttpResponse> {
    Ok(ok(switchboard_core::views::public::widget_inbox(&inbox)))
}

#[tracing::instrument(skip_all)]
pub async fn create_contact(
    state: web::Data<AppState>,
    PublicInbox(inbox): PublicInbox,
    Body(body): Body<ContactPayload>,
) -> ApiResult<HttpResponse> {
    Ok(ok(public::create_contact(&state, &inbox, contact_input(body)?).await?))
}

#[tracing::instrument(skip_all)]
pub async fn contact(PublicVisitor(v): PublicVisitor) -> ApiResult<HttpResponse> {
    Ok(ok(switchboard_core::views::public::own_contact(&v.contact, &v.identity)))
}

#[tracing::instrument(skip_all)]
pub async fn update_contact(
    state: web::Data<AppState>,
    PublicVisitor(v): PublicVisitor,
    Body(body): Body<ContactPayload>,
) -> ApiResult<HttpResponse> {
    Ok(ok(public::update_contact(&state, &v, contact_input(body)?).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConversationPayload {
    custom_attributes: Option<Value>,
}
impl Payload for ConversationPayload {}

#[tracing::instrument(skip_all)]
pub async fn create_conversation(
    state: web::Data<AppState>,
    PublicVisitor(v): PublicVisitor,
    Body(body): Body<ConversationPayload>,
) -> ApiResult<HttpResponse> {
    let custom = body
        .custom_attributes
        .map(|v| switchboard_domain::limits::custom_attributes("custom_attributes", v))
        .transpose()?
        .unwrap_or_else(|| json!({}));
    Ok(ok(public::open(&state, &v, custom).await?))
}

#[tracing::instrument(skip_all)]
pub async fn conversations(state: web::Data<AppState>, PublicVisitor(v): PublicVisitor) -> ApiResult<HttpResponse> {
    Ok(ok(public::conversations(&state, &v).await?))
}

#[tracing::instrument(skip_all)]
pub async fn conversation(state: web::Data<AppState>, PublicVisitor(v): PublicVisitor, req: HttpRequest) -> ApiResult<HttpResponse> {
    Ok(ok(public::conversation(&state, &v, conversation_id(&req)?).await?))
}

#[tracing::instrument(skip_all)]
pub async fn toggle_status(state: web::Data<AppState>, PublicVisitor(v): PublicVisitor, req: HttpRequest) -> ApiResult<HttpResponse> {
    Ok(ok(public::resolve(&state, &v, conversation_id(&req)?).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypingPayload {
    typing_status: Option<String>,
}
impl Payload for TypingPayload {}

#[tracing::instrument(skip_all)]
pub async fn toggle_typing(
    state: web::Data<AppState>,
    PublicVisitor(v): PublicVisitor,
    req: HttpRequest,
    Body(body): Body<TypingPayload>,
) -> ApiResult<HttpResponse> {
    let on = match body.typing_status.as_deref().map(str::trim) {
        Some("on" | "recording") => true,
        Some("off") => false,
        _ => return Err(ValidationError::invalid("typing_status", "must be on, recording or off").into()),
    };
    public::typing(&state, &v, conversation_id(&req)?, on).await?;
    Ok(ok(views::Empty {}))
}

#[tracing::instrument(skip_all)]
pub async fn update_last_seen(state: web::Data<AppState>, PublicVisitor(v): PublicVisitor, req: HttpRequest) -> ApiResult<HttpResponse> {
    Ok(ok(public::seen(&state, &v, conversation_id(&req)?).await?))
}

#[tracing::instrument(skip_all)]
pub async fn messages(
    state: web::Data<AppState>,
    PublicVisitor(v): PublicVisitor,
    req: HttpRequest,
    params: Params,
) -> ApiResult<HttpResponse> {
    let before = params.int("before").filter(|b| *b > 0);
    Ok(ok(public::messages(&state, &v, conversation_id(&req)?, before).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagePayload {
    content: Option<String>,
    echo_id: Option<String>,
}
impl Payload for MessagePayload {
    const WRAPPER: Option<&'static str> = Some("message");
}

/// Text, or files as a multipart form (`attachments[]`) with the agent API's limits.
#[tracing::instrument(skip_all)]
pub async fn create_message(
    state: web::Data<AppState>,
    PublicVisitor(v): PublicVisitor,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let display_id = conversation_id(&req)?;
    let mut uploads = Vec::new();
    let result = async {
        let body = crate::form::message_body::<MessagePayload>(&state, v.inbox.account_id, req, payload, &mut uploads).await?;
        let files: Vec<StoredFile> = uploads.iter().map(|u| u.stored(false)).collect();
        Ok(ok(public::say(&state, &v, display_id, body.content, body.echo_id, &files).await?))
    }
    .await;
    crate::form::discard_on_error(&state, &result, &uploads).await;
    result
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitPayload {
    submitted_values: Option<Value>,
}
impl Payload for SubmitPayload {
    const WRAPPER: Option<&'static str> = Some("message");
}

#[tracing::instrument(skip_all)]
pub async fn update_message(
    state: web::Data<AppState>,
    PublicVisitor(v): PublicVisitor,
    req: HttpRequest,
    Body(body): Body<SubmitPayload>,
) -> ApiResult<HttpResponse> {
    let message_id = path_id(req.match_info().get("message_id").unwrap_or_default())?;
    let values = body.submitted_values.ok_or_else(|| ValidationError::blank("submitted_values"))?;
    Ok(ok(public::submit(&state, &v, conversation_id(&req)?, message_id, values).await?))
}

/// `GET /survey/responses/{conversation_uuid}`: a survey page's data (the latest survey of the
/// conversation and its answer), counted against the caller's address like every public route.
#[tracing::instrument(skip_all)]
pub async fn survey(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> ApiResult<HttpResponse> {
    limit(&state, &req, "survey").await?;
    Ok(ok(switchboard_core::csat::page(&state, &path).await?))
}
