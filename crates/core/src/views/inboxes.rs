//! Inboxes: the reference's fields for every channel, what a WhatsApp inbox adds (its number,
//! provider, templates and what the BSP said of the number), and what only administrators see
//! (secrets, the masked provider config, the webhook URL and the callback endpoint's state).

use serde::Serialize;
use serde_json::Value;
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::whatsapp::{ChannelConfig, Provider};
use switchboard_domain::whatsapp_analytics::NumberCheck;
use switchboard_store::models::{self as rows, Webhook};

use super::seconds;

/// A template as the dashboard's template picker reads it (the BSP's own shape).
#[derive(Debug, Clone, Serialize)]
pub struct MessageTemplate {
    pub id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub previous_category: Option<String>,
    pub rejected_reason: Option<String>,
    pub components: Value,
    pub quality_metrics: Option<Value>,
    pub updated_at: i64,
}

pub fn message_template(t: &rows::MessageTemplate) -> MessageTemplate {
    MessageTemplate {
        id: t.external_id.clone(),
        name: t.name.clone(),
        language: t.language.clone(),
        status: t.status.clone(),
        category: t.category.clone(),
        previous_category: t.previous_category.clone(),
        rejected_reason: t.reason.clone(),
        components: t.components.clone(),
        quality_metrics: t.metrics.clone(),
        updated_at: t.updated_at.timestamp(),
    }
}

/// The channel's secrets, which administrators see as in the reference.
#[derive(Debug, Clone, Serialize)]
pub struct Secrets {
    pub hmac_token: String,
    pub secret: String,
}

/// Where an API inbox's callback endpoint stands: its delivery log is
/// `GET …/webhooks/{callback_webhook.id}/deliveries`.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackWebhook {
    pub id: i64,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
}

/// When the BSP was last asked about the number, and why that failed (administrators).
#[derive(Debug, Clone, Serialize)]
pub struct NumberLook {
    pub phone_number_checked_at: Option<i64>,
    pub phone_number_check_error: Option<String>,
}

/// What the BSP's getPhoneNumbers last said of the number: null until it was asked (it needs
/// the analytics token).
#[derive(Debug, Clone, Serialize)]
pub struct BspNumber {
    pub verified_name: Option<String>,
    pub display_phone_number: Option<String>,
    pub quality_rating: Option<String>,
    pub code_verification_status: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub look: Option<NumberLook>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub id: i64,
    pub account_id: i64,
    pub avatar_url: &'static str,
    pub channel_id: i64,
    pub name: String,
    pub channel_type: &'static str,
    pub greeting_enabled: bool,
    pub greeting_message: Option<String>,
    pub working_hours_enabled: bool,
    pub enable_email_collect: bool,
    pub csat_survey_enabled: bool,
    pub enable_auto_assignment: bool,
    pub auto_assignment_config: Value,
    pub out_of_office_message: Option<String>,
    pub working_hours: Value,
    pub timezone: String,
    pub callback_webhook_url: Option<String>,
    pub allow_messages_after_resolved: bool,
    pub lock_to_single_conversation: bool,
    pub sender_name_type: String,
    pub business_name: Option<String>,
    pub widget_color: Option<String>,
    pub website_url: Option<String>,
    pub website_token: Option<String>,
    pub hmac_mandatory: bool,
    pub selected_feature_flags: Option<Value>,
    pub reply_time: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub phone_number: Option<String>,
    pub medium: Option<String>,
    pub provider: Option<Provider>,
    pub webhook_url: Option<String>,
    pub inbox_identifier: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Secrets>,
    /// API inboxes, administrators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_webhook: Option<Option<CallbackWebhook>>,
    /// WhatsApp inboxes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_templates: Option<Vec<MessageTemplate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_templates_last_updated: Option<Option<i64>>,
    /// Providers that reach groups: whether group messages are stored or only summarized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_enabled: Option<bool>,
    /// Providers with templates (the BSP).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub bsp_number: Option<BspNumber>,
    /// WhatsApp inboxes, administrators only: the provider config with its secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<Value>,
}

