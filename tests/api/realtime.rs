use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use switchboard_testkit::{TestApp, World};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::conversations::{new_conversation, setup};

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects as an ActionCable client does and reads the welcome.
pub(crate) async fn connect(app: &TestApp) -> Ws {
    let url = app.address.replace("http://", "ws://") + "/cable";
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "actioncable-v1-json".parse().unwrap());
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "actioncable-v1-json");
    assert_eq!(next_frame(&mut ws).await.unwrap()["type"], "welcome");
    ws
}

/// The next non-ping frame, or None after `wait`.
pub(crate) async fn next_within(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.ok()??.ok()?;
        if let Message::Text(text) = frame {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["type"] != "ping" {
                return Some(v);
            }
        }
    }
}

async fn next_frame(ws: &mut Ws) -> Option<Value> {
    next_within(ws, Duration::from_secs(5)).await
}

pub(crate) fn identifier(token: &str, account_id: i64, user_id: i64, since: Option<i64>) -> String {
    let mut id = json!({ "channel": "RoomChannel", "pubsub_token": token, "account_id": account_id, "user_id": user_id });
    if let Some(s) = since {
        id["since"] = json!(s);
    }
    id.to_string()
}

/// The realtime token of the contact identity with this source id.
async fn contact_pubsub(app: &TestApp, source_id: &str) -> String {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchboard_store::schema::contact_inboxes;
    let mut conn = app.db.get().await.unwrap();
    contact_inboxes::table
        .filter(contact_inboxes::source_id.eq(source_id))
        .select(contact_inboxes::pubsub_token)
        .first::<String>(&mut conn)
        .await
        .unwrap()
}

pub(crate) async fn subscribe(ws: &mut Ws, identifier: &str) -> Value {
    ws.send(Message::text(json!({ "command": "subscribe", "identifier": identifier }).to_string())).await.unwrap();
    next_frame(ws).await.unwrap()
}

async fn say(app: &TestApp, w: &World, display_id: i64, content: &str) -> Value {
    let r = app
        .post(&w.path(&format!("/conversations/{display_id}/messages")))
        .token(&w.admin.access_token)
        .json(&json!({ "content": content }))
        .send()
        .await;
    assert_eq!(r.status, 200);
    r.body
}

#[tokio::test]
async fn subscribers_get_their_accounts_events_and_nothing_else() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;

    let mut agent = connect(&app).await;
    let agent_id = identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None);
    let confirmed = subscribe(&mut agent, &agent_id).await;
    assert_eq!(confirmed, json!({ "identifier": agent_id, "type": "confirm_subscription" }));

    // A wrong token, a token with someone else's user id, and another account's admin.
    let mut intruder = connect(&app).await;
    for bad in [
        identifier("not-a-token", w.account_id, w.agent.id, None),
        identifier(&w.agent.pubsub_token, w.account_id, w.admin.id, None),
        identifier(&w.outsider.pubsub_token, w.account_id, w.outsider.id, None),
        "{not json".to_string(),
    ] {
        assert_eq!(subscribe(&mut intruder, &bad).await["type"], "reject_subscription", "{bad}");
    }
    let mut other = connect(&app).await;
    let other_id = identifier(&w.outsider.pubsub_token, w.other_account_id, w.outsider.id, None);
    assert_eq!(subscribe(&mut other, &other_id).await["type"], "confirm_subscription");

    let sent = say(&app, &w, 1, "live!").await;
    let frame = next_frame(&mut agent).await.unwrap();
    assert_eq!(frame["identifier"], agent_id);
    assert_eq!(frame["message"]["event"], "message.created");
    let data = &frame["message"]["data"];
    assert_eq!(data["id"], sent["id"]);
    assert_eq!(data["content"], "live!");
    assert_eq!(data["account_id"], w.account_id);
    assert_eq!(data["conversation"]["id"], 1);
    assert!(frame["message"]["seq"].as_i64().unwrap() > 0);

    // Rejected and foreign sockets receive nothing, ever.
    assert_eq!(next_within(&mut intruder, Duration::from_millis(700)).await, None);
    assert_eq!(next_within(&mut other, Duration::from_millis(100)).await, None);
}

