//! The event log's writer (outbox to log to sockets), publishing, presence and the Redis relay.

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
    /// Requests for the log writer.
    log: tokio::sync::mpsc::Sender<Request>,
    /// Told whenever the writer has numbered events: readers of the log (the webhook
    /// dispatcher) look for new ones at once instead of at their next poll.
    pub numbered: std::sync::Arc<tokio::sync::Notify>,
}

/// An event that reports no change (presence, typing) on its way into the log; `done` hears
/// when it is numbered and delivered.
struct Pending {
    account_id: i64,
    event: String,
    data: Value,
    audience: Audience,
    done: tokio::sync::oneshot::Sender<()>,
}

/// What the log writer is asked to do.
enum Request {
    /// Number and deliver this event.
    Direct(Pending),
    /// A change committed events to the outbox: move them into the log and deliver them, then
    /// answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The log writer's half, run by `write_log_forever`.
pub struct LogWriter {
    queue: tokio::sync::mpsc::Receiver<Request>,
    db: DbPool,
    broadcaster: Broadcaster,
    redis: Option<redis::aio::ConnectionManager>,
    numbered: std::sync::Arc<tokio::sync::Notify>,
}

/// Most events numbered in one statement.
const LOG_BATCH: usize = 512;

/// How often the writer looks for outbox events nobody asked it to move: those of a process
/// that died between its commit and its flush, here or on another node.
const SWEEP: Duration = Duration::from_secs(1);

/// Numbers, keeps and delivers events in batches: whatever queued up while the previous batch
/// was written goes in the next one, so an account's counter row is taken once per batch, not
/// once per event (it was the ceiling on how many writes an account could make per second).
/// Changes' events come from the outbox their transactions wrote (`Request::Flush`, and a sweep
/// every `SWEEP`), so a crash between a commit and its delivery loses nothing: the next writer
/// to run moves them. One writer per process keeps this process's deliveries in seq order.
///
/// The writer has a connection of its own: publishers wait for it while holding pooled
/// connections, so taking one from the pool could wait on them forever.
pub async fn write_log_forever(mut w: LogWriter) {
    let mut batch = Vec::with_capacity(LOG_BATCH);
    let mut own: Option<switchboard_store::AsyncPgConnection> = None;
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            n = w.queue.recv_many(&mut batch, LOG_BATCH) => if n == 0 { return },
            _ = sweep.tick() => {}
        }
        if own.is_none() {
            own = w.db.dedicated().await.map_err(|e| tracing::error!(error = %e, "live event log: cannot connect")).ok();
        }
        let direct: Vec<&Pending> = batch
            .iter()
            .filter_map(|r| match r {
                Request::Direct(p) => Some(p),
                Request::Flush(_) => None,
            })
            .collect();
        match own.as_mut() {
            Some(conn) => {
                let mut envelopes = number_direct(conn, &direct).await;
                match move_outbox(conn, &w.broadcaster, w.redis.as_ref(), &mut envelopes).await {
                    Ok(()) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "could not move events from the outbox; they stay there for the next sweep");
                        own = None;
                    }
                }
                deliver(&w.broadcaster, w.redis.as_ref(), envelopes).await;
                w.numbered.notify_one();
            }
            None => tracing::error!(events = direct.len(), "could not record live events: no database connection"),
        }
        for r in batch.drain(..) {
            let _ = match r {
                Request::Direct(p) => p.done.send(()),
                Request::Flush(done) => done.send(()),
            };
        }
    }
}

