//! The inbound writers' loop: each batch of deliveries (`inbound`) is stored with its
//! events in one transaction, and every delivery is answered once that commit is done. The
//! events are durable from then on; the log writer is nudged to deliver them, and the next
//! batch does not wait for it.

use switchboard_store::whatsapp::{receive_in, Delivered, Received};
use switchboard_store::{AsyncPgConnection, StoreError, StoreResult};

use crate::change::Outbox;
use crate::inbound::{Pending, Writers};
use crate::state::AppState;

/// Takes whatever is queued (up to `MAX_BATCH`) and writes it, for as long as webhooks can
/// arrive. Several writers share the queue, so one batch is collected while another commits.
pub async fn write_forever(state: std::sync::Arc<AppState>, writers: Writers) {
    while let Some(batch) = writers.next_batch().await {
        write_batch(&state, batch).await;
    }
}

async fn write_batch(state: &AppState, batch: Vec<Pending>) {
    let result = store(state, &batch).await;
    match result {
        Ok(per_delivery) => {
            state.realtime.nudge();
            for (p, received) in batch.into_iter().zip(per_delivery) {
                // A webhook that gave up waiting (its client went away) is redelivered and then
                // found stored: nothing to do.
                let _ = p.done.send(Ok(received));
            }
        }
        // Nothing was written: every delivery is told to come back later.
        Err(StoreError::Unavailable(why)) => {
            for p in batch {
                let _ = p.done.send(Err(StoreError::Unavailable(why.clone())));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(p) = batch.into_iter().next() {
                let _ = p.done.send(Err(e));
            }
        }
        // One delivery the database refuses must not fail the others: each on its own.
        Err(e) => {
            tracing::warn!(error = %e, deliveries = batch.len(), "inbound batch failed; writing its deliveries one by one");
            for p in batch {
                let one = store(state, std::slice::from_ref(&p)).await.map(|mut r| r.pop().unwrap_or_default());
                if one.is_ok() {
                    state.realtime.nudge();
                }
                let _ = p.done.send(one);
            }
        }
    }
}

/// The batch's messages and their events, in one transaction.
async fn store(state: &AppState, batch: &[Pending]) -> StoreResult<Vec<Vec<Received>>> {
    let deliveries: Vec<Delivered<'_>> = batch.iter().map(|p| Delivered { inbox: &p.inbox, messages: &p.messages }).collect();
    let mut conn = state.db.get().await?;
    switchboard_store::pool::begin(&mut conn).await?;
    let result = async {
        let conn: &mut AsyncPgConnection = &mut conn;
        let received = receive_in(conn, &deliveries).await?;
        let mut out = Outbox::default();
        let deliveries: Vec<(&[Received], &[switchboard_store::models::Contact])> =
            batch.iter().zip(&received).map(|(p, r)| (r.as_slice(), p.senders.as_slice())).collect();
        crate::channel::inbound::announce_received(state, conn, &mut out, &deliveries).await.map_err(unrenderable)?;
        out.write(conn).await.map_err(unrenderable)?;
        Ok(received)
    }
    .await;
    match result {
        Ok(received) => {
            switchboard_store::pool::commit(&mut conn).await?;
            Ok(received)
        }
        Err(e) => {
            // If the rollback fails too, the pool discards the connection (see `pool::begin`).
            let _ = switchboard_store::pool::rollback(&mut conn).await;
            Err(e)
        }
    }
}

/// An event that could not be rendered fails its batch like a refused write: the batch is
/// retried delivery by delivery, and the failing one is refused (the provider redelivers it).
fn unrenderable(e: crate::error::CoreError) -> StoreError {
    match e {
        crate::error::CoreError::Internal { cause, .. } => match cause.downcast::<StoreError>() {
            Ok(store) => store,
            Err(other) => StoreError::Unavailable(format!("{other:#}")),
        },
        other => StoreError::Unavailable(other.to_string()),
    }
}
