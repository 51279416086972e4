//! Rows as stored. Serializers in `api` turn them into the reference's JSON shapes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
pub use switchboard_domain::conversations::MessageType;
pub use switchboard_domain::conversations::SenderType;
pub use switchboard_domain::conversations::Status;
pub use switchboard_domain::inbox::ChannelType;
pub use switchboard_domain::users::Role;
pub use switchboard_domain::whatsapp::Delivery;
pub use switchboard_domain::whatsapp::Provider;

use crate::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub locale: String,
    pub domain: Option<String>,
    pub support_email: Option<String>,
    pub status: String,
    pub limits: Value,
    pub custom_attributes: Value,
    pub settings: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How integrators name the account (`api-login`, `Slug`); unique.
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Default, Insertable, AsChangeset)]
#[diesel(table_name = accounts)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub domain: Option<Option<String>>,
    pub support_email: Option<Option<String>>,
    pub status: Option<String>,
    pub limits: Option<Value>,
    pub custom_attributes: Option<Value>,
    pub settings: Option<Value>,
    pub slug: Option<Option<String>>,
}

/// An integrator's API key of an account (the key itself is never stored).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub key_digest: String,
    pub last_four: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub display_name: Option<String>,
    pub email: String,
    pub password_hash: Option<String>,
    pub pubsub_token: String,
    pub access_token: String,
    pub message_signature: Option<String>,
    pub ui_settings: Value,
    pub custom_attributes: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub name: String,
    pub display_name: Option<String>,
    pub email: String,
    pub password_hash: Option<String>,
    pub pubsub_token: String,
    pub access_token: String,
    pub custom_attributes: Value,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<String>,
    pub display_name: Option<Option<String>>,
    pub email: Option<String>,
    pub password_hash: Option<Option<String>>,
    pub message_signature: Option<Option<String>>,
    pub ui_settings: Option<Value>,
    pub custom_attributes: Option<Value>,
    /// A new socket credential: set with a new password, so open sockets lose their access.
    pub pubsub_token: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_sessions)]
pub struct UserSession {
    pub id: i64,
    pub user_id: i64,
    pub client: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = platform_apps)]
pub struct PlatformApp {
    pub id: i64,
    pub name: String,
    pub access_token: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_users)]
pub struct AccountUser {
    pub id: i64,
    pub account_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub availability: String,
    pub auto_offline: bool,
    pub inviter_id: Option<i64>,
    pub active_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = account_users)]
pub struct NewAccountUser {
    pub account_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub availability: String,
    pub auto_offline: bool,
    pub inviter_id: Option<i64>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = account_users)]
pub struct AccountUserChanges {
    pub role: Option<Role>,
    pub availability: Option<String>,
    pub auto_offline: Option<bool>,
}

/// A user as a member of one account: what the reference calls an agent.
#[derive(Debug, Clone)]
pub struct Agent {
    pub user: User,
    pub member: AccountUser,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inboxes)]
pub struct Inbox {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub channel_type: ChannelType,
    pub inbox_identifier: String,
    pub webhook_url: Option<String>,
    pub hmac_token: String,
    pub hmac_mandatory: bool,
    pub secret: String,
    pub channel_attributes: Value,
    pub greeting_enabled: bool,
    pub greeting_message: Option<String>,
    pub enable_email_collect: bool,
    pub csat_survey_enabled: bool,
    pub enable_auto_assignment: bool,
    pub auto_assignment_config: Value,
    pub working_hours_enabled: bool,
    pub working_hours: Value,
    pub out_of_office_message: Option<String>,
    pub timezone: String,
    pub allow_messages_after_resolved: bool,
    pub lock_to_single_conversation: bool,
    pub sender_name_type: String,
    pub business_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub phone_number: Option<String>,
    pub provider: Option<Provider>,
    pub provider_config: Value,
    pub webhook_token: Option<String>,
    pub message_templates_synced_at: Option<DateTime<Utc>>,
    /// What the BSP last said of the number (`domain::whatsapp_analytics::NumberCheck`).
    pub bsp_number: Option<Value>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = inboxes)]