#[tokio::test]
async fn agents_only_hear_their_inboxes_and_contacts_only_public_messages() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let hidden_inbox = app.create_inbox(w.account_id, "Hidden").await;
    let hidden = app
        .post(&w.path("/conversations"))
        .token(&w.admin.access_token)
        .json(&json!({ "inbox_id": hidden_inbox, "contact_id": contact }))
        .send()
        .await;
    assert_eq!(hidden.body["id"], 2);

    let mut agent = connect(&app).await;
    subscribe(&mut agent, &identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None)).await;
    let mut admin = connect(&app).await;
    subscribe(&mut admin, &identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None)).await;
    // The contact subscribes with its identity's token.
    let token = contact_pubsub(&app, "carla-1").await;
    let mut customer = connect(&app).await;
    let customer_id = json!({ "channel": "RoomChannel", "pubsub_token": token }).to_string();
    assert_eq!(subscribe(&mut customer, &customer_id).await["type"], "confirm_subscription");

    say(&app, &w, 2, "in the hidden inbox").await;
    assert_eq!(next_frame(&mut admin).await.unwrap()["message"]["data"]["content"], "in the hidden inbox");
    let note = app
        .post(&w.path("/conversations/1/messages"))
        .token(&w.admin.access_token)
        .json(&json!({ "content": "internal", "private": true }))
        .send()
        .await;
    assert_eq!(note.status, 200);
    say(&app, &w, 1, "hello customer").await;
    // The agent: nothing from the hidden inbox, then the note and the reply.
    assert_eq!(next_frame(&mut agent).await.unwrap()["message"]["data"]["content"], "internal");
    assert_eq!(next_frame(&mut agent).await.unwrap()["message"]["data"]["content"], "hello customer");
    // The contact: only the public reply.
    assert_eq!(next_frame(&mut customer).await.unwrap()["message"]["data"]["content"], "hello customer");
    assert_eq!(next_within(&mut customer, Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn resubscribing_with_since_replays_exactly_what_was_missed() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let id = identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None);

    let mut ws = connect(&app).await;
    subscribe(&mut ws, &id).await;
    say(&app, &w, 1, "before").await;
    let seen = next_frame(&mut ws).await.unwrap()["message"]["seq"].as_i64().unwrap();
    drop(ws);

    let mut missed = Vec::new();
    for text in ["one", "two", "three"] {
        missed.push(say(&app, &w, 1, text).await["id"].clone());
    }
    let mut ws = connect(&app).await;
    let replay_id = identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, Some(seen));
    assert_eq!(subscribe(&mut ws, &replay_id).await["type"], "confirm_subscription");
    let mut got = Vec::new();
    while let Some(frame) = next_within(&mut ws, Duration::from_millis(700)).await {
        got.push((frame["message"]["seq"].as_i64().unwrap(), frame["message"]["data"]["id"].clone()));
    }
    let ids: Vec<Value> = got.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids, missed, "exactly the three, in order, none doubled");
    assert!(got.windows(2).all(|p| p[0].0 < p[1].0));

    // Then the live stream continues, without repeating the replay.
    let live = say(&app, &w, 1, "live again").await;
    let frame = next_frame(&mut ws).await.unwrap();
    assert_eq!(frame["message"]["data"]["id"], live["id"]);
    assert_eq!(next_within(&mut ws, Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn a_gap_older_than_the_history_is_announced() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    for i in 0..3 {
        say(&app, &w, 1, &format!("m{i}")).await;
    }
    // Drop the history, as retention would after ten minutes.
    {
        use diesel_async::RunQueryDsl;
        let mut conn = app.db.get().await.unwrap();
        diesel::sql_query("DELETE FROM realtime_events").execute(&mut conn).await.unwrap();
    }
    let mut ws = connect(&app).await;
    assert_eq!(
        subscribe(&mut ws, &identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, Some(1))).await["type"],
        "confirm_subscription"
    );
    let frame = next_frame(&mut ws).await.unwrap();
    assert_eq!(frame["message"]["event"], "replay.unavailable");
    assert_eq!(frame["message"]["data"]["since"], 1);
}

/// Two app processes sharing a database and a private Redis, with the usual cast, an inbox
/// (the agent's) and conversation 1 in it.
async fn two_nodes() -> (switchboard_testkit::TestRedis, TestApp, TestApp, World, i64) {
    let redis = switchboard_testkit::TestRedis::start().await.unwrap();
    let node_a = TestApp::spawn_with(|s| s.redis_url = Some(redis.url())).await;
    let node_b = TestApp::spawn_on(node_a.database_url.clone(), |s| s.redis_url = Some(redis.url())).await.unwrap();
    let w = node_a.seed().await;
    let (inbox, contact) = setup(&node_a, &w).await;
    new_conversation(&node_a, &w, inbox, contact).await;
    (redis, node_a, node_b, w, inbox)
}

