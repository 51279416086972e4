//! How far our messages got, and reactions: both land on messages we already have, each with
//! its `message.updated`, whichever provider reported them.

use switchboard_channels::inbound::{Reaction, StatusUpdate};
use switchboard_realtime::Event;
use switchboard_store::models::{Inbox, Message};
use switchboard_store::AsyncPgConnection;

use crate::change::{Change, Outbox};
use crate::error::CoreResult;
use crate::state::AppState;

/// Reactions, kept on the messages they react to (one per person), each with `message.updated`,
/// in one change. A reaction to a message we do not have, or one we had already, changes nothing.
pub async fn apply_reactions(state: &AppState, inbox: &Inbox, reactions: &[Reaction]) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        for r in reactions {
            let reacted =
                switchboard_store::whatsapp::react(conn, inbox.id, &r.target, &r.from, r.name.as_deref(), r.emoji.as_deref()).await?;
            if let Some(message) = reacted {
                announce_update(state, conn, out, &message).await?;
            }
        }
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// Moves messages forward (never back: a read message stays read), with their
/// `message.updated` events, in one change.
pub async fn apply_deliveries(state: &AppState, inbox: &Inbox, updates: &[StatusUpdate]) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        for s in updates {
            let updated =
                switchboard_store::whatsapp::apply_status(conn, inbox.id, &s.source_id, s.status, s.error.as_deref(), &s.details).await?;
            if let Some(m) = updated {
                announce_update(state, conn, out, &m).await?;
            }
        }
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// `message.updated` for a message whose status changed, staged in the change that changed it.
pub async fn announce_update(state: &AppState, conn: &mut AsyncPgConnection, out: &mut Outbox, m: &Message) -> CoreResult<()> {
    let c = switchboard_store::conversations::by_id(conn, m.conversation_id).await?;
    let rendered = crate::present::message(state, conn, &c, m).await?;
    crate::events::publish(conn, out, &c, m, &rendered, Event::MessageUpdated).await
}
