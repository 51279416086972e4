//! Carries envelopes to every socket of this process. A bounded ring per process: a socket that
//! falls behind by more than its capacity is told so (`Lagged`) and disconnected, so one slow
//! client never holds memory or delays the others.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::Envelope;

/// Events a socket may fall behind before it is dropped.
pub const DEFAULT_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Broadcaster {
    tx: broadcast::Sender<Arc<Envelope>>,
    capacity: usize,
    /// Tells this broadcaster's per-thread relays from another's (tests run several apps).
    id: u64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's relay of a broadcaster: (broadcaster id, the thread's own channel).
    static RELAYS: RefCell<Vec<(u64, broadcast::Sender<Arc<Envelope>>)>> = const { RefCell::new(Vec::new()) };
}

impl Broadcaster {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(16);
        let (tx, _) = broadcast::channel(capacity);
        Self { tx, capacity, id: NEXT_ID.fetch_add(1, Ordering::Relaxed) }
    }

    /// Hands the envelope to every local socket (none listening is fine).
    pub fn deliver(&self, envelope: Envelope) {
        let _ = self.tx.send(Arc::new(envelope));
    }

    /// The stream as relayed on this thread, for tasks that stay on it (an actix worker's
    /// sockets). Waking a task of another thread costs a syscall; with thousands of sockets per
    /// event that was most of the fan-out. So each thread's relay task takes every event once and
    /// hands it on to the thread's sockets, which it wakes with a queue push.
    ///
    /// Must be called inside a `LocalSet` (actix workers run in one). If the relay itself falls
    /// behind, it stops and the thread's receivers see `Closed` after what they already hold:
    /// those sockets close and their clients replay with `since`, never silently missing events.
    pub fn subscribe_local(&self) -> broadcast::Receiver<Arc<Envelope>> {
        RELAYS.with(|relays| {
            let mut relays = relays.borrow_mut();
            if let Some((_, tx)) = relays.iter().find(|(id, _)| *id == self.id) {
                return tx.subscribe();
            }
            let (tx, rx) = broadcast::channel(self.capacity);
            let mut from = self.tx.subscribe();
            let to = tx.clone();
            let id = self.id;
            tokio::task::spawn_local(async move {
                while let Ok(envelope) = from.recv().await {
                    let _ = to.send(envelope);
                }
                // Lagged or closed: forget this relay so the next socket starts a fresh one;
                // once `to` drops too, the current receivers end.
                RELAYS.with(|r| r.borrow_mut().retain(|(i, _)| *i != id));
            });
            relays.push((self.id, tx));
            rx
        })
    }
}

impl Default for Broadcaster {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Audience;
    use tokio::sync::broadcast::error::RecvError;

    fn envelope(seq: i64) -> Envelope {
        Envelope::new(1, seq, "message.created".into(), serde_json::json!({}), Audience::default())
    }

    #[tokio::test]
    async fn a_threads_sockets_get_every_event_in_order_through_one_relay() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let b = Broadcaster::new(16);
                let (mut one, mut two) = (b.subscribe_local(), b.subscribe_local());
                // Another broadcaster on the same thread has its own relay.
                let other = Broadcaster::new(16);
                let mut elsewhere = other.subscribe_local();
                for seq in 1..=3 {
                    b.deliver(envelope(seq));
                }
                for rx in [&mut one, &mut two] {
                    for seq in 1..=3 {
                        assert_eq!(rx.recv().await.map(|e| e.seq).ok(), Some(seq));
                    }
                }
                other.deliver(envelope(9));
                assert_eq!(elsewhere.recv().await.map(|e| e.seq).ok(), Some(9));
                assert!(one.try_recv().is_err(), "nothing from the other broadcaster");
            })
            .await;
    }

    #[tokio::test]
    async fn a_relay_that_falls_behind_ends_its_receivers_instead_of_skipping_events() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let b = Broadcaster::new(16);
                let mut rx = b.subscribe_local();
                // The relay cannot run while this task does not yield: it falls behind.
                for seq in 1..=100 {
                    b.deliver(envelope(seq));
                }
                assert!(matches!(rx.recv().await, Err(RecvError::Closed)));
                // The next socket on the thread gets a fresh relay.
                let mut fresh = b.subscribe_local();
                b.deliver(envelope(101));
                assert_eq!(fresh.recv().await.map(|e| e.seq).ok(), Some(101));
            })
            .await;
    }
}
