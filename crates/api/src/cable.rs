//! `GET /cable`: the ActionCable websocket, on the connection itself.
//!
//! actix-http hands us an upgraded connection through its upgrade hook; from then on a socket
//! is this task and its subscriptions. Through actix-ws the socket would stay inside an HTTP/1
//! dispatcher for its whole life, with that dispatcher's fixed 8 KiB read and 8 KiB write
//! buffers: over the budget of 15 KB per idle connection before any state of ours. Frames are
//! decoded with actix-http's websocket codec; an event frame is written straight from the
//! event's shared JSON (one `writev`, no copy per socket).

use std::io::{self, IoSlice};
use std::time::Duration;

use actix_codec::{Decoder, Encoder, Framed};
use actix_http::body::BodySize;
use actix_http::{h1, ws, Request, Response};
use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures_util::future::LocalBoxFuture;
use futures_util::SinkExt;
use serde_json::Value;
use switchboard_realtime::protocol::{self, Command, Identifier};
use switchboard_realtime::{Audience, Envelope, Event, Subscriber};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;

use switchboard_core::realtime::{REPLAY_MAX, REPLAY_WINDOW};
use switchboard_core::state::AppState;

/// ActionCable's heartbeat.
const PING_EVERY: Duration = Duration::from_secs(3);
/// A socket that cannot take a frame for this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest client frame, and the largest message its continuations may add up to (README,
/// "Security"). A larger one is refused from its header alone, with close code 1009.
pub const MAX_FRAME: usize = 64 * 1024;
pub const MAX_MESSAGE: usize = 256 * 1024;
/// Subscriptions one socket may hold; one more is rejected.
pub const MAX_SUBSCRIPTIONS: usize = 16;

/// The upgrade hook's service: answers the handshake of `/cable` and starts its connection.
pub struct Upgrade {
    state: web::Data<AppState>,
}

impl Upgrade {
    pub fn new(state: web::Data<AppState>) -> Self {
        Self { state }
    }
}

/// Why an upgrade was not served; actix-http answers the client with it.
#[derive(Debug)]
pub struct UpgradeError(String);

impl std::fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<UpgradeError> for Response<actix_http::body::BoxBody> {
    fn from(e: UpgradeError) -> Self {
        Response::bad_request().set_body(actix_http::body::BoxBody::new(e.0))
    }
}

impl actix_service::Service<(Request, Framed<TcpStream, h1::Codec>)> for Upgrade {
    type Response = ();
    type Error = UpgradeError;
    type Future = LocalBoxFuture<'static, Result<(), UpgradeError>>;

    actix_service::always_ready!();

    fn call(&self, (req, mut framed): (Request, Framed<TcpStream, h1::Codec>)) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move {
            let response = match handshake(&req) {
                Ok(response) => response,
                Err((status, error)) => {
                    // A struct of strings: serializing it cannot fail.
                    let body = switchboard_core::views::errors::ErrorBody::error(error);
                    let body = Bytes::from(serde_json::to_string(&body).unwrap_or_default());
                    let mut refused = Response::build(status);
                    refused.insert_header((actix_http::header::CONTENT_TYPE, "application/json"));
                    let head = (refused.finish().drop_body(), BodySize::Sized(body.len() as u64));
                    let sent = async {
                        framed.send(h1::Message::Item(head)).await?;
                        framed.send(h1::Message::Chunk(Some(body))).await?;
                        framed.send(h1::Message::Chunk(None)).await
                    };
                    return sent.await.map_err(|e| UpgradeError(e.to_string()));
                }
            };
            framed.send((response, BodySize::None).into()).await.map_err(|e| UpgradeError(e.to_string()))?;
            // The dispatcher's buffers go with it; only bytes the client already sent are kept.
            let parts = framed.into_parts();
            let leftover = if parts.read_buf.is_empty() { BytesMut::new() } else { BytesMut::from(&parts.read_buf[..]) };
            actix_web::rt::spawn(connection(state, Socket::new(parts.io, leftover)));
            Ok(())
        })
    }
}

