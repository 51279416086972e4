//! Inbound messages written in batches. A busy number delivers thousands of webhooks a second,
//! and one transaction per webhook spends most of its time on round trips and commits; so each
//! webhook hands its messages to a writer, which stores whatever has queued up meanwhile in one
//! transaction and answers every webhook once that commit is done. No timer: a lone webhook is
//! written at once, and batches grow only as fast as the database falls behind.

use std::sync::Arc;

use switchboard_store::models::Inbox;
use switchboard_store::whatsapp::{receive_all, Delivered, Inbound, Received};
use switchboard_store::{DbPool, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Writers per process: while one commits, the next collects its batch.
pub const WRITERS: usize = 2;
/// Deliveries at most in one transaction.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a writer before webhooks wait to hand theirs over.
const QUEUE: usize = 4096;

struct Pending {
    inbox: Inbox,
    messages: Vec<Inbound>,
    done: oneshot::Sender<StoreResult<Vec<Received>>>,
}

/// The webhooks' side of the writers.
#[derive(Clone)]
pub struct InboundWriter {
    tx: mpsc::Sender<Pending>,
}

/// The writers' side: run each with `write_forever`.
#[derive(Clone)]
pub struct Writers {
    rx: Arc<Mutex<mpsc::Receiver<Pending>>>,
}

impl InboundWriter {
    pub fn new() -> (Self, Writers) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Self { tx }, Writers { rx: Arc::new(Mutex::new(rx)) })
    }

    /// Stores one delivery's messages; returns once they are committed, with what was new (a
    /// message stored before is left out).
    pub async fn write(&self, inbox: Inbox, messages: Vec<Inbound>) -> StoreResult<Vec<Received>> {
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the inbound writer has stopped".into());
        self.tx.send(Pending { inbox, messages, done }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Takes whatever is queued (up to `MAX_BATCH`) and writes it, for as long as webhooks can
/// arrive. Several writers share the queue, so one batch is collected while another commits.
pub async fn write_forever(db: DbPool, writers: Writers) {
    loop {
        let batch = {
            let mut rx = writers.rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            batch
        };
        write_batch(&db, batch).await;
    }
}

async fn write_batch(db: &DbPool, batch: Vec<Pending>) {
    let result = store(db, &batch).await;
    match result {
        Ok(per_delivery) => {
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
                let one = store(db, std::slice::from_ref(&p)).await.map(|mut r| r.pop().unwrap_or_default());
                let _ = p.done.send(one);
            }
        }
    }
}

async fn store(db: &DbPool, batch: &[Pending]) -> StoreResult<Vec<Vec<Received>>> {
    let deliveries: Vec<Delivered<'_>> = batch.iter().map(|p| Delivered { inbox: &p.inbox, messages: &p.messages }).collect();
    let mut conn = db.get().await?;
    receive_all(&mut conn, &deliveries).await
}
