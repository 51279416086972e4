//! The Integrations tag: the apps Switchboard provides and their hooks. Only apps that work here
//! are listed: today the webhook app, whose hooks are the account's webhooks (the same rows as
//! `/webhooks`, so either API manages them). An app we do not provide is a 404.

use switchboard_domain::ValidationError;

use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::integration_apps::{hook, AppView, HookView};
use crate::webhooks::WebhookInput;

/// The one app served.
pub const WEBHOOK_APP: &str = "webhook";

pub async fn apps(state: &AppState, account_id: i64, administrator: bool) -> CoreResult<Vec<AppView>> {
    let mut conn = state.conn().await?;
    let hooks: Vec<HookView> =
        crate::webhooks::list(&mut conn, account_id).await?.into_iter().map(|w| hook(WEBHOOK_APP, w, administrator)).collect();
    Ok(vec![AppView {
        id: WEBHOOK_APP,
        name: "Webhooks",
        description: "Signed events for your systems, delivered at least once, in order per conversation, with a delivery log.",
        hook_type: "account",
        enabled: !hooks.is_empty(),
        allow_multiple_hooks: true,
        action: "/settings/integrations/webhook",
        hooks,
    }])
}

/// A hook as submitted: the webhook app's settings, and `status` (on or off).
#[derive(Debug, Default)]
pub struct HookInput {
    pub url: Option<String>,
    pub name: Option<Option<String>>,
    pub subscriptions: Option<Vec<String>>,
    pub status: Option<bool>,
}

/// The app a hook is for: the webhook app, or 404.
pub fn app(id: &str) -> CoreResult<&'static str> {
    if id.trim() == WEBHOOK_APP {
        Ok(WEBHOOK_APP)
    } else {
        Err(CoreError::NotFound)
    }
}

pub async fn create(state: &AppState, actor: &crate::actor::Actor, inbox_id: Option<i64>, input: HookInput) -> CoreResult<HookView> {
    if inbox_id.is_some() {
        return Err(ValidationError::invalid("inbox_id", "the webhook app's hooks are the account's, not an inbox's").into());
    }
    let created = crate::webhooks::create(
        state,
        actor,
        WebhookInput { name: input.name, url: input.url, subscriptions: input.subscriptions, enabled: None },
    )
    .await
    .map_err(settings_field)?;
    let view = match input.status {
        Some(false) => {
            let off = WebhookInput { enabled: Some(false), ..Default::default() };
            crate::webhooks::update(state, actor, created.id, off).await?
        }
        _ => created,
    };
    Ok(hook(WEBHOOK_APP, view, true))
}

pub async fn update(state: &AppState, actor: &crate::actor::Actor, id: i64, input: HookInput) -> CoreResult<HookView> {
    let changes = WebhookInput { name: input.name, url: input.url, subscriptions: input.subscriptions, enabled: input.status };
    Ok(hook(WEBHOOK_APP, crate::webhooks::update(state, actor, id, changes).await.map_err(settings_field)?, true))
}

pub async fn delete(state: &AppState, actor: &crate::actor::Actor, id: i64) -> CoreResult<()> {
    crate::webhooks::delete(state, actor, id).await
}

/// The webhook's fields are `settings.…` in a hook.
fn settings_field(e: CoreError) -> CoreError {
    match e {
        CoreError::Invalid(mut v) => {
            v.field = format!("settings.{}", v.field);
            CoreError::Invalid(v)
        }
        e => e,
    }
}
