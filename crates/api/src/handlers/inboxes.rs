//! `/api/v1/accounts/{account_id}/inboxes`. Agents see only the inboxes they are members of.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::contacts::phone_number;
use switchboard_domain::inbox::{default_working_hours, sender_name_type, validate_working_hours, ChannelType, WorkingDay};
use switchboard_domain::text::{http_url, optional_text, required_name};
use switchboard_domain::whatsapp::{ChannelConfig, Provider};
use switchboard_domain::ValidationError;
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{Inbox, InboxChanges, NewInbox};
use switchboard_store::AsyncPgConnection;

use super::{object, ok, path_id};
use crate::auth::{random_token, AccountCtx};
use crate::error::{ApiError, ApiResult};
use crate::extract::{nullable, Body, Params, Payload};
use switchboard_core::present;
use switchboard_core::state::AppState;
use switchboard_core::views;

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let inboxes = switchboard_store::inboxes::list(&mut conn, ctx.account_id, ctx.inbox_visibility()).await?;
    let shown = present::inboxes(&state, &mut conn, &inboxes, ctx.role.can_administer()).await?;
    Ok(ok(views::Payload { payload: shown }))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    let mut conn = state.conn().await?;
    let inbox = crate::lookup::inbox(&mut conn, &ctx, id, ctx.inbox_visibility()).await?;
    render(&state, &mut conn, &inbox, ctx.role.can_administer()).await
}

async fn render(state: &AppState, conn: &mut AsyncPgConnection, inbox: &Inbox, admin: bool) -> ApiResult<HttpResponse> {
    Ok(ok(present::inbox(state, conn, inbox, admin).await?))
}

#[derive(Deserialize, Default)]
pub struct ChannelPayload {
    r#type: Option<String>,
    phone_number: Option<String>,
    provider: Option<String>,
    provider_config: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    webhook_url: Option<Option<String>>,
    hmac_mandatory: Option<bool>,
}

#[derive(Deserialize)]
pub struct InboxPayload {
    name: Option<String>,
    channel: Option<ChannelPayload>,
    greeting_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    greeting_message: Option<Option<String>>,
    enable_email_collect: Option<bool>,
    csat_survey_enabled: Option<bool>,
    enable_auto_assignment: Option<bool>,
    auto_assignment_config: Option<Value>,
    working_hours_enabled: Option<bool>,
    working_hours: Option<Vec<WorkingDay>>,
    #[serde(default, deserialize_with = "nullable")]
    out_of_office_message: Option<Option<String>>,
    timezone: Option<String>,
    allow_messages_after_resolved: Option<bool>,
    lock_to_single_conversation: Option<bool>,
    sender_name_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    business_name: Option<Option<String>>,
}
impl Payload for InboxPayload {
    const WRAPPER: Option<&'static str> = Some("inbox");
}

impl InboxPayload {
    fn changes(self) -> Result<InboxChanges, ValidationError> {
        let channel = self.channel.unwrap_or_default();
        let webhook_url = match channel.webhook_url {
            None => None,
            Some(None) => Some(None),
            Some(Some(u)) if u.trim().is_empty() => Some(None),
            Some(Some(u)) => Some(Some(http_url("channel.webhook_url", &u)?)),
        };
        if let Some(days) = &self.working_hours {
            validate_working_hours("working_hours", days)?;
        }
        Ok(InboxChanges {
            name: self.name.as_deref().map(|n| required_name("name", n)).transpose()?,
            webhook_url,
            hmac_mandatory: channel.hmac_mandatory,
            greeting_enabled: self.greeting_enabled,
            greeting_message: self.greeting_message.map(|m| optional_text("greeting_message", m.as_deref(), 10_000)).transpose()?,
            enable_email_collect: self.enable_email_collect,
            csat_survey_enabled: self.csat_survey_enabled,
            enable_auto_assignment: self.enable_auto_assignment,
            auto_assignment_config: self.auto_assignment_config.map(|v| object("auto_assignment_config", v)).transpose()?,
            working_hours_enabled: self.working_hours_enabled,
            working_hours: self.working_hours.map(|d| json!(d)),
            out_of_office_message: self
                .out_of_office_message
                .map(|m| optional_text("out_of_office_message", m.as_deref(), 10_000))
                .transpose()?,
            timezone: self.timezone.as_deref().map(|t| required_name("timezone", t)).transpose()?,
            allow_messages_after_resolved: self.allow_messages_after_resolved,
            lock_to_single_conversation: self.lock_to_single_conversation,
            sender_name_type: self.sender_name_type.as_deref().map(|s| sender_name_type("sender_name_type", s)).transpose()?,
            business_name: self.business_name.map(|m| optional_text("business_name", m.as_deref(), 255)).transpose()?,
            provider_config: None,
        })
    }
}