#[tokio::test]
async fn events_reach_sockets_on_every_node_through_redis_even_after_a_restart() {
    let (redis, node_a, node_b, w, _) = two_nodes().await;

    let id = identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None);
    let mut on_b = connect(&node_b).await;
    subscribe(&mut on_b, &id).await;
    let mut on_a = connect(&node_a).await;
    subscribe(&mut on_a, &id).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // both relays subscribed

    let sent = say(&node_a, &w, 1, "written on A").await;
    assert_eq!(next_frame(&mut on_b).await.unwrap()["message"]["data"]["id"], sent["id"], "B's socket hears A's write");
    assert_eq!(next_frame(&mut on_a).await.unwrap()["message"]["data"]["id"], sent["id"]);
    assert_eq!(next_within(&mut on_a, Duration::from_millis(300)).await, None, "no double delivery on the writing node");

    // Redis dies and comes back on the same address: delivery resumes by itself within 5 s.
    let port = redis.port();
    redis.stop();
    drop(redis);
    let redis = switchboard_testkit::TestRedis::start_on(port).await.unwrap();
    let restarted = tokio::time::Instant::now();
    let mut resumed = None;
    while restarted.elapsed() < Duration::from_secs(5) {
        let probe = say(&node_a, &w, 1, "after restart").await;
        let deadline = Duration::from_millis(400);
        while let Some(frame) = next_within(&mut on_b, deadline).await {
            if frame["message"]["data"]["id"] == probe["id"] {
                resumed = Some(restarted.elapsed());
            }
        }
        if resumed.is_some() {
            break;
        }
    }
    let resumed = resumed.expect("delivery across nodes resumed within 5 s of the restart");
    assert!(resumed < Duration::from_secs(5), "{resumed:?}");
    drop(redis);
}

/// Every non-ping frame that arrives within `wait`, as (event, data).
async fn drain(ws: &mut Ws, wait: Duration) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    while let Some(frame) = next_within(ws, wait).await {
        out.push((frame["message"]["event"].as_str().unwrap_or_default().to_string(), frame["message"]["data"].clone()));
    }
    out
}

#[tokio::test]
async fn write_paths_emit_the_reference_events_to_the_right_people() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let token = contact_pubsub(&app, "carla-1").await;
    let mut agent = connect(&app).await;
    subscribe(&mut agent, &identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None)).await;
    let mut customer = connect(&app).await;
    subscribe(&mut customer, &json!({ "channel": "RoomChannel", "pubsub_token": token }).to_string()).await;
    let admin = &w.admin.access_token;
    let agent_token = &w.agent.access_token;

    new_conversation(&app, &w, inbox, contact).await;
    app.post(&w.path("/conversations/1/toggle_status")).token(admin).json(&json!({ "status": "pending" })).send().await;
    app.post(&w.path("/conversations/1/assignments")).token(admin).json(&json!({ "assignee_id": w.agent.id })).send().await;
    app.post(&w.path("/conversations/1/labels")).token(admin).json(&json!({ "labels": ["vip"] })).send().await;
    app.post(&w.path("/conversations/1/toggle_typing_status")).token(agent_token).json(&json!({ "typing_status": "on" })).send().await;
    app.post(&w.path("/conversations/1/toggle_typing_status"))
        .token(admin)
        .json(&json!({ "typing_status": "on", "is_private": true }))
        .send()
        .await;
    let sent = say(&app, &w, 1, "to be deleted").await;
    app.delete(&w.path(&format!("/conversations/1/messages/{}", sent["id"]))).token(admin).send().await;
    app.post(&w.path("/conversations/1/update_last_seen")).token(agent_token).send().await;
    app.put(&w.path(&format!("/contacts/{contact}"))).token(admin).json(&json!({ "name": "Carla R" })).send().await;

    let agent_events: Vec<String> = drain(&mut agent, Duration::from_millis(700)).await.into_iter().map(|(e, _)| e).collect();
    assert_eq!(
        agent_events,
        vec![
            "conversation.created",
            "message.created", // activity: marked as pending
            "conversation.status_changed",
            "message.created", // activity: assigned
            "assignee.changed",
            "notification.created", // the assignment, to the agent alone
            "message.created",      // activity: label added
            "conversation.updated",
            "conversation.typing_on", // the admin's; the agent's own never comes back
            "message.created",
            "message.updated",
            "conversation.read",
            "contact.updated",
        ]
    );
    let customer_events = drain(&mut customer, Duration::from_millis(300)).await;
    let names: Vec<&str> = customer_events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        vec!["conversation.created", "conversation.status_changed", "conversation.typing_on", "message.created", "message.updated"],
        "the contact: its conversation's life, public messages, and non-private typing only"
    );
    assert_eq!(customer_events[3].1["content"], "to be deleted");
    assert_eq!(customer_events[4].1["content"], "This message was deleted");
}

