//! The live-update load test: N websocket clients subscribed to one account, message creations
//! through the REST API, and the time from each create to its receipt at every client.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const ADMIN_TOKEN: &str = "cable-bench-admin-token";
const PUBSUB_TOKEN: &str = "cable-bench-admin-pubsub";

/// A fresh account with an admin, an inbox and one conversation.
async fn setup(url: &str) -> anyhow::Result<(i64, i64)> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute(&format!(
        r#"
BEGIN;
DELETE FROM accounts WHERE name = 'CableBench';
DELETE FROM users WHERE email = 'admin@cable-bench.test';
INSERT INTO accounts (name) VALUES ('CableBench');
INSERT INTO users (name, email, pubsub_token, access_token) VALUES ('Cable Admin', 'admin@cable-bench.test', '{PUBSUB_TOKEN}', '{ADMIN_TOKEN}');
INSERT INTO account_users (account_id, user_id, role)
  SELECT a.id, u.id, 'administrator' FROM accounts a, users u WHERE a.name = 'CableBench' AND u.email = 'admin@cable-bench.test';
INSERT INTO inboxes (account_id, name, channel_type, inbox_identifier, hmac_token, secret)
  SELECT id, 'Bench API', 'api', md5(random()::text), md5(random()::text), md5(random()::text) FROM accounts WHERE name = 'CableBench';
INSERT INTO contacts (account_id, name) SELECT id, 'Bench Customer' FROM accounts WHERE name = 'CableBench';
INSERT INTO account_counters (account_id, last_conversation_display_id) SELECT id, 1 FROM accounts WHERE name = 'CableBench';
INSERT INTO conversations (account_id, display_id, inbox_id, contact_id, uuid)
  SELECT a.id, 1, i.id, c.id, md5(random()::text) FROM accounts a JOIN inboxes i ON i.account_id = a.id JOIN contacts c ON c.account_id = a.id
  WHERE a.name = 'CableBench';
COMMIT;
"#
    ))
    .await?;
    #[derive(diesel::QueryableByName)]
    struct Ids {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        account_id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        user_id: i64,
    }
    use diesel_async::RunQueryDsl;
    let ids: Ids = diesel::sql_query(
        "SELECT a.id AS account_id, u.id AS user_id FROM accounts a, users u WHERE a.name = 'CableBench' AND u.email = 'admin@cable-bench.test'",
    )
    .get_result(&mut conn)
    .await?;
    Ok((ids.account_id, ids.user_id))
}

/// User + system CPU seconds of a process so far (from /proc).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_kib(pid: i32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS")
}

struct Node {
    pid: i32,
    port: u16,
    _exited: std::sync::mpsc::Receiver<()>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn start_node(database_url: &str, redis_url: Option<&str>) -> anyhow::Result<Node> {
    let port = free_port()?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["--database-url", database_url, "node", "--port", &port.to_string()]);
    if let Some(r) = redis_url {
        cmd.args(["--redis-url", r]);
    }
    cmd.env("RUST_LOG", "warn");
    let (pid, exited) = switchboard_cluster::spawn_supervised(cmd)?;
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("http://127.0.0.1:{port}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(Node { pid: pid.as_raw(), port, _exited: exited });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("node on port {port} did not become ready")
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_client(port: u16, identifier: &str) -> anyhow::Result<Ws> {
    let mut request = format!("ws://127.0.0.1:{port}/cable").into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "actioncable-v1-json".parse()?);
    // tungstenite zero-fills its read buffer (128 KiB by default) on every read: with 10,000
    // sockets that alone used more CPU than the server. A frame here is under 8 KiB.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(8 * 1024);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
    ws.send(Message::text(json!({ "command": "subscribe", "identifier": identifier }).to_string())).await?;
    // Welcome, then confirmation.
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.contains("confirm_subscription") => return Ok(ws),
            Ok(Some(Ok(Message::Text(t)))) if t.contains("reject_subscription") => bail!("subscription rejected"),
            Ok(Some(Ok(_))) => {}
            _ => bail!("no confirmation"),
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1);
    sorted.get(i).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(f64::NAN)
}

pub struct Report {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub delivered: usize,
    pub expected: usize,
    pub kib_per_connection: f64,
    /// CPU seconds spent while the messages were delivered, by the servers and by this tool.
    pub server_cpu: f64,
    pub tool_cpu: f64,
}

