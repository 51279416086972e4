//! HTTP handlers, one module per resource (parse, run, present), and the helpers they share.

pub mod accounts;
pub mod agent_bots;
pub mod agents;
pub mod api_keys;
pub mod attachments;
pub mod audit_logs;
pub mod auth;
pub mod automation_rules;
pub mod avatars;
pub mod canned_responses;
pub mod contacts;
pub mod conversations;
pub mod csat;
pub mod custom_attribute_definitions;
pub mod custom_filters;
pub mod groups;
pub mod health;
pub mod help_center;
pub mod inbox_members;
pub mod inboxes;
pub mod integration_hooks;
pub mod integrations;
pub mod labels;
pub mod macros;
pub mod messages;
pub mod notifications;
pub mod platform_accounts;
pub mod platform_users;
pub mod profile;
pub mod public;
pub mod reports;
pub mod retailer;
pub mod scheduled_messages;
pub mod team_members;
pub mod teams;
pub mod webhooks;
pub mod whatsapp;

use actix_web::HttpResponse;

/// A 200 with the body in the shape its view (`switchboard_core::views`) gives it.
pub(crate) fn ok(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// Searches and filters scan many rows: each user may run `searches_per_minute` of them.
pub(crate) async fn search_allowed(
    state: &switchboard_core::state::AppState,
    ctx: &crate::auth::AccountCtx,
) -> crate::error::ApiResult<()> {
    let key = format!("switchboard:search:{}", ctx.user.id);
    if state.searches.take(&key, state.settings.searches_per_minute).await {
        Ok(())
    } else {
        Err(crate::error::ApiError::TooManyRequests { retry_after_secs: 60 })
    }
}

/// Path ids that are not positive integers name nothing.
pub(crate) fn path_id(raw: &str) -> crate::error::ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|v| *v > 0).ok_or(crate::error::ApiError::NotFound)
}

/// A JSON object for jsonb columns; anything else is refused naming the field.
pub(crate) fn object(field: &str, v: serde_json::Value) -> Result<serde_json::Value, switchboard_domain::ValidationError> {
    if v.is_object() {
        Ok(v)
    } else {
        Err(switchboard_domain::ValidationError::invalid(field, "must be a JSON object"))
    }
}

/// `{labels: [...]}`: the new label set of a contact or conversation.
#[derive(serde::Deserialize)]
pub struct LabelsPayload {
    pub(crate) labels: Vec<String>,
}
impl crate::extract::Payload for LabelsPayload {}

/// `{payload: [conditions]}` of the `POST …/filter` endpoints.
#[derive(serde::Deserialize)]
pub struct FilterPayload {
    payload: Vec<switchboard_domain::filters::RawCondition>,
}
impl crate::extract::Payload for FilterPayload {}

impl FilterPayload {
    /// Checks the conditions against the attributes the model knows, the account's defined
    /// custom attributes with their types.
    pub(crate) async fn parse(
        &self,
        state: &switchboard_core::state::AppState,
        account_id: i64,
        model: switchboard_domain::custom_attributes::Model,
    ) -> Result<switchboard_domain::filters::Groups, switchboard_core::error::CoreError> {
        let mut conn = state.conn().await?;
        switchboard_core::custom_attributes::parse_conditions(&mut conn, account_id, model, &self.payload).await
    }
}
