//! Publishing live events (after commit) and serving them over `/cable`.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use switchboard_realtime::broadcaster::Broadcaster;
use switchboard_realtime::{Audience, Envelope, Event};
use switchboard_store::DbPool;

/// Replay keeps this much history per account, whichever limit comes first.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(10 * 60);
pub const REPLAY_MAX: i64 = 10_000;

/// The Redis channel every node publishes to and listens on.
const REDIS_CHANNEL: &str = "switchboard:events";

pub struct Realtime {
    pub broadcaster: Broadcaster,
    /// With Redis, events travel through it so every node's sockets get them.
    redis: Option<redis::aio::ConnectionManager>,
    presence: Presence,
    /// Events waiting for the log writer.
    log: tokio::sync::mpsc::Sender<Pending>,
}

/// An event on its way into the log; `done` hears when it is numbered and delivered.
struct Pending {
    account_id: i64,
    event: String,
    data: Value,
    audience: Audience,
    done: tokio::sync::oneshot::Sender<()>,
}

/// The log writer's half, run by `write_log_forever`.
pub struct LogWriter {
    queue: tokio::sync::mpsc::Receiver<Pending>,
    db: DbPool,
    broadcaster: Broadcaster,
    redis: Option<redis::aio::ConnectionManager>,
}

/// Most events numbered in one statement.
const LOG_BATCH: usize = 512;

/// Numbers, keeps and delivers events in batches: whatever queued up while the previous batch
/// was written goes in the next one, so an account's counter row is taken once per batch, not
/// once per event (it was the ceiling on how many writes an account could make per second).
/// One writer per process also keeps this process's deliveries in seq order.
///
/// The writer has a connection of its own: publishers wait for it while holding pooled
/// connections, so taking one from the pool could wait on them forever.
pub async fn write_log_forever(mut w: LogWriter) {
    let mut batch = Vec::with_capacity(LOG_BATCH);
    let mut own: Option<switchboard_store::AsyncPgConnection> = None;
    while w.queue.recv_many(&mut batch, LOG_BATCH).await > 0 {
        let mut accounts: Vec<i64> = batch.iter().map(|p| p.account_id).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let mut envelopes = Vec::with_capacity(batch.len());
        if own.is_none() {
            own = w.db.dedicated().await.map_err(|e| tracing::error!(error = %e, "live event log: cannot connect")).ok();
        }
        match own.as_mut() {
            Some(conn) => {
                for account_id in accounts {
                    let mine: Vec<&Pending> = batch.iter().filter(|p| p.account_id == account_id).collect();
                    let audiences: Vec<Value> = mine.iter().map(|p| serde_json::to_value(&p.audience).unwrap_or(Value::Null)).collect();
                    let rows: Vec<(&str, &Value, &Value)> =
                        mine.iter().zip(&audiences).map(|(p, a)| (p.event.as_str(), &p.data, a)).collect();
                    match switchboard_store::events::append_many(conn, account_id, &rows).await {
                        Ok(seqs) => {
                            for (p, seq) in mine.iter().zip(seqs) {
                                envelopes.push(Envelope::new(account_id, seq, p.event.clone(), p.data.clone(), p.audience.clone()));
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, account_id, events = mine.len(), "could not record live events");
                            own = None;
                            break;
                        }
                    }
                }
            }
            None => tracing::error!(events = batch.len(), "could not record live events: no database connection"),
        }
        deliver(&w.broadcaster, w.redis.as_ref(), envelopes).await;
        for p in batch.drain(..) {
            let _ = p.done.send(());
        }
    }
}

/// Hands numbered events to every node (through Redis) or to this node's sockets.
async fn deliver(broadcaster: &Broadcaster, redis: Option<&redis::aio::ConnectionManager>, envelopes: Vec<Envelope>) {
    if envelopes.is_empty() {
        return;
    }
    if let Some(redis) = redis {
        let mut pipe = redis::pipe();
        for e in &envelopes {
            if let Ok(json) = serde_json::to_string(e) {
                pipe.cmd("PUBLISH").arg(REDIS_CHANNEL).arg(json).ignore();
            }
        }
        let mut conn = redis.clone();
        if pipe.query_async::<()>(&mut conn).await.is_ok() {
            // They come back through our own subscription, like everyone else's.
            return;
        }
        // Redis is down: this node's sockets still get them; others replay them from the log.
        tracing::warn!(events = envelopes.len(), "redis unavailable; delivering locally only");
    }
    for e in envelopes {
        broadcaster.deliver(e);
    }
}