pub struct NewInbox {
    pub account_id: i64,
    pub name: String,
    pub channel_type: ChannelType,
    pub inbox_identifier: String,
    pub hmac_token: String,
    pub secret: String,
    pub phone_number: Option<String>,
    pub provider: Option<Provider>,
    pub provider_config: Value,
    pub webhook_token: Option<String>,
}

/// Settings shared by create and update; `None` leaves a column as it is (or at its default).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = inboxes)]
pub struct InboxChanges {
    pub name: Option<String>,
    pub webhook_url: Option<Option<String>>,
    pub hmac_mandatory: Option<bool>,
    pub greeting_enabled: Option<bool>,
    pub greeting_message: Option<Option<String>>,
    pub enable_email_collect: Option<bool>,
    pub csat_survey_enabled: Option<bool>,
    pub enable_auto_assignment: Option<bool>,
    pub auto_assignment_config: Option<Value>,
    pub working_hours_enabled: Option<bool>,
    pub working_hours: Option<Value>,
    pub out_of_office_message: Option<Option<String>>,
    pub timezone: Option<String>,
    pub allow_messages_after_resolved: Option<bool>,
    pub lock_to_single_conversation: Option<bool>,
    pub sender_name_type: Option<String>,
    pub business_name: Option<Option<String>>,
    pub provider_config: Option<Value>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub allow_auto_assign: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = teams)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub allow_auto_assign: Option<bool>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = labels)]
pub struct Label {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub color: String,
    pub show_on_sidebar: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = labels)]
pub struct LabelChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub color: Option<String>,
    pub show_on_sidebar: Option<bool>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    pub thumbnail: String,
    pub blocked: bool,
    pub group_type: String,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
    pub labels: Vec<String>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Fields a client sets on create and update; `None` leaves a column alone.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = contacts)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub identifier: Option<Option<String>>,
    pub thumbnail: Option<String>,
    pub blocked: Option<bool>,
    pub group_type: Option<String>,
    pub additional_attributes: Option<Value>,
    pub custom_attributes: Option<Value>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = contact_inboxes)]
pub struct ContactInbox {
    pub id: i64,
    pub contact_id: i64,
    pub inbox_id: i64,
    pub source_id: String,
    pub pubsub_token: String,
    pub hmac_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// WhatsApp groups: when our number left the group (or was removed) in this inbox.
    pub group_left_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = conversations)]
pub struct Conversation {
    pub id: i64,
    pub account_id: i64,
    pub display_id: i64,
    pub inbox_id: i64,
    pub contact_id: i64,
    pub contact_inbox_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub status: Status,
    pub priority: Option<String>,
    pub group_type: String,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub labels: Vec<String>,
    pub uuid: String,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
    pub last_activity_at: DateTime<Utc>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub first_reply_created_at: Option<DateTime<Utc>>,
    pub agent_last_seen_at: Option<DateTime<Utc>>,
    pub assignee_last_seen_at: Option<DateTime<Utc>>,
    pub contact_last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Muted (by automation): stays resolved when its contact writes again.
    pub muted: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = conversations)]
pub struct NewConversation {
    pub account_id: i64,
    pub inbox_id: i64,
    pub contact_id: i64,
    pub contact_inbox_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub status: Status,
    pub priority: Option<String>,
    pub group_type: String,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub uuid: String,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = conversations)]