async fn report_presence(ws: &mut Ws, identifier: &str) {
    let data = json!({ "action": "update_presence" }).to_string();
    ws.send(Message::text(json!({ "command": "message", "identifier": identifier, "data": data }).to_string())).await.unwrap();
}

#[tokio::test]
async fn presence_is_shared_and_expires() {
    let app = TestApp::spawn_with(|s| s.presence_ttl = Duration::from_millis(1500)).await;
    let w = app.seed().await;
    let admin_id = identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None);
    let agent_id = identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None);
    let mut admin = connect(&app).await;
    subscribe(&mut admin, &admin_id).await;
    let mut agent = connect(&app).await;
    subscribe(&mut agent, &agent_id).await;
    let mut outsider = connect(&app).await;
    subscribe(&mut outsider, &identifier(&w.outsider.pubsub_token, w.other_account_id, w.outsider.id, None)).await;

    report_presence(&mut agent, &agent_id).await;
    let frame = next_frame(&mut admin).await.unwrap();
    assert_eq!(frame["message"]["event"], "presence.update");
    assert_eq!(frame["message"]["data"]["account_id"], w.account_id);
    assert_eq!(frame["message"]["data"]["users"], json!({ w.agent.id.to_string(): "online" }));
    assert_eq!(next_frame(&mut agent).await.unwrap()["message"]["event"], "presence.update", "every user of the account hears it");

    // The agent stops reporting; later, only the admin is online.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    report_presence(&mut admin, &admin_id).await;
    let frame = next_frame(&mut admin).await.unwrap();
    assert_eq!(frame["message"]["data"]["users"], json!({ w.admin.id.to_string(): "online" }));
    assert_eq!(next_within(&mut outsider, Duration::from_millis(200)).await, None, "never across accounts");
}

#[tokio::test]
async fn a_stalled_client_is_dropped_without_delaying_the_others() {
    let app = TestApp::spawn_with(|s| s.realtime_queue = 16).await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let id = identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None);
    let mut healthy = connect(&app).await;
    subscribe(&mut healthy, &id).await;
    let mut stalled = connect(&app).await;
    subscribe(&mut stalled, &id).await;

    // The stalled client stops reading while large events pile up, more than the kernel's
    // socket buffers hold, so the server's sends to it block.
    let big = "x".repeat(140_000);
    let mut sent = Vec::new();
    for _ in 0..250 {
        sent.push(say(&app, &w, 1, &big).await["id"].clone());
        // The healthy client keeps up and gets each event right away.
        let frame = next_frame(&mut healthy).await.unwrap();
        assert_eq!(frame["message"]["data"]["id"], *sent.last().unwrap());
    }
    // Past the 5 s send timeout, the server gives up on the stalled client.
    tokio::time::sleep(Duration::from_secs(6)).await;
    say(&app, &w, 1, "one more").await;
    let mut got = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let closed = loop {
        match tokio::time::timeout_at(deadline, stalled.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.contains("message.created") => got += 1,
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break true,
            Ok(Some(Ok(_))) => {}
            Err(_) => break false,
        }
    };
    assert!(closed, "the server disconnected the stalled client");
    assert!(got < sent.len(), "it did not get everything: {got}");
}

