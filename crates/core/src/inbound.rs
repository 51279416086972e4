//! Inbound messages written in batches. A busy number delivers thousands of webhooks a second,
//! and one transaction per webhook spends most of its time on round trips and commits; so each
//! webhook hands its messages to a writer, which stores whatever has queued up meanwhile in one
//! transaction, with their events (the outbox), and answers every webhook once that commit is
//! done (the events are delivered right after). No timer: a lone webhook is written at once, and batches grow
//! only as fast as the database falls behind.

use std::sync::Arc;

use switchboard_store::models::{Contact, Inbox};
use switchboard_store::whatsapp::{Inbound, Received};
use switchboard_store::{StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Writers per process: while one commits, the next collects its batch.
pub const WRITERS: usize = 2;
/// Deliveries at most in one transaction.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a writer before webhooks wait to hand theirs over.
const QUEUE: usize = 4096;

pub(crate) struct Pending {
    pub(crate) inbox: Inbox,
    pub(crate) messages: Vec<Inbound>,
    /// The participants who wrote group messages (see `whatsapp::announce_received`).
    pub(crate) senders: Vec<Contact>,
    pub(crate) done: oneshot::Sender<StoreResult<Vec<Received>>>,
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

impl Writers {
    /// Whatever is queued, up to `MAX_BATCH`, once there is something; `None` once every
    /// webhook side is gone.
    pub(crate) async fn next_batch(&self) -> Option<Vec<Pending>> {
        let mut rx = self.rx.lock().await;
        let first = rx.recv().await?;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        Some(batch)
    }
}

impl InboundWriter {
    pub fn new() -> (Self, Writers) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Self { tx }, Writers { rx: Arc::new(Mutex::new(rx)) })
    }

    /// Stores one delivery's messages and their events; returns once they are committed (the
    /// events are delivered right after), with what was new (a message stored before is left
    /// out).
    pub async fn write(&self, inbox: Inbox, messages: Vec<Inbound>, senders: Vec<Contact>) -> StoreResult<Vec<Received>> {
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the inbound writer has stopped".into());
        self.tx.send(Pending { inbox, messages, senders, done }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}
