//! Publishing live events (after commit) and serving them over `/cable`.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, Session};
use futures_util::StreamExt;
use serde_json::Value;
use switchboard_domain::users::Role;
use switchboard_realtime::broadcaster::Broadcaster;
use switchboard_realtime::protocol::{self, Command, Identifier};
use switchboard_realtime::{Audience, Envelope, Subscriber};
use switchboard_store::DbPool;
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

/// Replay keeps this much history per account, whichever limit comes first.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(10 * 60);
pub const REPLAY_MAX: i64 = 10_000;
/// ActionCable's heartbeat.
const PING_EVERY: Duration = Duration::from_secs(3);
/// A socket that cannot take a frame for this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

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
    async fn report_presence(&self, account_id: i64, who: &str) -> Vec<String> {
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
    pub async fn publish(&self, account_id: i64, event: &str, data: Value, audience: Audience) {
        let (done, finished) = tokio::sync::oneshot::channel();
        let pending = Pending { account_id, event: event.to_string(), data, audience, done };
        if self.log.send(pending).await.is_err() {
            tracing::error!(event, "the live event log is gone");
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

/// `GET /cable`: the ActionCable websocket.
pub async fn cable(state: web::Data<AppState>, req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, session, stream) = actix_ws::handle_with_protocols(&req, body, &[protocol::SUBPROTOCOL])?;
    let stream = stream.max_frame_size(64 * 1024).aggregate_continuations().max_continuation_size(256 * 1024);
    actix_web::rt::spawn(connection(state, session, stream));
    Ok(response)
}

async fn send(session: &mut Session, text: String) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, session.text(text)).await, Ok(Ok(())))
}

/// Checks a subscription's credentials: a user's pubsub token with its account and id, or a
/// contact identity's token alone.
async fn authorize(state: &AppState, id: &Identifier) -> Option<Subscriber> {
    if id.channel != "RoomChannel" || id.pubsub_token.is_empty() {
        return None;
    }
    let mut conn = state.db.get().await.ok()?;
    match (id.account_id(), id.user_id()) {
        (Some(account_id), Some(user_id)) => {
            let user = switchboard_store::users::find_by_pubsub_token(&mut conn, &id.pubsub_token).await.ok()??;
            if user.id != user_id {
                return None;
            }
            let member = switchboard_store::account_users::membership(&mut conn, account_id, user.id).await.ok()??;
            let admin = Role::from_stored(&member.role).can_administer();
            let inboxes = switchboard_store::inboxes::member_inbox_ids(&mut conn, account_id, user.id).await.ok()?;
            Some(Subscriber::User { account_id, user_id, admin, inboxes, pubsub_token: user.pubsub_token })
        }
        (None, None) => {
            let (identity, account_id) = switchboard_store::contacts::identity_by_pubsub(&mut conn, &id.pubsub_token).await.ok()??;
            Some(Subscriber::Contact { account_id, pubsub_token: identity.pubsub_token })
        }
        _ => None,
    }
}

/// Sends what the subscriber missed after `since`, or says it is no longer kept.
async fn replay(state: &AppState, session: &mut Session, identifier: &str, sub: &Subscriber, since: i64) -> Option<i64> {
    let mut conn = state.db.get().await.ok()?;
    let account_id = sub.account_id();
    let (oldest, newest) = switchboard_store::events::bounds(&mut conn, account_id, REPLAY_WINDOW).await.ok()?;
    if since < newest && oldest.is_none_or(|o| o > since + 1) {
        send(session, protocol::replay_gap(identifier, since, oldest)).await;
        return Some(newest);
    }
    let events = switchboard_store::events::since(&mut conn, account_id, since, REPLAY_WINDOW, REPLAY_MAX).await.ok()?;
    let mut last = since;
    for e in events {
        let audience: Audience = serde_json::from_value(e.audience).unwrap_or_default();
        let envelope = Envelope::new(account_id, e.seq, e.event, e.data, audience);
        if sub.may_receive(&envelope) && !send(session, protocol::event(identifier, &envelope.event, &envelope.data, envelope.seq)).await {
            return None;
        }
        last = e.seq;
    }
    Some(last)
}