#[tokio::test]
async fn merging_contacts_announces_the_moved_conversations() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, mergee) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, mergee).await;
    let base = app.post(&w.path("/contacts")).token(&w.admin.access_token).json(&json!({ "name": "Base" })).send().await.body["payload"]
        ["contact"]["id"]
        .clone();
    let mut admin = connect(&app).await;
    subscribe(&mut admin, &identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None)).await;

    let merged = app
        .post(&w.path("/actions/contact_merge"))
        .token(&w.admin.access_token)
        .json(&json!({ "base_contact_id": base, "mergee_contact_id": mergee }))
        .send()
        .await;
    assert_eq!(merged.status, 200);
    let events = drain(&mut admin, Duration::from_millis(500)).await;
    let changed = events.iter().find(|(e, _)| e == "conversation.contact_changed").expect("contact_changed");
    assert_eq!(changed.1["id"], 1);
    assert_eq!(changed.1["meta"]["sender"]["id"], base);
    assert!(events.iter().any(|(e, d)| e == "contact.merged" && d["id"] == base && d["mergee"]["id"] == mergee));
}

/// A client frame as browsers send it: masked (with a zero key, which leaves the bytes as
/// they are; the server must still unmask).
fn client_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// Reads one server frame: its opcode and payload. Server frames are never masked.
async fn server_frame(io: &mut tokio::net::TcpStream) -> (u8, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut head = [0u8; 2];
    io.read_exact(&mut head).await.unwrap();
    assert_eq!(head[1] & 0x80, 0, "server frames are unmasked");
    let len = match head[1] & 0x7f {
        126 => io.read_u16().await.unwrap() as usize,
        127 => io.read_u64().await.unwrap() as usize,
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    io.read_exact(&mut payload).await.unwrap();
    (head[0] & 0x0f, payload)
}

/// The response head, byte by byte, so nothing after it is consumed.
async fn read_head(io: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(io.read_u8().await.unwrap());
    }
    String::from_utf8(head).unwrap()
}

/// The next text frame that is not a ping.
async fn server_text(io: &mut tokio::net::TcpStream) -> Value {
    loop {
        let (opcode, payload) = tokio::time::timeout(Duration::from_secs(5), server_frame(io)).await.expect("a frame in time");
        assert_eq!(opcode, 1, "a text frame");
        let v: Value = serde_json::from_slice(&payload).unwrap();
        if v["type"] != "ping" {
            return v;
        }
    }
}

#[tokio::test]
async fn the_socket_speaks_websocket_framing_on_the_raw_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let port = app.address.rsplit(':').next().unwrap().to_string();
    let handshake = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n"
        )
    };
    // Plain HTTP to /cable, and an upgrade anywhere else, get JSON errors.
    let plain = app.get("/cable").send().await;
    assert_eq!(plain.status, 400);
    assert_eq!(plain.body["error"], "websocket upgrade expected");
    let mut io = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
    io.write_all(handshake("/elsewhere").as_bytes()).await.unwrap();
    let mut answer = String::new();
    io.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.ends_with(r#"{"error":"Route not found"}"#), "{answer}");
    let mut io = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
    io.write_all(handshake("/cable").replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8").as_bytes()).await.unwrap();
    let mut answer = String::new();
    io.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#"{"error":"#), "{answer}");

    // The handshake and the first command in one write, as a fast client may send them; the
    // command is split over a text frame and a continuation frame.
    let id = identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None);
    let subscribe = json!({ "command": "subscribe", "identifier": id }).to_string();
    let (first, rest) = subscribe.as_bytes().split_at(20);
    let mut opening = handshake("/cable").into_bytes();
    opening.extend(client_frame(0x1, false, first));
    opening.extend(client_frame(0x0, true, rest));
    let mut io = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
    io.write_all(&opening).await.unwrap();
    let head = read_head(&mut io).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
    assert!(head.to_ascii_lowercase().contains("sec-websocket-protocol: actioncable-v1-json"), "{head}");
    assert_eq!(server_text(&mut io).await, json!({ "type": "welcome" }));
    assert_eq!(server_text(&mut io).await, json!({ "identifier": id, "type": "confirm_subscription" }));

    // A ping is answered with a pong carrying the same bytes.
    io.write_all(&client_frame(0x9, true, b"are you there")).await.unwrap();
    let (opcode, payload) = loop {
        let (opcode, payload) = server_frame(&mut io).await;
        if opcode != 1 {
            break (opcode, payload);
        }
    };
    assert_eq!((opcode, payload.as_slice()), (0xA, &b"are you there"[..]));

    // Events arrive as text frames with the two-byte length form (they are over 125 bytes).
    say(&app, &w, 1, "framed").await;
    let event = server_text(&mut io).await;
    assert_eq!(event["message"]["event"], "message.created");
    assert_eq!(event["message"]["data"]["content"], "framed");

    // A close is answered with a close, then the connection ends.
    io.write_all(&client_frame(0x8, true, &[0x03, 0xe8])).await.unwrap();
    let closing = loop {
        let (opcode, _) = server_frame(&mut io).await;
        if opcode != 1 {
            break opcode;
        }
    };
    assert_eq!(closing, 0x8);
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), io.read_to_end(&mut rest)).await;
    assert!(matches!(ended, Ok(Ok(_))), "the server closed the connection");
}

