//! Settling delivered webhook deliveries in batches (see `Settler`): the deliveries a job
//! worker's attempts completed, written in one statement and one commit per batch.

use switchboard_store::webhooks::Delivered;

use crate::error::CoreResult;

/// Settles delivered deliveries in batches: whatever finished while the previous batch was
/// written goes in the next statement, so a busy endpoint costs a commit per batch, not per
/// delivery. A delivery's job is done only once its batch commits; if the process dies first,
/// the job's lease brings it back and it is sent again (at least once, same delivery id).
#[derive(Clone)]
pub struct Settler {
    queue: tokio::sync::mpsc::Sender<(Delivered, tokio::sync::oneshot::Sender<CoreResult<()>>)>,
}

/// The settler's half, run by `settle_forever`.
pub struct SettleQueue {
    queue: tokio::sync::mpsc::Receiver<(Delivered, tokio::sync::oneshot::Sender<CoreResult<()>>)>,
}

/// Most deliveries settled in one statement.
const SETTLE_BATCH: usize = 256;

impl Settler {
    pub fn new() -> (Self, SettleQueue) {
        let (queue, rx) = tokio::sync::mpsc::channel(4 * SETTLE_BATCH);
        (Self { queue }, SettleQueue { queue: rx })
    }

    pub async fn settle(&self, done: Delivered) -> CoreResult<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue.send((done, tx)).await.map_err(|_| crate::error::CoreError::internal("the webhook settler stopped"))?;
        rx.await.map_err(|_| crate::error::CoreError::internal("the webhook settler stopped"))?
    }
}

pub async fn settle_forever(db: switchboard_store::DbPool, mut q: SettleQueue) {
    let mut batch = Vec::with_capacity(SETTLE_BATCH);
    loop {
        if q.queue.recv_many(&mut batch, SETTLE_BATCH).await == 0 {
            return;
        }
        let rows: Vec<Delivered> = batch.iter().map(|(d, _)| d.clone()).collect();
        let written = async {
            let mut conn = db.get().await?;
            switchboard_store::webhooks::delivered_many(&mut conn, &rows).await?;
            CoreResult::Ok(())
        }
        .await;
        for (_, tx) in batch.drain(..) {
            let _ = tx.send(match &written {
                Ok(()) => Ok(()),
                Err(e) => Err(crate::error::CoreError::internal(format!("settling webhook deliveries: {e}"))),
            });
        }
    }
}
