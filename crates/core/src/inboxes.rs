//! Creating and changing an inbox, with its events (`inbox.created`, `inbox.updated`, read by
//! outgoing webhooks) and an API inbox's callback endpoint kept in step, in one change.

use switchboard_realtime::{Audience, Event};
use switchboard_store::models::InboxChanges;
use switchboard_store::models::{Inbox, NewInbox};

use crate::change::{Change, Outbox};
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// An API inbox's `webhook_url` must not reach private or local addresses (SSRF), as DNS says
/// now; every delivery checks again when it connects.
pub async fn check_callback(state: &AppState, changes: &InboxChanges) -> CoreResult<()> {
    if let Some(Some(url)) = &changes.webhook_url {
        state.check_outbound_url("channel.webhook_url", url).await?;
    }
    Ok(())
}

fn announce(out: &mut Outbox, event: Event, inbox: &Inbox) -> CoreResult<()> {
    let data = crate::views::value(&crate::views::inbox(inbox, false))?;
    // Read by the log's readers only: no socket receives inbox events.
    out.push(inbox.account_id, event, data, Audience { personal: true, ..Default::default() });
    Ok(())
}

/// What the audit log keeps of an inbox: never its tokens or the provider's credentials.
fn audited(inbox: &Inbox) -> serde_json::Value {
    serde_json::json!({ "id": inbox.id, "name": inbox.name, "channel_type": inbox.channel_type, "provider": inbox.provider,
        "phone_number": inbox.phone_number })
}

pub async fn create(state: &AppState, actor: &crate::actor::Actor, new: &NewInbox, changes: &InboxChanges) -> CoreResult<Inbox> {
    check_callback(state, changes).await?;
    let mut change = Change::begin(state).await?;
    let result = async {
        let inbox = switchboard_store::inboxes::create(&mut change.conn, new, changes).await?;
        crate::webhooks::sync_inbox_callback(&mut change.conn, &inbox).await?;
        announce(&mut change.out, Event::InboxCreated, &inbox)?;
        crate::audit::record(&mut change.conn, actor, "Inbox", inbox.id, "create", audited(&inbox)).await?;
        CoreResult::Ok(inbox)
    }
    .await;
    change.finish(state, result).await
}

pub async fn update(state: &AppState, actor: &crate::actor::Actor, id: i64, changes: &InboxChanges) -> CoreResult<Inbox> {
    let account_id = actor.account_id;
    check_callback(state, changes).await?;
    let mut change = Change::begin(state).await?;
    let result = async {
        let inbox = switchboard_store::inboxes::update(&mut change.conn, account_id, id, changes).await?.ok_or(CoreError::NotFound)?;
        if changes.webhook_url.is_some() {
            crate::webhooks::sync_inbox_callback(&mut change.conn, &inbox).await?;
        }
        announce(&mut change.out, Event::InboxUpdated, &inbox)?;
        crate::audit::record(&mut change.conn, actor, "Inbox", inbox.id, "update", audited(&inbox)).await?;
        CoreResult::Ok(inbox)
    }
    .await;
    change.finish(state, result).await
}

/// Deletes an inbox, with its audit entry.
pub async fn delete(state: &AppState, actor: &crate::actor::Actor, inbox: &Inbox) -> CoreResult<()> {
    let mut change = Change::begin(state).await?;
    let result = async {
        if !switchboard_store::inboxes::delete(&mut change.conn, actor.account_id, inbox.id).await? {
            return Err(CoreError::NotFound);
        }
        crate::audit::record(&mut change.conn, actor, "Inbox", inbox.id, "destroy", audited(inbox)).await
    }
    .await;
    change.finish(state, result).await
}