/// Who reported presence lately. With Redis it is shared by all nodes (a sorted set per account,
/// scored by last report); without, it is this process's map.
struct Presence {
    ttl: Duration,
    local: std::sync::Mutex<std::collections::HashMap<(i64, String), std::time::Instant>>,
}

impl Realtime {
    /// The realtime hub and its log writer, which the caller runs (`write_log_forever`).
    pub fn new(redis: Option<redis::aio::ConnectionManager>, queue: usize, presence_ttl: Duration, db: DbPool) -> (Self, LogWriter) {
        let presence = Presence { ttl: presence_ttl, local: Default::default() };
        let broadcaster = Broadcaster::new(queue);
        let (log, rx) = tokio::sync::mpsc::channel(8 * LOG_BATCH);
        let writer = LogWriter { queue: rx, db, broadcaster: broadcaster.clone(), redis: redis.clone() };
        (Self { broadcaster, redis, presence, log }, writer)
    }

    /// Records that `who` (`user:7` or `contact:12`) is online in the account; returns everyone
    /// online there now.
    pub(crate) async fn report_presence(&self, account_id: i64, who: &str) -> Vec<String> {
        let now = chrono::Utc::now().timestamp_millis();
        let ttl = self.presence.ttl.as_millis() as i64;
        if let Some(redis) = &self.redis {
            let key = format!("switchboard:presence:{account_id}");
            let mut conn = redis.clone();
            let result: redis::RedisResult<(i64, i64, Vec<String>)> = redis::pipe()
                .atomic()
                .cmd("ZADD")
                .arg(&key)
                .arg(now)
                .arg(who)
                .cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(now - ttl)
                .cmd("ZRANGEBYSCORE")
                .arg(&key)
                .arg(now - ttl)
                .arg("+inf")
                .query_async(&mut conn)
                .await;
            match result {
                Ok((_, _, online)) => return online,
                Err(e) => tracing::warn!(error = %e, "redis unavailable for presence; using this node's view"),
            }
        }
        let Ok(mut map) = self.presence.local.lock() else { return vec![] };
        let at = std::time::Instant::now();
        map.insert((account_id, who.to_string()), at);
        map.retain(|_, seen| at.duration_since(*seen) < self.presence.ttl);
        map.keys().filter(|(a, _)| *a == account_id).map(|(_, w)| w.clone()).collect()
    }

    /// Numbers the event in the account's log and delivers it; returns once both are done.
    /// Call after the write committed. A failure is logged, never returned: the write it
    /// reports on has already happened.
    pub async fn publish(&self, account_id: i64, event: Event, data: Value, audience: Audience) {
        let (done, finished) = tokio::sync::oneshot::channel();
        let pending = Pending { account_id, event: event.as_str().to_string(), data, audience, done };
        if self.log.send(pending).await.is_err() {
            tracing::error!(event = event.as_str(), "the live event log is gone");
            return;
        }
        let _ = finished.await;
    }
}

/// Listens to Redis for every node's events and hands them to this node's sockets, reconnecting
/// by itself (within a second) when Redis goes away.
pub async fn relay_from_redis(url: String, broadcaster: Broadcaster) {
    let Ok(client) = redis::Client::open(url.as_str()) else {
        tracing::error!("REDIS_URL is not a valid Redis URL; live events stay on this node");
        return;
    };
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(REDIS_CHANNEL).await {
                Ok(()) => {
                    tracing::info!("listening for live events on redis");
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else { continue };
                        match serde_json::from_str::<Envelope>(&payload) {
                            Ok(envelope) => broadcaster.deliver(envelope),
                            Err(e) => tracing::warn!(error = %e, "ignoring a malformed live event"),
                        }
                    }
                    tracing::warn!("redis subscription ended; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "redis subscribe failed; retrying"),
            },
            Err(e) => tracing::debug!(error = %e, "redis unreachable; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Keeps the replay log within its window: ten minutes, and 10,000 events per account.
pub async fn prune_forever(db: DbPool, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Ok(mut conn) = db.get().await else { continue };
        if let Err(e) = switchboard_store::events::prune(&mut conn, REPLAY_WINDOW, REPLAY_MAX).await {
            tracing::warn!(error = %e, "pruning live events failed");
        }
        // Send budgets of past seconds are spent: they go with the same sweep.
        if let Err(e) = switchboard_store::jobs::prune_send_slots(&mut conn).await {
            tracing::warn!(error = %e, "pruning send slots failed");
        }
    }
}