pub async fn run(database_url: &str, clients: usize, messages: usize, nodes: usize) -> anyhow::Result<Report> {
    eprintln!("cable: preparing the account");
    let (account_id, user_id) = setup(database_url).await?;
    eprintln!("cable: starting {nodes} node(s)");
    let redis = if nodes > 1 { Some(switchboard_testkit::TestRedis::start().await?) } else { None };
    let mut started = Vec::new();
    for _ in 0..nodes.max(1) {
        started.push(start_node(database_url, redis.as_ref().map(|r| r.url()).as_deref()).await?);
    }
    let identifier =
        json!({ "channel": "RoomChannel", "pubsub_token": PUBSUB_TOKEN, "account_id": account_id, "user_id": user_id }).to_string();

    eprintln!("cable: connecting {clients} clients");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before: Vec<u64> = started.iter().map(|n| rss_kib(n.pid)).collect::<Result<_, _>>()?;

    // Connect in waves, spread over the nodes.
    let mut sockets = Vec::with_capacity(clients);
    let wave = 250;
    for chunk_start in (0..clients).step_by(wave) {
        let opens = (chunk_start..(chunk_start + wave).min(clients)).map(|i| open_client(started[i % started.len()].port, &identifier));
        for ws in futures_util::future::join_all(opens).await {
            sockets.push(ws?);
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after: Vec<u64> = started.iter().map(|n| rss_kib(n.pid)).collect::<Result<_, _>>()?;
    let grown: u64 = rss_after.iter().zip(&rss_before).map(|(a, b)| a.saturating_sub(*b)).sum();
    let kib_per_connection = grown as f64 / clients as f64;

    // Every client records when each bench message reaches it.
    let sent_at: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; messages]));
    let samples: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::with_capacity(clients * messages)));
    let finished = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::with_capacity(clients);
    let debug = std::env::var("CABLE_DEBUG").is_ok();
    for mut ws in sockets {
        let (sent_at, samples, finished) = (sent_at.clone(), samples.clone(), finished.clone());
        readers.push(tokio::spawn(async move {
            let mut got = 0;
            let mut mine = Vec::with_capacity(messages);
            while got < messages {
                let next = tokio::time::timeout(Duration::from_secs(30), ws.next()).await;
                if debug {
                    eprintln!(
                        "frame: {:?}",
                        next.as_ref().map(|f| f.as_ref().map(|m| m.as_ref().map(|m| m.to_string().chars().take(120).collect::<String>())))
                    );
                }
                let Ok(Some(Ok(Message::Text(text)))) = next else { break };
                let Some(pos) = text.find("cbmsg-") else { continue };
                let digits: String = text[pos + 6..].chars().take_while(|c| c.is_ascii_digit()).collect();
                let Ok(i) = digits.parse::<usize>() else { continue };
                let at = sent_at.lock().ok().and_then(|s| s.get(i).copied().flatten());
                if let Some(at) = at {
                    mine.push(at.elapsed());
                    got += 1;
                }
            }
            if let Ok(mut all) = samples.lock() {
                all.extend(mine);
            }
            finished.fetch_add(1, Ordering::Relaxed);
        }));
    }

    eprintln!("cable: sending {messages} messages");
    let server_cpu_before: f64 = started.iter().map(|n| cpu_seconds(&n.pid.to_string())).sum();
    let tool_cpu_before = cpu_seconds("self");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{}/api/v1/accounts/{account_id}/conversations/1/messages", started[0].port);
    for i in 0..messages {
        if let Ok(mut s) = sent_at.lock() {
            s[i] = Some(Instant::now());
        }
        let resp =
            client.post(&url).header("api_access_token", ADMIN_TOKEN).json(&json!({ "content": format!("cbmsg-{i}") })).send().await?;
        if !resp.status().is_success() {
            bail!("message {i} answered {}", resp.status());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for r in readers {
        let _ = r.await;
    }
    let server_cpu = started.iter().map(|n| cpu_seconds(&n.pid.to_string())).sum::<f64>() - server_cpu_before;
    let tool_cpu = cpu_seconds("self") - tool_cpu_before;
    let mut all = samples.lock().map(|s| s.clone()).unwrap_or_default();
    all.sort_unstable();
    for n in &started {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(n.pid), nix::sys::signal::Signal::SIGTERM);
    }
    Ok(Report {
        p50: percentile(&all, 0.50),
        p95: percentile(&all, 0.95),
        p99: percentile(&all, 0.99),
        delivered: all.len(),
        expected: clients * messages,
        kib_per_connection,
        server_cpu,
        tool_cpu,
    })
}
