//! Outgoing sends and events across a crash and a restart, with the real binary: `kill -9`
//! while the BSP holds requests, under each per-inbox policy; SIGTERM, which must double
//! nothing; and `kill -9` between a change's commit and its event's publication.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchboard_testkit::bsp::FakeBsp;

use crate::whatsapp::{inbound, PHONE};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const MESSAGES: usize = 20;

struct Server {
    child: Child,
    base: String,
}

fn start(url: &str, dir: &std::path::Path) -> Server {
    start_with(url, dir, &[], true)
}

/// The binary with `args` (serve when empty) and extra environment; waits for the port when
/// `listens`.
fn start_with(url: &str, dir: &std::path::Path, extra: &[(&str, &str)], listens: bool) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = Command::new(BIN);
    if !listens {
        command.arg("worker");
    }
    command.env_clear();
    let child = command
        .envs(extra.iter().copied())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("SWITCHBOARD_DATA_DIR", dir)
        .env("PORT", port.to_string())
        .env("OUTBOUND_ALLOW_PRIVATE", "true")
        // A short BSP timeout keeps the lease of a dead worker's jobs short (2 × 3 s + 5 s).
        .env("WHATSAPP_BSP_TIMEOUT_SECS", "3")
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while listens && std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, base: format!("http://127.0.0.1:{port}") }
}

struct Setup {
    dir: std::path::PathBuf,
    url: String,
    token: String,
    bsp: FakeBsp,
    http: reqwest::Client,
}