/// `tests/actioncable`, with its packages installed (`npm ci`, once).
fn actioncable_client_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/actioncable");
    if !dir.join("node_modules/@rails/actioncable").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the @rails/actioncable check (Debian: apt install nodejs npm)");
        assert!(status.success(), "npm ci in tests/actioncable failed");
    }
    dir
}

/// Runs the published ActionCable client; its output, a JSON value per line, comes through the channel.
fn actioncable_client(app: &TestApp, identifier: &str, messages: usize) -> (tokio::process::Child, tokio::sync::mpsc::Receiver<Value>) {
    use tokio::io::AsyncBufReadExt;
    let url = app.address.replace("http://", "ws://") + "/cable";
    let mut child = tokio::process::Command::new("node")
        .arg("client.mjs")
        .args([url.as_str(), identifier, &messages.to_string()])
        .current_dir(actioncable_client_dir())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is needed for the @rails/actioncable check (Debian: apt install nodejs npm)");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(serde_json::from_str(&line).unwrap()).await.is_err() {
                break;
            }
        }
    });
    (child, rx)
}

async fn client_says(rx: &mut tokio::sync::mpsc::Receiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("the client spoke in time").expect("the client is running")
}

#[tokio::test]
async fn an_unmodified_rails_actioncable_client_connects_subscribes_and_receives() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;

    // A wrong token: ActionCable reports the rejection to the subscription.
    let (mut refused, mut said) = actioncable_client(&app, &identifier("not-a-token", w.account_id, w.admin.id, None), 1);
    assert_eq!(client_says(&mut said).await, json!({ "type": "rejected" }));
    assert!(refused.wait().await.unwrap().success());

    let id = identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None);
    let (mut client, mut said) = actioncable_client(&app, &id, 2);
    assert_eq!(client_says(&mut said).await, json!({ "type": "connected", "protocol": "actioncable-v1-json" }));
    say(&app, &w, 1, "hello from the inbox").await;
    say(&app, &w, 1, "and again").await;
    let mut contents = Vec::new();
    for _ in 0..2 {
        let heard = client_says(&mut said).await;
        assert_eq!(heard["type"], "received", "{heard}");
        assert_eq!(heard["message"]["event"], "message.created");
        assert_eq!(heard["message"]["data"]["account_id"], w.account_id);
        contents.push(heard["message"]["data"]["content"].as_str().unwrap().to_string());
    }
    assert_eq!(contents, ["hello from the inbox", "and again"]);
    assert!(client.wait().await.unwrap().success());
}

/// The subscription is rejected within a second, and later events of the account stay away.
async fn assert_revoked(app: &TestApp, w: &World, ws: &mut Ws, id: &str, case: &str) {
    let frame = next_within(ws, Duration::from_secs(1)).await.unwrap_or_else(|| panic!("{case}: nothing within a second"));
    assert_eq!(frame, json!({ "identifier": id, "type": "reject_subscription" }), "{case}");
    say(app, w, 1, "after the revocation").await;
    assert_eq!(next_within(ws, Duration::from_millis(500)).await, None, "{case}: an event arrived after the revocation");
}

/// A fresh agent of the account, member of `inbox`, with a password, subscribed on its own socket.
async fn subscribed_agent(app: &TestApp, w: &World, inbox: i64, on: &TestApp) -> (switchboard_store::models::User, Ws, String) {
    let user = app.create_user("Rita Revoked", Some("first-secret-1")).await;
    app.add_member(w.account_id, &user, "agent").await;
    app.add_inbox_member(inbox, &user).await;
    let id = identifier(&user.pubsub_token, w.account_id, user.id, None);
    let mut ws = connect(on).await;
    assert_eq!(subscribe(&mut ws, &id).await["type"], "confirm_subscription");
    say(app, w, 1, "while allowed").await;
    assert_eq!(next_frame(&mut ws).await.unwrap()["message"]["event"], "message.created", "receives while allowed");
    (user, ws, id)
}

