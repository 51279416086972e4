//! Account webhooks as administrators manage them: create, change, enable again, rotate the
//! secret, delete; the delivery log and redelivery. API inboxes' callbacks are kept in step with
//! their inbox (`sync_inbox_callback`).

use switchboard_domain::text::{http_url, optional_text};
use switchboard_domain::webhooks::{subscriptions, WebhookEvent};
use switchboard_domain::ValidationError;
use switchboard_store::models::Inbox;
use switchboard_store::webhooks::{NewWebhook, WebhookChanges};
use switchboard_store::AsyncPgConnection;

use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::tokens::random_token;
use crate::views::webhooks::{delivery_view, DeliveryView, WebhookView};

/// A create or update as submitted; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct WebhookInput {
    pub name: Option<Option<String>>,
    pub url: Option<String>,
    pub subscriptions: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// A checked URL: http(s), and (unless `OUTBOUND_ALLOW_PRIVATE`) not resolving to a private,
/// local or metadata address now. Every delivery checks again when it connects.
pub(crate) async fn checked_url(state: &AppState, field: &str, raw: &str) -> CoreResult<String> {
    if raw.chars().count() > 2048 {
        return Err(ValidationError::too_long(field, 2048).into());
    }
    let url = http_url(field, raw)?;
    state.check_outbound_url(field, &url).await?;
    Ok(url)
}

fn names(events: &[WebhookEvent]) -> Vec<String> {
    events.iter().map(|e| e.as_str().to_string()).collect()
}

pub(crate) fn new_secret() -> String {
    format!("whsec_{}", random_token(24))
}

pub async fn list(conn: &mut AsyncPgConnection, account_id: i64) -> CoreResult<Vec<WebhookView>> {
    Ok(switchboard_store::webhooks::list(conn, account_id).await?.into_iter().map(WebhookView::from).collect())
}

pub async fn create(state: &AppState, actor: &crate::actor::Actor, input: WebhookInput) -> CoreResult<WebhookView> {
    let account_id = actor.account_id;
    let url = checked_url(state, "url", input.url.as_deref().ok_or_else(|| ValidationError::blank("url"))?).await?;
    let name = optional_text("name", input.name.flatten().as_deref(), 255)?;
    let subscriptions = names(&subscriptions("subscriptions", input.subscriptions.as_deref())?);
    let secret = new_secret();
    let new = NewWebhook { account_id, name: name.as_deref(), url: &url, subscriptions: &subscriptions, secret: &secret };
    let mut tx = Change::begin(state).await?;
    let result = async {
        let view = WebhookView::from(switchboard_store::webhooks::create(&mut tx.conn, &new).await?);
        crate::audit::record(&mut tx.conn, actor, "Webhook", view.id, "create", crate::audit::changes(&view)).await?;
        Ok(view)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn update(state: &AppState, actor: &crate::actor::Actor, id: i64, input: WebhookInput) -> CoreResult<WebhookView> {
    let account_id = actor.account_id;
    let url = match input.url.as_deref() {
        Some(raw) => Some(checked_url(state, "url", raw).await?),
        None => None,
    };
    let name = input.name.map(|n| optional_text("name", n.as_deref(), 255)).transpose()?;
    let subscriptions = input.subscriptions.as_deref().map(|s| subscriptions("subscriptions", Some(s)).map(|e| names(&e))).transpose()?;
    let changes = WebhookChanges { name, url, subscriptions, enabled: input.enabled };
    // Enabling queues the parked deliveries in the same transaction as the change.
    let mut change = Change::begin(state).await?;
    let result = async {
        let updated = switchboard_store::webhooks::update(&mut change.conn, account_id, id, &changes).await?.ok_or(CoreError::NotFound)?;
        let view = WebhookView::from(updated);
        crate::audit::record(&mut change.conn, actor, "Webhook", view.id, "update", crate::audit::changes(&view)).await?;
        Ok(view)
    }
    .await;
    change.finish(state, result).await
}

pub async fn rotate_secret(state: &AppState, actor: &crate::actor::Actor, id: i64) -> CoreResult<WebhookView> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let rotated = switchboard_store::webhooks::rotate_secret(&mut tx.conn, actor.account_id, id, &new_secret()).await?;
        let view = WebhookView::from(rotated.ok_or(CoreError::NotFound)?);
        // The entry says the secret changed, never what it is.
        crate::audit::record(&mut tx.conn, actor, "Webhook", view.id, "update", serde_json::json!({ "secret_rotated": true })).await?;
        Ok(view)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn delete(state: &AppState, actor: &crate::actor::Actor, id: i64) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let found = switchboard_store::webhooks::find(&mut tx.conn, actor.account_id, id).await?.ok_or(CoreError::NotFound)?;
        if !switchboard_store::webhooks::delete(&mut tx.conn, actor.account_id, id).await? {
            return Err(CoreError::NotFound);
        }
        crate::audit::record(&mut tx.conn, actor, "Webhook", id, "destroy", crate::audit::changes(&WebhookView::from(found))).await
    }
    .await;
    tx.finish(state, result).await
}

/// Deliveries per page of the log.
pub const PER_PAGE: i64 = 25;

/// A page of an endpoint's delivery log (either kind of endpoint), newest first, with attempts:
/// two queries whatever the page holds.
pub async fn deliveries(state: &AppState, account_id: i64, id: i64, page: i64) -> CoreResult<(Vec<DeliveryView>, i64)> {
    let mut conn = state.conn().await?;
    let w = switchboard_store::webhooks::find(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?;
    let (rows, count) = switchboard_store::webhooks::deliveries(&mut conn, w.id, page.max(1), PER_PAGE).await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let attempts = switchboard_store::webhooks::attempts_of(&mut conn, &ids).await?;
    Ok((rows.into_iter().map(|d| delivery_view(d, &attempts)).collect(), count))
}

/// Sends a delivery again (same body, same `X-Chatwoot-Delivery`), through the queue.
pub async fn redeliver(state: &AppState, account_id: i64, id: i64, delivery_id: i64) -> CoreResult<DeliveryView> {
    let mut change = Change::begin(state).await?;
    let found = async {
        let w = switchboard_store::webhooks::find(&mut change.conn, account_id, id).await?.ok_or(CoreError::NotFound)?;
        // The delivery made pending again and its job queued, together.
        let d = switchboard_store::webhooks::redeliver(&mut change.conn, w.id, delivery_id).await?.ok_or(CoreError::NotFound)?;
        let attempts = switchboard_store::webhooks::attempts_of(&mut change.conn, &[d.id]).await?;
        CoreResult::Ok(delivery_view(d, &attempts))
    }
    .await;
    change.finish(state, found).await
}

/// The events an API inbox's callback receives.
pub fn inbox_callback_events() -> Vec<String> {
    names(&WebhookEvent::ALL.into_iter().filter(|e| e.reaches_inbox_callback()).collect::<Vec<_>>())
}

/// Keeps an API inbox's callback endpoint in step with its `webhook_url`, signed with the
/// inbox's secret, in the caller's transaction.
pub async fn sync_inbox_callback(conn: &mut AsyncPgConnection, inbox: &Inbox) -> CoreResult<()> {
    let api = inbox.channel_type == switchboard_domain::inbox::ChannelType::Api;
    let url = inbox.webhook_url.as_deref().filter(|u| api && !u.trim().is_empty());
    Ok(switchboard_store::webhooks::sync_inbox_callback(conn, inbox.account_id, inbox.id, url, &inbox.secret, &inbox_callback_events())
        .await?)
}
