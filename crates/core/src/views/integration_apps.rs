//! The Integrations tag's apps and hooks as the API lists them.

use serde::Serialize;

use super::webhooks::WebhookView;

/// An app as `GET …/integrations/apps` lists it.
#[derive(Debug, Serialize)]
pub struct AppView {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub hook_type: &'static str,
    /// Whether the account uses it (has a hook).
    pub enabled: bool,
    pub allow_multiple_hooks: bool,
    pub action: &'static str,
    pub hooks: Vec<HookView>,
}

/// A hook of an app.
#[derive(Debug, Serialize)]
pub struct HookView {
    pub id: i64,
    pub app_id: &'static str,
    pub inbox_id: Option<i64>,
    pub account_id: i64,
    /// Whether it is on.
    pub status: bool,
    pub hook_type: &'static str,
    /// The webhook's url, subscriptions, name and secret (administrators only; `{}` for agents).
    pub settings: HookSettings,
}

/// A hook's settings: all of them for administrators, none (`{}`) for agents.
#[derive(Debug, Default, Serialize)]
pub struct HookSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriptions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<Option<String>>,
}

/// The account webhook `w` as a hook of the app `app_id`.
pub fn hook(app_id: &'static str, w: WebhookView, administrator: bool) -> HookView {
    let settings = if administrator {
        HookSettings {
            url: Some(w.url),
            subscriptions: Some(w.subscriptions),
            name: Some(w.name),
            secret: Some(w.secret),
            disabled_reason: Some(w.disabled_reason),
        }
    } else {
        HookSettings::default()
    };
    HookView { id: w.id, app_id, inbox_id: None, account_id: w.account_id, status: w.enabled, hook_type: "account", settings }
}