#[tokio::test]
async fn revoked_access_ends_open_subscriptions_within_a_second() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;

    // Removed from the inbox.
    let (user, mut ws, _) = subscribed_agent(&app, &w, inbox, &app).await;
    let body = json!({ "inbox_id": inbox, "user_ids": [user.id] });
    assert_eq!(app.delete(&w.path("/inbox_members")).token(&w.admin.access_token).json(&body).send().await.status, 200);
    // Still an agent of the account, so the socket keeps its subscription, without the inbox.
    say(&app, &w, 1, "after leaving the inbox").await;
    assert_eq!(next_within(&mut ws, Duration::from_millis(700)).await, None, "removed from the inbox: no more of its events");
    // Replay follows the same rule: a new subscription with `since` gets none of the inbox's events.
    let mut again = connect(&app).await;
    assert_eq!(
        subscribe(&mut again, &identifier(&user.pubsub_token, w.account_id, user.id, Some(0))).await["type"],
        "confirm_subscription"
    );
    let replayed = drain(&mut again, Duration::from_millis(500)).await;
    assert!(replayed.iter().any(|(e, _)| e == "contact.created"), "account-wide events are replayed: {replayed:?}");
    assert!(!replayed.iter().any(|(e, _)| e.starts_with("message.") || e.starts_with("conversation.")), "{replayed:?}");

    // Removed from the account.
    let (user, mut ws, id) = subscribed_agent(&app, &w, inbox, &app).await;
    assert_eq!(app.delete(&w.path(&format!("/agents/{}", user.id))).token(&w.admin.access_token).send().await.status, 200);
    assert_revoked(&app, &w, &mut ws, &id, "removed from the account").await;

    // Password changed (by the user, from another session).
    let (user, mut ws, id) = subscribed_agent(&app, &w, inbox, &app).await;
    let change = json!({ "current_password": "first-secret-1", "password": "second-secret-2", "password_confirmation": "second-secret-2" });
    let changed = app.put("/api/v1/profile").token(&user.access_token).json(&change).send().await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_ne!(changed.body["pubsub_token"], user.pubsub_token.as_str(), "a new socket credential comes with the new password");
    assert_revoked(&app, &w, &mut ws, &id, "password changed").await;

    // Deleted (by the platform app that created the user).
    let platform = app.create_platform_app("crm").await;
    let created = app
        .post("/platform/api/v1/users")
        .token(&platform)
        .json(&json!({ "name": "Platform Pat", "email": "pat@example.com", "password": "pat-secret-1" }))
        .send()
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let pat_id = created.body["id"].as_i64().unwrap();
    let pat = {
        let mut conn = app.db.get().await.unwrap();
        switchboard_store::users::find(&mut conn, pat_id).await.unwrap()
    };
    app.add_member(w.account_id, &pat, "agent").await;
    app.add_inbox_member(inbox, &pat).await;
    let pat_id_frame = identifier(&pat.pubsub_token, w.account_id, pat.id, None);
    let mut ws = connect(&app).await;
    assert_eq!(subscribe(&mut ws, &pat_id_frame).await["type"], "confirm_subscription");
    assert_eq!(app.delete(&format!("/platform/api/v1/users/{pat_id}")).token(&platform).send().await.status, 200);
    assert_revoked(&app, &w, &mut ws, &pat_id_frame, "user deleted").await;

    // An administrator demoted to agent keeps the socket but only hears their inboxes.
    let boss = app.create_user("Bea Boss", None).await;
    app.add_member(w.account_id, &boss, "administrator").await;
    let mut ws = connect(&app).await;
    assert_eq!(subscribe(&mut ws, &identifier(&boss.pubsub_token, w.account_id, boss.id, None)).await["type"], "confirm_subscription");
    say(&app, &w, 1, "heard as an administrator").await;
    assert_eq!(next_frame(&mut ws).await.unwrap()["message"]["event"], "message.created");
    let demote =
        app.patch(&w.path(&format!("/agents/{}", boss.id))).token(&w.admin.access_token).json(&json!({ "role": "agent" })).send().await;
    assert_eq!(demote.status, 200);
    say(&app, &w, 1, "not for agents outside the inbox").await;
    assert_eq!(next_within(&mut ws, Duration::from_millis(700)).await, None, "a demoted administrator hears only their inboxes");
}

