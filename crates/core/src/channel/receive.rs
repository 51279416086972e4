//! A channel's webhook delivery: read by the inbox's provider into inbound events, then each
//! event stored by its story, in the order the delivery gave them. Returns after everything
//! committed, so the provider is answered only then.

use serde_json::Value;
use switchboard_channels::channel::WebhookError;
use switchboard_channels::inbound::InboundEvent;
use switchboard_store::models::Inbox;

use super::line::Line;
use super::{inbound, statuses, templates};
use crate::error::{CoreError, CoreResult};
use crate::groups;
use crate::state::AppState;

/// Stores one webhook delivery and announces what changed. An event the provider does not
/// act on is acknowledged and dropped.
pub async fn receive(state: &AppState, inbox: &Inbox, body: &Value) -> CoreResult<()> {
    let line = Line::of(inbox)?;
    let events = line.open(state).parse_webhook(body).map_err(|e| match e {
        WebhookError::Malformed(message) => CoreError::BadRequest(message),
        WebhookError::BadToken => CoreError::InvalidToken,
    })?;
    for event in &events {
        match event {
            InboundEvent::Messages(list) => inbound::messages(state, inbox, list).await?,
            InboundEvent::Statuses(list) => statuses::apply_deliveries(state, inbox, list).await?,
            InboundEvent::Reactions(list) => statuses::apply_reactions(state, inbox, list).await?,
            InboundEvent::Templates(list) => templates::apply_template_events(state, inbox, list).await?,
            InboundEvent::GroupStubs(list) => {
                for s in list {
                    groups::stub(state, inbox, s).await?;
                }
            }
            InboundEvent::Participants(update) => groups::participants(state, inbox, update).await?,
            InboundEvent::GroupSettings(list) => {
                for update in list {
                    groups::group_settings(state, inbox, update).await?;
                }
            }
            InboundEvent::GroupActivity(list) => {
                for a in list {
                    groups::group_activity(state, inbox, a).await?;
                }
            }
        }
    }
    Ok(())
}