async fn setup(tag: &str, after_crash: &str) -> (Setup, Server) {
    let url = switchboard_testkit::fresh_database().await.unwrap();
    let dir = std::env::temp_dir().join(format!("switchboard-crash-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("DATABASE_URL", &url)
        .args(["create-admin", "--email", "boss@example.com", "--password", "boss-secret-1"])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let token = printed.lines().find_map(|l| l.strip_prefix("access token: ")).unwrap().trim().to_string();
    let bsp = FakeBsp::start().await.unwrap();
    let server = start(&url, &dir);
    let http = reqwest::Client::new();
    let mut config = bsp.provider_config();
    config["after_crash"] = json!(after_crash);
    let body = json!({ "name": "WhatsApp", "channel": { "type": "whatsapp", "phone_number": PHONE, "provider": "aldeamo", "provider_config": config } });
    let inbox: Value = http
        .post(format!("{}/api/v1/accounts/1/inboxes", server.base))
        .header("api_access_token", &token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["provider_config"]["after_crash"], after_crash, "{inbox}");
    // The contact writes first: the 24-hour window is open.
    let hook = inbox["webhook_url"].as_str().unwrap().to_string();
    let now = chrono::Utc::now().timestamp().to_string();
    let delivered = http
        .post(&hook)
        .json(&inbound(json!({ "id": "wamid.in", "timestamp": now, "type": "text", "text": { "body": "hola" } })))
        .send()
        .await
        .unwrap();
    assert_eq!(delivered.status(), 200);
    (Setup { dir, url, token, bsp, http }, server)
}

impl Setup {
    /// A GET as the administrator, read as JSON.
    async fn get(&self, server: &Server, path: &str) -> Value {
        let reply = self.http.get(format!("{}{path}", server.base)).header("api_access_token", &self.token).send().await.unwrap();
        reply.json().await.unwrap()
    }

    /// A burst of replies, `m0` … `m19`, while the BSP takes 1 s to answer each (the timeout, 3 s, leaves room for a loaded machine).
    async fn burst(&self, server: &Server) {
        self.bsp.set_latency(Duration::from_secs(1));
        for i in 0..MESSAGES {
            let r = self
                .http
                .post(format!("{}/api/v1/accounts/1/conversations/1/messages", server.base))
                .header("api_access_token", &self.token)
                .json(&json!({ "content": format!("m{i}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        self.bsp.wait_requests(1 + MESSAGES / 2, Duration::from_secs(10)).await;
    }

    /// Every reply once none is in progress: (content, status, external error).
    async fn settled(&self, server: &Server) -> Vec<(String, String, String)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let list: Value = self.get(server, "/api/v1/accounts/1/conversations/1/messages").await;
            let replies: Vec<(String, String, String)> = list["payload"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["message_type"] == 1)
                .map(|m| {
                    let error = m["content_attributes"]["external_error"].as_str().unwrap_or_default().to_string();
                    (m["content"].as_str().unwrap_or_default().to_string(), m["status"].as_str().unwrap_or_default().to_string(), error)
                })
                .collect();
            if replies.len() == MESSAGES && replies.iter().all(|(_, s, _)| s != "progress") {
                return replies;
            }
            assert!(Instant::now() < deadline, "replies still in progress: {replies:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The status of the reply with this content, as `server` shows it.
    async fn status(&self, server: &Server, content: &str) -> Option<String> {
        let list: Value = self
            .http
            .get(format!("{}/api/v1/accounts/1/conversations/1/messages", server.base))
            .header("api_access_token", &self.token)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let found = list["payload"].as_array()?.iter().find(|m| m["content"] == content)?;
        found["status"].as_str().map(str::to_string)
    }

    /// How many times the BSP took each reply.
    fn taken(&self, content: &str) -> usize {
        self.bsp.requests().iter().filter(|r| r.message_id.is_some() && r.body["text"]["body"] == content).count()
    }
}

fn kill(server: &mut Server, signal: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(server.child.id() as i32), signal).unwrap();
}

fn wait_exit(server: &mut Server, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not exit within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// With the inbox's policy `after_crash`: a burst of replies, `signal` while the BSP holds
/// them, a new server on the same database, and the replies once all are settled.
async fn burst_then(tag: &str, after_crash: &str, signal: nix::sys::signal::Signal) -> (Setup, Vec<(String, String, String)>) {
    let (s, mut first) = setup(tag, after_crash).await;
    s.burst(&first).await;
    kill(&mut first, signal);
    let status = wait_exit(&mut first, Duration::from_secs(30));
    if signal == nix::sys::signal::Signal::SIGTERM {
        assert!(status.success(), "a clean exit after SIGTERM: {status}");
    }
    let mut second = start(&s.url, &s.dir);
    let replies = s.settled(&second).await;
    kill(&mut second, nix::sys::signal::Signal::SIGKILL);
    let _ = std::fs::remove_dir_all(&s.dir);
    (s, replies)
}

/// `hold`: a send whose outcome a crash left unknown is never sent again; the agent sees it
/// failed with "outcome unknown". Nothing is doubled and nothing is silently lost.
#[tokio::test]
async fn after_kill_9_the_hold_policy_doubles_nothing_and_shows_the_unknown() {
    let (s, replies) = burst_then("hold", "hold", nix::sys::signal::Signal::SIGKILL).await;
    let mut unknown = 0;
    for (content, status, error) in &replies {
        let taken = s.taken(content);
        assert!(taken <= 1, "{content} was taken {taken} times");
        match status.as_str() {
            "sent" => assert_eq!(taken, 1, "{content} is sent"),
            "failed" => {
                assert!(error.contains("outcome unknown"), "{content}: {error}");
                unknown += 1;
            }
            other => panic!("{content}: {other}"),
        }
    }
    assert!(unknown > 0, "the kill interrupted some sends: {replies:?}");
}

/// `resend`: every message is delivered at least once; the interrupted ones may be doubled.
#[tokio::test]
async fn after_kill_9_the_resend_policy_loses_nothing() {
    let (s, replies) = burst_then("resend", "resend", nix::sys::signal::Signal::SIGKILL).await;
    let mut resent = 0;
    for (content, status, _) in &replies {
        assert_eq!(status, "sent", "{content}");
        let taken = s.taken(content);
        assert!(taken >= 1, "{content} was never delivered");
        resent += usize::from(taken > 1);
    }
    assert!(resent > 0, "the interrupted sends were sent again");
}

/// SIGTERM (a deploy, a restart): the worker stops claiming and finishes what it has under way,
/// so every message is sent exactly once, whatever the policy.
#[tokio::test]
async fn sigterm_during_a_burst_doubles_nothing() {
    let (s, replies) = burst_then("term", "resend", nix::sys::signal::Signal::SIGTERM).await;
    for (content, status, _) in &replies {
        assert_eq!(status, "sent", "{content}");
        assert_eq!(s.taken(content), 1, "{content}");
    }
}

/// Workers scale apart from web nodes: a web node with `SWITCHBOARD_JOBS=false` queues the send
/// and sends nothing; a `switchboard worker` process, with no HTTP server, sends it.
#[tokio::test]
async fn a_worker_process_runs_the_jobs_a_web_node_leaves() {
    let (s, mut first) = setup("worker", "hold").await;
    kill(&mut first, nix::sys::signal::Signal::SIGTERM);
    wait_exit(&mut first, Duration::from_secs(30));
    let mut web = start_with(&s.url, &s.dir, &[("SWITCHBOARD_JOBS", "false")], true);
    let reply = s
        .http
        .post(format!("{}/api/v1/accounts/1/conversations/1/messages", web.base))
        .header("api_access_token", &s.token)
        .json(&json!({ "content": "via the worker" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(s.taken("via the worker"), 0, "the web node sends nothing");
    let mut worker = start_with(&s.url, &s.dir, &[], false);
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.taken("via the worker") == 0 {
        assert!(Instant::now() < deadline, "the worker did not send");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.status(&web, "via the worker").await.as_deref() != Some("sent") {
        assert!(Instant::now() < deadline, "the message was never marked sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The worker stops cleanly on SIGTERM.
    kill(&mut worker, nix::sys::signal::Signal::SIGTERM);
    assert!(wait_exit(&mut worker, Duration::from_secs(30)).success());
    kill(&mut web, nix::sys::signal::Signal::SIGKILL);
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// Runs one statement on a connection of the test's own.
async fn sql(conn: &mut diesel_async::AsyncPgConnection, statement: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(statement).execute(conn).await.unwrap();
}

/// A count from the database.
async fn count(conn: &mut diesel_async::AsyncPgConnection, query: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(query).get_result::<N>(conn).await.unwrap().n
}

/// The transactional outbox: the server is killed after a change committed and before its
/// event reached the log (the log writer is held on the account's counter row, then the
/// process and its database sessions are killed). The event was committed with the change, so
/// the next server moves it into the log and a client replaying with `since` receives it.
#[tokio::test]
async fn kill_9_between_commit_and_publish_loses_no_event() {
    use diesel_async::AsyncConnection;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let (s, mut first) = setup("outbox", "hold").await;
    let profile: Value = s.get(&first, "/api/v1/profile").await;
    let mut lock = diesel_async::AsyncPgConnection::establish(&s.url).await.unwrap();
    let mut look = diesel_async::AsyncPgConnection::establish(&s.url).await.unwrap();
    let before = count(&mut look, "SELECT last_seq AS n FROM event_counters WHERE account_id = 1").await;
    // Hold the account's event counter: the log writer cannot number anything past it.
    let holder = count(&mut lock, "SELECT pg_backend_pid()::int8 AS n").await;
    sql(&mut lock, "BEGIN").await;
    sql(&mut lock, "SELECT * FROM event_counters WHERE account_id = 1 FOR UPDATE").await;

    let (http, base, token) = (s.http.clone(), first.base.clone(), s.token.clone());
    let request = tokio::spawn(async move {
        http.post(format!("{base}/api/v1/accounts/1/conversations/1/messages"))
            .header("api_access_token", token)
            .json(&json!({ "content": "committed, then killed", "private": true }))
            .send()
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&mut look, "SELECT count(*) AS n FROM messages WHERE content = 'committed, then killed'").await == 0 {
        assert!(Instant::now() < deadline, "the note was never committed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!request.is_finished(), "the answer waits for the event's delivery");
    assert_eq!(count(&mut look, &format!("SELECT count(*) AS n FROM realtime_events WHERE account_id = 1 AND seq > {before}")).await, 0);

    // The process dies, and so do its database sessions (a statement it left waiting on the
    // lock must not finish its work for it).
    kill(&mut first, nix::sys::signal::Signal::SIGKILL);
    wait_exit(&mut first, Duration::from_secs(10));
    sql(
        &mut look,
        &format!(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), {holder})"
        ),
    )
    .await;
    sql(&mut lock, "ROLLBACK").await;
    assert!(request.await.unwrap().is_err(), "the client got no answer");
    assert_eq!(count(&mut look, &format!("SELECT count(*) AS n FROM realtime_events WHERE account_id = 1 AND seq > {before}")).await, 0);

    // A new server: a client that saw up to `before` replays what it missed.
    let mut second = start(&s.url, &s.dir);
    let url = second.base.replace("http://", "ws://") + "/cable";
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "actioncable-v1-json".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let identifier = json!({ "channel": "RoomChannel", "pubsub_token": profile["pubsub_token"], "account_id": 1,
        "user_id": profile["id"], "since": before })
    .to_string();
    ws.send(Message::text(json!({ "command": "subscribe", "identifier": identifier }).to_string())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut replayed = None;
    while replayed.is_none() {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.expect("the event was never replayed").unwrap().unwrap();
        let Message::Text(text) = frame else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["message"]["event"] == "message.created" && v["message"]["data"]["content"] == "committed, then killed" {
            replayed = Some(v);
        }
    }
    let replayed = replayed.unwrap();
    assert_eq!(replayed["message"]["seq"], before + 1, "{replayed}");
    assert_eq!(count(&mut look, "SELECT count(*) AS n FROM event_outbox").await, 0, "the outbox is empty again");
    kill(&mut second, nix::sys::signal::Signal::SIGKILL);
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// Webhook deliveries across `kill -9`: a delivery the receiver is holding when the server dies
/// is sent again by the next server with the same `X-Chatwoot-Delivery`, and every event
/// committed before the crash (read by the dispatcher or not) is delivered.
#[tokio::test]
async fn kill_9_mid_delivery_delivers_every_event_at_least_once_with_the_same_delivery_id() {
    use switchboard_testkit::receiver::{Failure, Receiver};
    let (s, mut first) = setup("webhooks", "hold").await;
    let receiver = Receiver::start().await.unwrap();
    let hook: Value = s
        .http
        .post(format!("{}/api/v1/accounts/1/webhooks", first.base))
        .header("api_access_token", &s.token)
        .json(&json!({ "url": receiver.url, "subscriptions": ["message_created"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = hook["secret"].as_str().unwrap().to_string();
    // The receiver holds the first delivery well past the kill.
    receiver.fail_next([Failure::Hang(Duration::from_secs(30))]);
    let mut notes = Vec::new();
    for i in 0..10 {
        let r: Value = s
            .http
            .post(format!("{}/api/v1/accounts/1/conversations/1/messages", first.base))
            .header("api_access_token", &s.token)
            .json(&json!({ "content": format!("note {i}"), "private": true }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        notes.push(r["id"].as_i64().unwrap());
    }
    let held = receiver.wait_received(1, Duration::from_secs(20)).await;
    assert_eq!(held.len(), 1, "the first delivery reached the receiver");
    kill(&mut first, nix::sys::signal::Signal::SIGKILL);
    wait_exit(&mut first, Duration::from_secs(10));

    // The next server takes the held delivery once its lease runs out, and all the others.
    let mut second = start_with(&s.url, &s.dir, &[("WEBHOOK_RETRY_BASE_SECS", "1")], true);
    let deadline = Instant::now() + Duration::from_secs(90);
    let delivered = loop {
        let delivered = receiver.delivered();
        let mut ids: Vec<i64> = delivered.iter().filter_map(|r| r.json["id"].as_i64()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() == notes.len() {
            break delivered;
        }
        assert!(Instant::now() < deadline, "delivered {ids:?} of {notes:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let all = receiver.received();
    // The held one came again, same delivery id, same body; every request is signed.
    let again: Vec<_> = all.iter().filter(|r| r.delivery == held[0].delivery).collect();
    assert!(again.len() >= 2 && again.iter().all(|r| r.body == held[0].body), "{again:?}");
    assert!(again.iter().any(|r| r.delivered()));
    assert!(all.iter().all(|r| r.signed_with(&secret)));
    // A duplicate is always the same delivery: one delivery id per message, in order.
    let mut by_message: std::collections::HashMap<i64, std::collections::HashSet<String>> = Default::default();
    for r in &all {
        by_message.entry(r.json["id"].as_i64().unwrap()).or_default().insert(r.delivery.clone().unwrap_or_default());
    }
    assert!(by_message.values().all(|ids| ids.len() == 1), "{by_message:?}");
    let order: Vec<i64> = delivered.iter().map(|r| r.json["id"].as_i64().unwrap()).collect();
    let mut first_seen = Vec::new();
    for id in order {
        if !first_seen.contains(&id) {
            first_seen.push(id);
        }
    }
    assert_eq!(first_seen, notes, "in the order they were written");
    kill(&mut second, nix::sys::signal::Signal::SIGKILL);
    let _ = std::fs::remove_dir_all(&s.dir);
}