/// The 101 answer for a websocket on `/cable`; anything else gets the status and error the REST
/// routes would give.
fn handshake(req: &Request) -> Result<Response<()>, (actix_http::StatusCode, String)> {
    if req.path().trim_end_matches('/') != "/cable" {
        return Err((actix_http::StatusCode::NOT_FOUND, "Route not found".into()));
    }
    let mut builder = ws::handshake(req.head()).map_err(|e| (actix_http::StatusCode::BAD_REQUEST, e.to_string()))?;
    let offered = req.head().headers().get_all(actix_http::header::SEC_WEBSOCKET_PROTOCOL).filter_map(|v| v.to_str().ok());
    if offered.flat_map(|v| v.split(',')).any(|p| p.trim() == protocol::SUBPROTOCOL) {
        builder.insert_header((actix_http::header::SEC_WEBSOCKET_PROTOCOL, protocol::SUBPROTOCOL));
    }
    Ok(builder.finish().drop_body())
}

/// Bytes of client frames held at most: a whole frame of the largest size with its header fits.
const READ_CAP: usize = 2 * MAX_FRAME;

/// Why the server ends a connection, and the close code it says so with (RFC 6455 §7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// The client went away or the connection broke: no close frame can be sent.
    Gone,
    /// A frame or message over `MAX_FRAME`/`MAX_MESSAGE`: 1009.
    TooBig,
    /// Broken framing: 1002.
    Protocol,
    /// A binary message: 1003.
    Unsupported,
    /// The server ends it (not subscribed in time, too slow, shutting down): 1000.
    Normal,
}

impl Closing {
    fn reason(self) -> Option<ws::CloseReason> {
        let code = match self {
            Self::Gone => return None,
            Self::TooBig => ws::CloseCode::Size,
            Self::Protocol => ws::CloseCode::Protocol,
            Self::Unsupported => ws::CloseCode::Unsupported,
            Self::Normal => ws::CloseCode::Normal,
        };
        Some(code.into())
    }
}

/// Refuses the frame at the front of `pending` as soon as its header says it is larger than
/// `MAX_FRAME`. The codec only checks a frame's size once the whole frame has arrived, and we
/// never hold that many bytes, so without this a large frame would wait forever.
fn check_next_frame(pending: &[u8]) -> Result<(), Closing> {
    match declared_length(pending) {
        Some(len) if len > MAX_FRAME as u64 => Err(Closing::TooBig),
        _ => Ok(()),
    }
}

/// The payload length a frame header declares (RFC 6455 §5.2), once enough of it has arrived.
fn declared_length(header: &[u8]) -> Option<u64> {
    let short = header.get(1)? & 0x7f;
    match short {
        126 => Some(u64::from(u16::from_be_bytes([*header.get(2)?, *header.get(3)?]))),
        127 => {
            let bytes: [u8; 8] = header.get(2..10)?.try_into().ok()?;
            Some(u64::from_be_bytes(bytes))
        }
        n => Some(u64::from(n)),
    }
}

/// What a client sent, decoded.
enum Incoming {
    Text(Bytes),
    Ping(Bytes),
    Close,
}

/// One upgraded connection. Holds no buffer while idle: client bytes are read on a stack
/// buffer and kept only while a frame is incomplete.
struct Socket {
    io: TcpStream,
    pending: BytesMut,
    codec: ws::Codec,
    /// A text message arriving in continuation frames.
    partial: Option<BytesMut>,
}

impl Socket {
    fn new(io: TcpStream, pending: BytesMut) -> Self {
        Self { io, pending, codec: ws::Codec::new().max_size(MAX_FRAME), partial: None }
    }