pub struct ConversationChanges {
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub status: Option<Status>,
    pub priority: Option<Option<String>>,
    pub snoozed_until: Option<Option<DateTime<Utc>>>,
    pub labels: Option<Vec<String>>,
    pub additional_attributes: Option<Value>,
    pub custom_attributes: Option<Value>,
    pub agent_last_seen_at: Option<Option<DateTime<Utc>>>,
    pub assignee_last_seen_at: Option<Option<DateTime<Utc>>>,
    pub muted: Option<bool>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: i64,
    pub account_id: i64,
    pub inbox_id: i64,
    pub conversation_id: i64,
    pub message_type: MessageType,
    pub content: Option<String>,
    pub content_type: String,
    pub content_attributes: Value,
    pub additional_attributes: Value,
    pub private: bool,
    pub status: Delivery,
    pub source_id: Option<String>,
    pub sender_type: Option<SenderType>,
    pub sender_id: Option<i64>,
    pub external_error: Option<String>,
    pub echo_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage {
    pub account_id: i64,
    pub inbox_id: i64,
    pub conversation_id: i64,
    pub message_type: MessageType,
    pub content: Option<String>,
    pub content_type: String,
    pub content_attributes: Value,
    pub additional_attributes: Value,
    pub private: bool,
    pub status: Delivery,
    pub source_id: Option<String>,
    pub sender_type: Option<SenderType>,
    pub sender_id: Option<i64>,
    pub echo_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i64,
    pub account_id: i64,
    pub message_id: i64,
    pub file_type: String,
    pub content_type: String,
    pub file_name: String,
    pub file_size: i64,
    pub storage_key: Option<String>,
    pub external_url: Option<String>,
    pub meta: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment {
    pub account_id: i64,
    pub message_id: i64,
    pub file_type: String,
    pub content_type: String,
    pub file_name: String,
    pub file_size: i64,
    pub storage_key: Option<String>,
    pub external_url: Option<String>,
    pub meta: Value,
}

impl NewMessage {
    /// A plain text message in `conversation` (activity lines, replies, notes); callers adjust
    /// the rest before inserting.
    pub fn text(
        conversation: &Conversation,
        message_type: MessageType,
        content: Option<String>,
        sender: Option<(SenderType, i64)>,
    ) -> Self {
        Self {
            account_id: conversation.account_id,
            inbox_id: conversation.inbox_id,
            conversation_id: conversation.id,
            message_type,
            content,
            content_type: "text".into(),
            content_attributes: Value::Object(Default::default()),
            additional_attributes: Value::Object(Default::default()),
            private: false,
            status: Delivery::Sent,
            source_id: None,
            sender_type: sender.map(|(kind, _)| kind),
            sender_id: sender.map(|(_, id)| id),
            echo_id: None,
            created_at: Utc::now(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = message_templates)]
pub struct MessageTemplate {
    pub id: i64,
    pub account_id: i64,
    pub inbox_id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub previous_category: Option<String>,
    pub reason: Option<String>,
    pub components: Value,
    pub metrics: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A template as the BSP lists it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = message_templates)]
pub struct NewMessageTemplate {
    pub account_id: i64,
    pub inbox_id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub components: Value,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Set while an attempt is under way; still set when claimed, the last attempt's outcome
    /// was never recorded.
    pub started_at: Option<DateTime<Utc>>,
    /// Set when the job can never run (`jobs::bury`); a dead job is never claimed.
    pub dead_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub user_id: i64,
    pub notification_type: String,
    pub conversation_id: i64,
    pub secondary_actor_type: Option<String>,
    pub secondary_actor_id: Option<i64>,
    pub read_at: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification {
    pub account_id: i64,
    pub user_id: i64,
    pub notification_type: String,
    pub conversation_id: i64,
    pub secondary_actor_type: Option<String>,
    pub secondary_actor_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = crate::schema::group_members)]
pub struct GroupMember {
    pub id: i64,
    pub account_id: i64,
    pub group_contact_id: i64,
    pub contact_id: i64,
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An outgoing webhook: an account's (`inbox_id` None) or an API inbox's callback.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub account_id: i64,
    pub inbox_id: Option<i64>,
    pub name: Option<String>,
    pub url: String,
    pub subscriptions: Vec<String>,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set on an agent bot's endpoint for one inbox (`inbox_id`).
    pub agent_bot_id: Option<i64>,
    /// Set on an automation rule's `send_webhook_event` URL: no event subscribes to it.
    pub automation_rule_id: Option<i64>,
    /// The same for a macro's.
    pub macro_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct WebhookDelivery {
    pub id: i64,
    pub account_id: i64,
    pub webhook_id: i64,
    pub seq: i64,
    pub event: String,
    pub ordering_key: Option<String>,
    pub uuid: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// An attempt is under way until then.
    pub attempt_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct WebhookAttempt {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
    pub next_retry_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agent_bots)]
pub struct AgentBot {
    pub id: i64,
    /// None: a system bot, made by a platform app.
    pub account_id: Option<i64>,
    pub name: String,
    pub description: Option<String>,
    pub outgoing_url: Option<String>,
    pub bot_type: String,
    pub bot_config: Value,
    pub avatar_url: Option<String>,
    pub access_token: String,
    pub secret: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = csat_survey_responses)]
pub struct CsatResponse {
    pub id: i64,
    pub account_id: i64,
    pub inbox_id: i64,
    pub conversation_id: i64,
    pub message_id: i64,
    pub contact_id: i64,
    pub assigned_agent_id: Option<i64>,
    pub rating: i16,
    pub feedback_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = canned_responses)]
pub struct CannedResponse {
    pub id: i64,
    pub account_id: i64,
    pub short_code: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = custom_attribute_definitions)]
pub struct AttributeDefinition {
    pub id: i64,
    pub account_id: i64,
    pub attribute_display_name: String,
    pub attribute_key: String,
    pub attribute_description: Option<String>,
    pub attribute_display_type: String,
    pub attribute_model: String,
    pub attribute_values: Value,
    pub regex_pattern: Option<String>,
    pub regex_cue: Option<String>,
    pub default_value: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Insertable, AsChangeset)]