/// The inbox with the reference's fields only.
pub fn inbox(i: &rows::Inbox, admin: bool) -> Inbox {
    Inbox {
        id: i.id,
        account_id: i.account_id,
        avatar_url: "",
        channel_id: i.id,
        name: i.name.clone(),
        channel_type: i.channel_type.reference_name(),
        greeting_enabled: i.greeting_enabled,
        greeting_message: i.greeting_message.clone(),
        working_hours_enabled: i.working_hours_enabled,
        enable_email_collect: i.enable_email_collect,
        csat_survey_enabled: i.csat_survey_enabled,
        enable_auto_assignment: i.enable_auto_assignment,
        auto_assignment_config: i.auto_assignment_config.clone(),
        out_of_office_message: i.out_of_office_message.clone(),
        working_hours: i.working_hours.clone(),
        timezone: i.timezone.clone(),
        callback_webhook_url: None,
        allow_messages_after_resolved: i.allow_messages_after_resolved,
        lock_to_single_conversation: i.lock_to_single_conversation,
        sender_name_type: i.sender_name_type.clone(),
        business_name: i.business_name.clone(),
        widget_color: None,
        website_url: None,
        website_token: None,
        hmac_mandatory: i.hmac_mandatory,
        selected_feature_flags: None,
        reply_time: None,
        messaging_service_sid: None,
        phone_number: None,
        medium: None,
        provider: None,
        webhook_url: i.webhook_url.clone(),
        inbox_identifier: i.inbox_identifier.clone(),
        secrets: admin.then(|| Secrets { hmac_token: i.hmac_token.clone(), secret: i.secret.clone() }),
        callback_webhook: None,
        message_templates: None,
        message_templates_last_updated: None,
        groups_enabled: None,
        bsp_number: None,
        provider_config: None,
    }
}

/// The inbox; WhatsApp inboxes add their number, provider, masked config, the webhook URL the
/// BSP must call (administrators only), and their templates.
/// `groups_enabled`: whether Baileys inboxes get group messages (`WHATSAPP_GROUPS_ENABLED`) or
/// only activity summaries.
/// `callbacks`: API inboxes' callback endpoints, whose state administrators see.
pub fn inbox_with(
    i: &rows::Inbox,
    admin: bool,
    public_url: &str,
    templates: &[rows::MessageTemplate],
    groups_enabled: bool,
    callbacks: &[Webhook],
) -> Inbox {
    let mut v = inbox(i, admin);
    if admin && i.channel_type == ChannelType::Api {
        v.callback_webhook = Some(callbacks.iter().find(|w| w.inbox_id == Some(i.id)).map(|w| CallbackWebhook {
            id: w.id,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason.clone(),
            failing_since: seconds(w.failing_since),
        }));
    }
    if i.channel_type == ChannelType::Whatsapp {
        v.phone_number = i.phone_number.clone();
        v.provider = i.provider;
        // The URL holds the webhook's secret: whoever knows it can post inbound messages.
        let webhook = i.webhook_token.as_ref().filter(|_| admin);
        v.webhook_url = webhook.map(|t| format!("{}/webhooks/whatsapp/{t}", public_url.trim_end_matches('/')));
        v.message_templates = Some(templates.iter().filter(|t| t.inbox_id == i.id).map(message_template).collect());
        v.message_templates_last_updated = Some(seconds(i.message_templates_synced_at));
        let can = Provider::of(i.provider).capabilities();
        if can.groups {
            v.groups_enabled = Some(groups_enabled);
        }
        if can.templates {
            v.bsp_number = Some(bsp_number(i, admin));
        }
        if admin {
            let config = ChannelConfig::from_stored(i.provider, &i.provider_config).map(|c| c.masked());
            v.provider_config = Some(config.unwrap_or_else(|| Value::Object(Default::default())));
        }
    }
    v
}

fn bsp_number(i: &rows::Inbox, admin: bool) -> BspNumber {
    let check: NumberCheck = i.bsp_number.clone().and_then(|n| serde_json::from_value(n).ok()).unwrap_or_default();
    BspNumber {
        verified_name: check.details.verified_name,
        display_phone_number: check.details.display_phone_number,
        quality_rating: check.details.quality_rating,
        code_verification_status: check.details.code_verification_status,
        look: admin.then(|| NumberLook { phone_number_checked_at: seconds(check.checked_at), phone_number_check_error: check.error }),
    }
}