    /// Reads what the client sent and decodes whole messages; an error ends the connection.
    /// Reads at most about two frames' worth at a time: a flood waits in the kernel's buffer,
    /// not in ours, and the socket stays readable for the next turn.
    fn read_available(&mut self) -> Result<Vec<Incoming>, Closing> {
        let mut chunk = [0u8; 4096];
        let mut read_any = false;
        while self.pending.len() < READ_CAP {
            match self.io.try_read(&mut chunk) {
                Ok(0) => return Err(Closing::Gone),
                Ok(n) => {
                    read_any = true;
                    self.pending.extend_from_slice(&chunk[..n]);
                    // Refuse an oversized frame from its header, before its payload is read.
                    check_next_frame(&self.pending)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Err(Closing::Gone),
            }
        }
        let frames = self.decode()?;
        // The buffer is full and holds no whole frame: we would wait forever on a socket that
        // stays readable (this was a busy loop). `check_next_frame` makes it unreachable; this
        // keeps it so should the codec ever disagree with it.
        if !read_any && frames.is_empty() && self.pending.len() >= READ_CAP {
            return Err(Closing::TooBig);
        }
        Ok(frames)
    }

    fn decode(&mut self) -> Result<Vec<Incoming>, Closing> {
        let mut out = Vec::new();
        loop {
            check_next_frame(&self.pending)?;
            let Some(frame) = self.codec.decode(&mut self.pending).map_err(|e| match e {
                ws::ProtocolError::Overflow => Closing::TooBig,
                _ => Closing::Protocol,
            })?
            else {
                break;
            };
            match frame {
                ws::Frame::Text(text) => {
                    if self.partial.is_some() {
                        return Err(Closing::Protocol);
                    }
                    out.push(Incoming::Text(text))
                }
                ws::Frame::Ping(bytes) => out.push(Incoming::Ping(bytes)),
                ws::Frame::Close(_) => out.push(Incoming::Close),
                ws::Frame::Continuation(item) => {
                    let (first, bytes, last) = match item {
                        ws::Item::FirstText(b) => (true, b, false),
                        // Binary messages are not spoken here.
                        ws::Item::FirstBinary(_) => return Err(Closing::Unsupported),
                        ws::Item::Continue(b) => (false, b, false),
                        ws::Item::Last(b) => (false, b, true),
                    };
                    let partial = match (&mut self.partial, first) {
                        (None, true) => self.partial.insert(BytesMut::new()),
                        (Some(p), false) => p,
                        _ => return Err(Closing::Protocol),
                    };
                    if partial.len() + bytes.len() > MAX_MESSAGE {
                        return Err(Closing::TooBig);
                    }
                    partial.extend_from_slice(&bytes);
                    if last {
                        if let Some(whole) = self.partial.take() {
                            out.push(Incoming::Text(whole.freeze()));
                        }
                    }
                }
                ws::Frame::Binary(_) | ws::Frame::Pong(_) => {}
            }
        }
        if self.pending.is_empty() {
            // Give back the capacity: an idle socket keeps no buffer.
            self.pending = BytesMut::new();
        }
        Ok(out)
    }

    /// Writes one text frame made of `parts`, or gives up after `SEND_TIMEOUT`.
    async fn send_parts(&mut self, parts: &[&[u8]]) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let header = text_header(len);
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(parts.len() + 1);
        slices.push(IoSlice::new(header.as_slice()));
        slices.extend(parts.iter().map(|p| IoSlice::new(p)));
        matches!(tokio::time::timeout(SEND_TIMEOUT, write_all_vectored(&mut self.io, &mut slices)).await, Ok(Ok(())))
    }

    async fn send(&mut self, text: &str) -> bool {
        self.send_parts(&[text.as_bytes()]).await
    }

    async fn send_control(&mut self, message: ws::Message) -> bool {
        let mut frame = BytesMut::new();
        if self.codec.encode(message, &mut frame).is_err() {
            return false;
        }
        self.send_parts_raw(&frame).await
    }

    async fn send_parts_raw(&mut self, frame: &[u8]) -> bool {
        matches!(tokio::time::timeout(SEND_TIMEOUT, self.io.write_all(frame)).await, Ok(Ok(())))
    }
}

