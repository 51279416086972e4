//! Carries envelopes to every socket of this process. A bounded ring per process: a socket that
//! falls behind by more than its capacity is told so (`Lagged`) and disconnected, so one slow
//! client never holds memory or delays the others.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::Envelope;

/// Events a socket may fall behind before it is dropped.
pub const DEFAULT_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Broadcaster {
    tx: broadcast::Sender<Arc<Envelope>>,
}

impl Broadcaster {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Self { tx }
    }

    /// Hands the envelope to every local socket (none listening is fine).
    pub fn deliver(&self, envelope: Envelope) {
        let _ = self.tx.send(Arc::new(envelope));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.tx.subscribe()
    }
}

impl Default for Broadcaster {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}