/// A WhatsApp channel's number, provider and checked provider config.
fn whatsapp_channel(channel: Option<&ChannelPayload>) -> Result<(String, ChannelConfig), ValidationError> {
    let channel = channel.ok_or_else(|| ValidationError::blank("channel"))?;
    let phone = channel.phone_number.as_deref().ok_or_else(|| ValidationError::blank("channel.phone_number"))?;
    let phone = phone_number("channel.phone_number", phone)?;
    let provider = Provider::parse("channel.provider", channel.provider.as_deref().unwrap_or("aldeamo"))?;
    let config = ChannelConfig::parse(provider, "channel.provider_config", channel.provider_config.as_ref(), &random_token(24))?;
    Ok((phone, config))
}

/// The provider's address must not be a private or local one (SSRF), as DNS says now; every
/// connection checks it again.
async fn outbound_allowed(state: &AppState, config: &ChannelConfig) -> Result<(), ValidationError> {
    let (key, url) = config.endpoint();
    state.check_outbound_url(&format!("channel.provider_config.{key}"), url).await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<InboxPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let name = required_name("name", body.name.as_deref().unwrap_or_default())?;
    let kind = body.channel.as_ref().and_then(|c| c.r#type.as_deref()).ok_or_else(|| ValidationError::blank("channel.type"))?;
    let channel_type = ChannelType::parse("channel.type", kind)?;
    let whatsapp = match channel_type {
        ChannelType::Whatsapp => Some(whatsapp_channel(body.channel.as_ref())?),
        ChannelType::Api => None,
    };
    let mut changes = body.changes()?;
    if changes.working_hours.is_none() {
        changes.working_hours = Some(json!(default_working_hours()));
    }
    if let Some((_, config)) = &whatsapp {
        outbound_allowed(&state, config).await?;
    }
    let webhook_token = whatsapp.as_ref().map(|_| random_token(24));
    if let (Some((phone, config)), Some(token)) = (&whatsapp, &webhook_token) {
        // The provider's connection comes first: an inbox it refuses would never hear anything.
        switchboard_core::channel::connect(&state, config, phone, &name, token).await?;
    }
    let provider = whatsapp.as_ref().map(|(_, c)| c.provider());
    let (phone_number, provider_config) = match &whatsapp {
        Some((phone, config)) => (Some(phone.clone()), config.stored()),
        None => (None, Value::Object(Default::default())),
    };
    let new = NewInbox {
        account_id: ctx.account_id,
        name,
        channel_type,
        inbox_identifier: random_token(12),
        hmac_token: random_token(16),
        secret: random_token(16),
        phone_number,
        provider,
        provider_config,
        webhook_token,
    };
    let inbox = switchboard_core::inboxes::create(&state, &ctx.actor(), &new, &changes).await?;
    if whatsapp.is_some() {
        switchboard_core::channel::templates::first_sync(&state, &inbox).await;
    }
    let mut conn = state.conn().await?;
    render(&state, &mut conn, &inbox, true).await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<InboxPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    if body.channel.as_ref().and_then(|c| c.r#type.as_deref()).is_some() {
        return Err(ValidationError::invalid("channel.type", "cannot be changed").into());
    }
    let submitted_config = body.channel.as_ref().and_then(|c| c.provider_config.clone());
    let mut changes = body.changes()?;
    let mut conn = state.conn().await?;
    if let Some(raw) = submitted_config {
        let field = "channel.provider_config";
        let inbox = crate::lookup::inbox(&mut conn, &ctx, id, Visibility::All).await?;
        if inbox.channel_type != ChannelType::Whatsapp {
            return Err(ValidationError::invalid(field, "only WhatsApp inboxes have a provider config").into());
        }
        let current = ChannelConfig::from_stored(inbox.provider, &inbox.provider_config)
            .ok_or_else(|| ApiError::internal(format!("inbox {} has no valid provider config", inbox.id)))?;
        let updated = current.updated(field, &raw)?;
        outbound_allowed(&state, &updated).await?;
        changes.provider_config = Some(updated.stored());
    }
    let inbox = switchboard_core::inboxes::update(&state, &ctx.actor(), id, &changes).await?;
    render(&state, &mut conn, &inbox, true).await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.1)?;
    let mut conn = state.conn().await?;
    let inbox = crate::lookup::inbox(&mut conn, &ctx, id, Visibility::All).await?;
    // A connected number is disconnected at its provider first, so it stops posting to a webhook
    // that is gone; `force=true` deletes even when the provider cannot be reached.
    if let Err(e) = switchboard_core::channel::disconnect(&state, &inbox).await {
        if params.str("force") != Some("true") {
            return Err(e.into());
        }
        tracing::warn!(inbox_id = id, error = %e, "deleting the inbox without disconnecting it at the provider");
    }
    switchboard_core::inboxes::delete(&state, &ctx.actor(), &inbox).await?;
    Ok(ok(views::Said { message: "Inbox deleted" }))
}