#[diesel(table_name = custom_attribute_definitions)]
pub struct AttributeDefinitionFields {
    pub attribute_display_name: Option<String>,
    pub attribute_key: Option<String>,
    pub attribute_description: Option<Option<String>>,
    pub attribute_display_type: Option<String>,
    pub attribute_model: Option<String>,
    pub attribute_values: Option<Value>,
    pub regex_pattern: Option<Option<String>>,
    pub regex_cue: Option<Option<String>>,
    pub default_value: Option<Option<Value>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = custom_filters)]
pub struct CustomFilter {
    pub id: i64,
    pub account_id: i64,
    pub user_id: i64,
    pub name: String,
    pub filter_type: String,
    pub query: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = automation_rules)]
pub struct AutomationRule {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub description: String,
    pub event_name: String,
    pub conditions: Value,
    pub actions: Value,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = automation_rule_runs)]
pub struct AutomationRuleRun {
    pub id: i64,
    pub account_id: i64,
    pub rule_id: i64,
    pub seq: i64,
    pub event_name: String,
    pub conversation_id: Option<i64>,
    pub depth: i16,
    pub conditions: Value,
    pub actions: Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = uploads)]
pub struct Upload {
    pub id: i64,
    pub account_id: i64,
    pub storage_key: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_logs)]
pub struct AuditLog {
    pub id: i64,
    pub account_id: i64,
    pub auditable_type: String,
    pub auditable_id: Option<i64>,
    pub action: String,
    pub user_id: Option<i64>,
    pub user_type: Option<String>,
    pub username: Option<String>,
    pub audited_changes: Value,
    pub remote_address: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_logs)]
pub struct NewAuditLog {
    pub account_id: i64,
    pub auditable_type: String,
    pub auditable_id: Option<i64>,
    pub action: String,
    pub user_id: Option<i64>,
    pub user_type: Option<String>,
    pub username: Option<String>,
    pub audited_changes: Value,
    pub remote_address: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = macros)]
pub struct Macro {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub visibility: String,
    pub created_by_id: Option<i64>,
    pub updated_by_id: Option<i64>,
    pub actions: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scheduled_messages)]
pub struct ScheduledMessage {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    pub inbox_id: i64,
    pub author_id: Option<i64>,
    pub content: Option<String>,
    pub template_params: Option<Value>,
    pub upload_id: Option<i64>,
    pub status: String,
    pub scheduled_at: DateTime<Utc>,
    pub recurrence: Option<Value>,
    pub sends: i32,
    pub cancel_on_reply: bool,
    pub message_id: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A scheduled message's fields as written by create and update.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = scheduled_messages, treat_none_as_null = true)]
pub struct ScheduledFields {
    pub content: Option<String>,
    pub template_params: Option<Value>,
    pub upload_id: Option<i64>,
    pub status: String,
    pub scheduled_at: DateTime<Utc>,
    pub recurrence: Option<Value>,
    pub cancel_on_reply: bool,
}