/// `perform update_presence`: marks the subscriber online and tells the account who is.
async fn presence(state: &AppState, sub: &Subscriber) {
    let (account_id, who) = match sub {
        Subscriber::User { account_id, user_id, .. } => (*account_id, format!("user:{user_id}")),
        Subscriber::Contact { account_id, pubsub_token } => {
            let Ok(mut conn) = state.db.get().await else { return };
            match switchboard_store::contacts::identity_by_pubsub(&mut conn, pubsub_token).await {
                Ok(Some((identity, _))) => (*account_id, format!("contact:{}", identity.contact_id)),
                _ => return,
            }
        }
    };
    let online = state.realtime.report_presence(account_id, &who).await;
    let Ok(mut conn) = state.db.get().await else { return };
    // Users show their chosen availability (online/busy); contacts are just online.
    let members = switchboard_store::account_users::list_raw(&mut conn, account_id).await.unwrap_or_default();
    let mut users = serde_json::Map::new();
    let mut contacts = serde_json::Map::new();
    for entry in online {
        if let Some(id) = entry.strip_prefix("user:").and_then(|i| i.parse::<i64>().ok()) {
            let status = members.iter().find(|m| m.user_id == id).map(|m| m.availability.clone()).unwrap_or_else(|| "online".into());
            users.insert(id.to_string(), Value::String(status));
        } else if let Some(id) = entry.strip_prefix("contact:") {
            contacts.insert(id.to_string(), Value::String("online".into()));
        }
    }
    let data = serde_json::json!({ "account_id": account_id, "users": users, "contacts": contacts });
    state.realtime.publish(account_id, "presence.update", data, Audience { account_wide: true, ..Default::default() }).await;
}

struct Subscription {
    identifier: String,
    /// The identifier as a JSON string, for building frames without serializing per event.
    identifier_json: String,
    subscriber: Subscriber,
    /// Live events up to here were already sent by replay.
    delivered_up_to: i64,
}

async fn connection(state: web::Data<AppState>, mut session: Session, mut stream: actix_ws::AggregatedMessageStream) {
    // Listen before anything else, so nothing published during a replay is missed.
    let mut events = state.realtime.broadcaster.subscribe_local();
    let mut subs: Vec<Subscription> = Vec::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    if !send(&mut session, protocol::welcome()).await {
        return;
    }
    let reason = loop {
        tokio::select! {
            _ = ping.tick() => {
                if !send(&mut session, protocol::ping(chrono::Utc::now().timestamp())).await {
                    break "client not reading";
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(AggregatedMessage::Text(text))) => {
                    let Ok(cmd) = serde_json::from_str::<Command>(&text) else { continue };
                    match cmd.command.as_str() {
                        "subscribe" => {
                            let Some(id) = Identifier::parse(&cmd.identifier) else {
                                send(&mut session, protocol::reject(&cmd.identifier)).await;
                                continue;
                            };
                            // Boxed: their state only exists while they run, not in every idle socket.
                            match Box::pin(authorize(&state, &id)).await {
                                Some(subscriber) => {
                                    if !send(&mut session, protocol::confirm(&cmd.identifier)).await {
                                        break "client not reading";
                                    }
                                    let delivered_up_to = match id.since() {
                                        Some(since) => match Box::pin(replay(&state, &mut session, &cmd.identifier, &subscriber, since)).await {
                                            Some(last) => last,
                                            None => break "replay failed",
                                        },
                                        None => 0,
                                    };
                                    subs.retain(|s| s.identifier != cmd.identifier);
                                    let identifier_json = serde_json::to_string(&cmd.identifier).unwrap_or_default();
                                    subs.push(Subscription { identifier: cmd.identifier, identifier_json, subscriber, delivered_up_to });
                                }
                                None => {
                                    send(&mut session, protocol::reject(&cmd.identifier)).await;
                                }
                            }
                        }
                        "unsubscribe" => subs.retain(|s| s.identifier != cmd.identifier),
                        "message" => {
                            let action = cmd.data.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok());
                            let is_presence = action.as_ref().and_then(|a| a.get("action")).and_then(Value::as_str) == Some("update_presence");
                            if let (true, Some(sub)) = (is_presence, subs.iter().find(|s| s.identifier == cmd.identifier)) {
                                Box::pin(presence(&state, &sub.subscriber)).await;
                            }
                        }
                        _ => {}
                    }
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    let _ = session.pong(&bytes).await;
                }
                Some(Ok(AggregatedMessage::Close(_))) | None | Some(Err(_)) => break "closed",
                Some(Ok(_)) => {}
            },
            event = events.recv() => match event {
                Ok(envelope) => {
                    let mut ok = true;
                    for sub in subs.iter().filter(|s| envelope.seq > s.delivered_up_to && s.subscriber.may_receive(&envelope)) {
                        if !send(&mut session, protocol::event_frame(&sub.identifier_json, envelope.message_json())).await {
                            ok = false;
                            break;
                        }
                    }
                    if !ok {
                        break "client not reading";
                    }
                }
                // It fell too far behind: drop it; it reconnects and replays with `since`.
                Err(RecvError::Lagged(_)) => break "too slow",
                // Shutting down, or this thread's relay fell behind: it reconnects and replays.
                Err(RecvError::Closed) => break "live stream ended",
            },
        }
    };
    tracing::debug!(reason, "cable connection closed");
    // A stalled client may not even take the close frame; dropping the session ends it anyway.
    let _ = tokio::time::timeout(Duration::from_secs(1), session.close(None)).await;
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