/// The header of an unmasked, final text frame (RFC 6455 §5.2), as servers send them.
struct Header {
    bytes: [u8; 10],
    len: usize,
}

impl Header {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn text_header(payload: usize) -> Header {
    let mut bytes = [0u8; 10];
    bytes[0] = 0x81;
    let len = if payload < 126 {
        bytes[1] = payload as u8;
        2
    } else if let Ok(short) = u16::try_from(payload) {
        bytes[1] = 126;
        bytes[2..4].copy_from_slice(&short.to_be_bytes());
        4
    } else {
        bytes[1] = 127;
        bytes[2..10].copy_from_slice(&(payload as u64).to_be_bytes());
        10
    };
    Header { bytes, len }
}

async fn write_all_vectored(io: &mut TcpStream, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !slices.is_empty() {
        let n = io.write_vectored(slices).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut slices, n);
    }
    Ok(())
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
            let admin = member.role.can_administer();
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
async fn replay(state: &AppState, socket: &mut Socket, identifier: &str, sub: &Subscriber, since: i64) -> Option<i64> {
    let mut conn = state.db.get().await.ok()?;
    let account_id = sub.account_id();
    let (oldest, newest) = switchboard_store::events::bounds(&mut conn, account_id, REPLAY_WINDOW).await.ok()?;
    if since < newest && oldest.is_none_or(|o| o > since + 1) {
        socket.send(&protocol::replay_gap(identifier, since, oldest)).await;
        return Some(newest);
    }
    let events = switchboard_store::events::since(&mut conn, account_id, since, REPLAY_WINDOW, REPLAY_MAX).await.ok()?;
    let mut last = since;
    for e in events {
        let audience: Audience = serde_json::from_value(e.audience).unwrap_or_default();
        let envelope = Envelope::new(account_id, e.seq, e.event, e.data, audience);
        if sub.may_receive(&envelope) && !socket.send(&protocol::event(identifier, &envelope.event, &envelope.data, envelope.seq)).await {
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
    let mut presence = switchboard_core::views::Presence { account_id, users: Default::default(), contacts: Default::default() };
    for entry in online {
        if let Some(id) = entry.strip_prefix("user:").and_then(|i| i.parse::<i64>().ok()) {
            let status = members.iter().find(|m| m.user_id == id).map(|m| m.availability.clone()).unwrap_or_else(|| "online".into());
            presence.users.insert(id.to_string(), status);
        } else if let Some(id) = entry.strip_prefix("contact:") {
            presence.contacts.insert(id.to_string(), "online");
        }
    }
    let data = match switchboard_core::views::value(&presence) {
        Ok(data) => data,
        Err(e) => return tracing::warn!(error = %e, "presence not presented"),
    };
    state.realtime.publish(account_id, Event::PresenceUpdate, data, Audience { account_wide: true, ..Default::default() }).await;
}

struct Subscription {
    identifier: String,
    /// `{"identifier":"…","message":`: an event frame is this, the event's JSON and `}`.
    frame_prefix: String,
    subscriber: Subscriber,
    /// Live events up to here were already sent by replay.
    delivered_up_to: i64,
}

/// Handles one client command; an error ends the connection.
async fn command(state: &AppState, socket: &mut Socket, subs: &mut Vec<Subscription>, text: &[u8]) -> Result<(), Closing> {
    let Ok(cmd) = serde_json::from_slice::<Command>(text) else { return Ok(()) };
    match cmd.command.as_str() {
        "subscribe" => {
            let fresh = !subs.iter().any(|s| s.identifier == cmd.identifier);
            let subscriber = match Identifier::parse(&cmd.identifier) {
                // One more subscription than the limit is refused (each one gets every event).
                Some(_) if fresh && subs.len() >= MAX_SUBSCRIPTIONS => None,
                Some(id) => authorize(state, &id).await,
                None => None,
            };
            let Some(subscriber) = subscriber else {
                return sent(socket.send(&protocol::reject(&cmd.identifier)).await);
            };
            sent(socket.send(&protocol::confirm(&cmd.identifier)).await)?;
            let delivered_up_to = match Identifier::parse(&cmd.identifier).and_then(|id| id.since()) {
                Some(since) => replay(state, socket, &cmd.identifier, &subscriber, since).await.ok_or(Closing::Gone)?,
                None => 0,
            };
            subs.retain(|s| s.identifier != cmd.identifier);
            let frame_prefix = format!("{{\"identifier\":{},\"message\":", serde_json::to_string(&cmd.identifier).unwrap_or_default());
            subs.push(Subscription { identifier: cmd.identifier, frame_prefix, subscriber, delivered_up_to });
        }
        "unsubscribe" => subs.retain(|s| s.identifier != cmd.identifier),
        "message" => {
            let action = cmd.data.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok());
            let is_presence = action.as_ref().and_then(|a| a.get("action")).and_then(Value::as_str) == Some("update_presence");
            if let (true, Some(sub)) = (is_presence, subs.iter().find(|s| s.identifier == cmd.identifier)) {
                presence(state, &sub.subscriber).await;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A write that did not go through means the client is gone.
fn sent(ok: bool) -> Result<(), Closing> {
    if ok {
        Ok(())
    } else {
        Err(Closing::Gone)
    }
}

/// Handles what the client sent; an error ends the connection.
async fn incoming(state: &AppState, socket: &mut Socket, subs: &mut Vec<Subscription>, frames: Vec<Incoming>) -> Result<(), Closing> {
    for frame in frames {
        match frame {
            Incoming::Text(text) => command(state, socket, subs, &text).await?,
            Incoming::Ping(bytes) => sent(socket.send_control(ws::Message::Pong(bytes)).await)?,
            Incoming::Close => return Err(Closing::Normal),
        }
    }
    Ok(())
}

/// Sends a live event to the subscriptions entitled to it; an access change instead checks the
/// subscriptions of the users it names again, at once.
async fn deliver(state: &AppState, socket: &mut Socket, subs: &mut Vec<Subscription>, envelope: &Envelope) -> Result<(), Closing> {
    if let Some(users) = envelope.access_changed() {
        return Box::pin(reauthorize(state, socket, subs, envelope.account_id, &users)).await;
    }
    for sub in subs.iter().filter(|s| envelope.seq > s.delivered_up_to && s.subscriber.may_receive(envelope)) {
        sent(socket.send_parts(&[sub.frame_prefix.as_bytes(), envelope.message_json().as_bytes(), b"}"]).await)?;
    }
    Ok(())
}

/// Membership, role, deletion or credentials of these users changed: their subscriptions take
/// the user's rights as they are now, or are rejected and dropped (and the socket closed when it
/// has none left).
async fn reauthorize(
    state: &AppState,
    socket: &mut Socket,
    subs: &mut Vec<Subscription>,
    account_id: i64,
    users: &[i64],
) -> Result<(), Closing> {
    let mut dropped = false;
    let mut kept = Vec::with_capacity(subs.len());
    for mut sub in subs.drain(..) {
        let affected =
            matches!(&sub.subscriber, Subscriber::User { account_id: a, user_id, .. } if *a == account_id && users.contains(user_id));
        if !affected {
            kept.push(sub);
            continue;
        }
        match Identifier::parse(&sub.identifier) {
            Some(id) => match authorize(state, &id).await {
                Some(now) => {
                    sub.subscriber = now;
                    kept.push(sub);
                }
                None => {
                    dropped = true;
                    sent(socket.send(&protocol::reject(&sub.identifier)).await)?;
                }
            },
            None => dropped = true,
        }
    }
    *subs = kept;
    if dropped && subs.is_empty() {
        return Err(Closing::Normal);
    }
    Ok(())
}

async fn connection(state: web::Data<AppState>, mut socket: Socket) {
    // Listen before anything else, so nothing published during a replay is missed.
    let mut events = state.realtime.broadcaster.subscribe_local();
    let mut subs: Vec<Subscription> = Vec::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    // When the socket last held no subscription; it is closed after `SUBSCRIBE_WITHIN` so.
    let mut unsubscribed_since = Some(tokio::time::Instant::now());
    if !socket.send(&protocol::welcome()).await {
        return;
    }
    // A client may have sent its first commands along with the handshake.
    let early = match socket.decode() {
        Ok(frames) => Box::pin(incoming(&state, &mut socket, &mut subs, frames)).await,
        Err(closing) => Err(closing),
    };
    let closing = match early {
        Err(closing) => closing,
        Ok(()) => loop {
            unsubscribed_since = match (subs.is_empty(), unsubscribed_since) {
                (false, _) => None,
                (true, None) => Some(tokio::time::Instant::now()),
                (true, since) => since,
            };
            tokio::select! {
                _ = ping.tick() => {
                    if unsubscribed_since.is_some_and(|t| t.elapsed() >= state.settings.cable_subscribe_within) {
                        tracing::debug!("cable connection closed: no subscription");
                        break Closing::Normal;
                    }
                    if !socket.send(&protocol::ping(chrono::Utc::now().timestamp())).await {
                        break Closing::Gone;
                    }
                }
                ready = socket.io.readable() => {
                    let frames = match ready {
                        Ok(()) => socket.read_available(),
                        Err(_) => Err(Closing::Gone),
                    };
                    // Boxed: their state only exists while they run, not in every idle socket.
                    let handled = match frames {
                        Ok(frames) => Box::pin(incoming(&state, &mut socket, &mut subs, frames)).await,
                        Err(closing) => Err(closing),
                    };
                    if let Err(closing) = handled {
                        break closing;
                    }
                }
                event = events.recv() => match event {
                    Ok(envelope) => {
                        if let Err(closing) = deliver(&state, &mut socket, &mut subs, &envelope).await {
                            break closing;
                        }
                    }
                    // It fell too far behind: drop it; it reconnects and replays with `since`.
                    Err(RecvError::Lagged(_)) => break Closing::Normal,
                    // Shutting down, or this thread's relay fell behind: it reconnects and replays.
                    Err(RecvError::Closed) => break Closing::Normal,
                },
            }
        },
    };
    tracing::debug!(?closing, "cable connection closed");
    if let Some(reason) = closing.reason() {
        // A stalled client may not even take the close frame; dropping the socket ends it anyway.
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.send_control(ws::Message::Close(Some(reason)))).await;
    }
    let _ = socket.io.shutdown().await;
}

/// `GET /cable` without an upgrade: what a websocket endpoint says to plain HTTP.
pub async fn not_upgraded() -> actix_web::HttpResponse {
    actix_web::HttpResponse::BadRequest().json(switchboard_core::views::errors::ErrorBody::error("websocket upgrade expected"))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn frame_headers_use_the_shortest_length_encoding() {
        assert_eq!(text_header(5).as_slice(), &[0x81, 5]);
        assert_eq!(text_header(125).as_slice(), &[0x81, 125]);
        assert_eq!(text_header(126).as_slice(), &[0x81, 126, 0, 126]);
        assert_eq!(text_header(65_535).as_slice(), &[0x81, 126, 0xff, 0xff]);
        assert_eq!(text_header(65_536).as_slice(), &[0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn our_text_header_matches_the_codec() -> TestResult {
        for len in [0usize, 10, 125, 126, 300, 70_000] {
            let payload = "x".repeat(len);
            let mut encoded = BytesMut::new();
            ws::Codec::new().max_size(usize::MAX).encode(ws::Message::Text(payload.clone().into()), &mut encoded)?;
            let mut ours = text_header(len).as_slice().to_vec();
            ours.extend_from_slice(payload.as_bytes());
            assert_eq!(&encoded[..], &ours[..], "length {len}");
        }
        Ok(())
    }
}