/// Numbers events that report no change, per account; returns them ready to deliver.
async fn number_direct(conn: &mut switchboard_store::AsyncPgConnection, direct: &[&Pending]) -> Vec<Envelope> {
    let mut accounts: Vec<i64> = direct.iter().map(|p| p.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut envelopes = Vec::with_capacity(direct.len());
    for account_id in accounts {
        let mine: Vec<&&Pending> = direct.iter().filter(|p| p.account_id == account_id).collect();
        let audiences: Vec<Value> = mine.iter().map(|p| serde_json::to_value(&p.audience).unwrap_or(Value::Null)).collect();
        let rows: Vec<(&str, &Value, &Value)> = mine.iter().zip(&audiences).map(|(p, a)| (p.event.as_str(), &p.data, a)).collect();
        match switchboard_store::events::append_many(conn, account_id, &rows).await {
            Ok(seqs) => {
                for (p, seq) in mine.iter().zip(seqs) {
                    envelopes.push(Envelope::new(account_id, seq, p.event.clone(), p.data.clone(), p.audience.clone()));
                }
            }
            Err(e) => tracing::error!(error = %e, account_id, events = mine.len(), "could not record live events"),
        }
    }
    envelopes
}

/// Moves every committed outbox event into the log, `LOG_BATCH` at a time, delivering each
/// full batch as it goes; the last one is left in `envelopes` for the caller to deliver.
async fn move_outbox(
    conn: &mut switchboard_store::AsyncPgConnection,
    broadcaster: &Broadcaster,
    redis: Option<&redis::aio::ConnectionManager>,
    envelopes: &mut Vec<Envelope>,
) -> switchboard_store::StoreResult<()> {
    loop {
        let moved = switchboard_store::events::number_staged(conn, LOG_BATCH as i64).await?;
        let full = moved.len() == LOG_BATCH;
        for e in moved {
            let audience = serde_json::from_value(e.audience).unwrap_or_default();
            envelopes.push(Envelope::new(e.account_id, e.seq, e.event, e.data, audience));
        }
        if !full {
            return Ok(());
        }
        deliver(broadcaster, redis, std::mem::take(envelopes)).await;
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
        let numbered = std::sync::Arc::new(tokio::sync::Notify::new());
        let writer = LogWriter { queue: rx, db, broadcaster: broadcaster.clone(), redis: redis.clone(), numbered: numbered.clone() };
        (Self { broadcaster, redis, presence, log, numbered }, writer)
    }

    /// Records that `who` (`user:7` or `contact:12`) is online in the account; returns everyone
    /// online there now.
    pub async fn report_presence(&self, account_id: i64, who: &str) -> Vec<String> {
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

    /// Numbers an event that reports no change (presence, typing) and delivers it; returns once
    /// both are done. A change's events go through its transaction instead (`change`).
    /// A failure is logged, never returned.
    pub async fn publish(&self, account_id: i64, event: Event, data: Value, audience: Audience) {
        let (done, finished) = tokio::sync::oneshot::channel();
        let pending = Pending { account_id, event: event.as_str().to_string(), data, audience, done };
        if self.log.send(Request::Direct(pending)).await.is_err() {
            tracing::error!(event = event.as_str(), "the live event log is gone");
            return;
        }
        let _ = finished.await;
    }

    /// Asks the writer to move committed outbox events now, without waiting for it: for a caller
    /// whose answer does not wait on delivery (the inbound writers acknowledge a delivery once
    /// it is committed, events included, and go on to the next batch). If the writer's queue is
    /// full, requests ahead of this one drain the outbox after this commit anyway.
    pub fn nudge(&self) {
        let (done, _) = tokio::sync::oneshot::channel();
        let _ = self.log.try_send(Request::Flush(done));
    }

    /// Moves the events committed so far from the outbox into the log and delivers them;
    /// returns once that is done, so a client told of a change has had its events (if another
    /// node's writer took them, they are on their way). If the writer is gone, its successor's
    /// sweep moves them.
    pub async fn flush(&self) {
        let (done, finished) = tokio::sync::oneshot::channel();
        if self.log.send(Request::Flush(done)).await.is_err() {
            tracing::error!("the live event log is gone; the outbox keeps the events");
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
pub async fn prune_forever(db: DbPool, every: Duration, keep_deliveries: Duration) {
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
        // The webhook delivery log keeps finished deliveries for a while (pending ones always).
        let before = chrono::Utc::now() - chrono::Duration::from_std(keep_deliveries).unwrap_or_default();
        if let Err(e) = switchboard_store::webhooks::prune(&mut conn, before).await {
            tracing::warn!(error = %e, "pruning webhook deliveries failed");
        }
    }
}