#[tokio::test]
async fn revocation_reaches_sockets_on_every_node() {
    let (redis, node_a, node_b, w, inbox) = two_nodes().await;
    tokio::time::sleep(Duration::from_millis(300)).await; // both relays subscribed
    let (user, mut on_b, id) = subscribed_agent(&node_a, &w, inbox, &node_b).await;
    assert_eq!(node_a.delete(&w.path(&format!("/agents/{}", user.id))).token(&w.admin.access_token).send().await.status, 200);
    assert_revoked(&node_a, &w, &mut on_b, &id, "removed on node A, subscribed on node B").await;
    drop(redis);
}

/// One socket held 2,000 subscriptions and got each event 2,000 times; an idle socket stayed
/// open for ever. Sockets hold at most 16 subscriptions and close when they hold none.
#[tokio::test]
async fn sockets_hold_a_bounded_number_of_subscriptions_and_close_when_they_hold_none() {
    let app = TestApp::spawn_with(|s| s.cable_subscribe_within = Duration::from_secs(1)).await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let mut ws = connect(&app).await;
    for i in 0..16 {
        let mut id: Value = serde_json::from_str(&identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None)).unwrap();
        id["n"] = json!(i);
        assert_eq!(subscribe(&mut ws, &id.to_string()).await["type"], "confirm_subscription", "subscription {i}");
    }
    let mut one_more: Value = serde_json::from_str(&identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None)).unwrap();
    one_more["n"] = json!(16);
    assert_eq!(subscribe(&mut ws, &one_more.to_string()).await["type"], "reject_subscription", "the 17th is refused");
    say(&app, &w, 1, "sixteen copies at most").await;
    let copies = drain(&mut ws, Duration::from_millis(700)).await.into_iter().filter(|(e, _)| e == "message.created").count();
    assert_eq!(copies, 16);

    // A socket that never subscribes is closed once the wait is over (a ping tick or so later).
    let mut idle = connect(&app).await;
    let started = tokio::time::Instant::now();
    loop {
        match tokio::time::timeout(Duration::from_secs(6), idle.next()).await.expect("closed within 6 s") {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => continue,
        }
    }
    assert!(started.elapsed() >= Duration::from_secs(1), "not before the wait is over");
}

/// Pruning keeps the replay window and the newest events of each account, in chunks that stay
/// inside the statement timeout however much piled up.
#[tokio::test]
async fn pruning_keeps_the_window_and_the_newest_events() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Left {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        first: i64,
    }
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let mut conn = app.db.get().await.unwrap();
    let (data, audience) = (json!({}), json!({}));
    let rows: Vec<(&str, &Value, &Value)> = (0..30).map(|_| ("message.created", &data, &audience)).collect();
    switchboard_store::events::append_many(&mut conn, w.account_id, &rows).await.unwrap();
    let other: Vec<(&str, &Value, &Value)> = (0..5).map(|_| ("message.created", &data, &audience)).collect();
    switchboard_store::events::append_many(&mut conn, w.other_account_id, &other).await.unwrap();
    diesel::sql_query("UPDATE realtime_events SET created_at = now() - interval '1 hour' WHERE seq <= 10 AND account_id = $1")
        .bind::<diesel::sql_types::BigInt, _>(w.account_id)
        .execute(&mut conn)
        .await
        .unwrap();
    // Every reader of the log (each account's reports reader) has read them: only the window
    // and the count keep them now.
    diesel::sql_query("UPDATE event_readers r SET seq = c.last_seq FROM event_counters c WHERE c.account_id = r.account_id")
        .execute(&mut conn)
        .await
        .unwrap();
    // Ten are older than the window; of the rest, only the newest 15 of each account are kept.
    let pruned = switchboard_store::events::prune(&mut conn, Duration::from_secs(600), 15).await.unwrap();
    assert_eq!(pruned, 15);
    let left = |account: i64| {
        diesel::sql_query("SELECT count(*) AS n, coalesce(min(seq), 0) AS first FROM realtime_events WHERE account_id = $1")
            .bind::<diesel::sql_types::BigInt, _>(account)
    };
    let mine: Left = left(w.account_id).get_result(&mut conn).await.unwrap();
    assert_eq!((mine.n, mine.first), (15, 16));
    let theirs: Left = left(w.other_account_id).get_result(&mut conn).await.unwrap();
    assert_eq!((theirs.n, theirs.first), (5, 1), "another account's events are its own");
}
