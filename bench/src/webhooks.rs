//! Inbound WhatsApp at full speed: concurrent BSP-style webhook deliveries, each a new message
//! from one of many contacts, against the same rows inserted bare, in one run. With `--groups`,
//! the same load again as Baileys-style group messages from many participants in that many
//! groups, against the BSP path's figure of the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;
use switchboard_api::Application;
use switchboard_core::settings::Settings;
use switchboard_store::DbPool;
use tokio::sync::Mutex;

const TOKEN: &str = "webhook-bench-token";
const GROUP_TOKEN: &str = "webhook-bench-groups";
const VERIFY: &str = "bench-verify-token";

pub struct Report {
    pub messages: usize,
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub bare_rate: f64,
    pub stored: i64,
    /// The group path, when measured: (messages/s, acknowledged, stored, p50 ms, p99 ms).
    pub groups: Option<GroupReport>,
    /// Outgoing webhooks, when measured.
    pub outbound: Option<OutboundReport>,
}

/// The same inbound load with an account webhook subscribed to `message_created`.
pub struct OutboundReport {
    /// Inbound messages acknowledged, and their rate, while the webhook was on.
    pub messages: usize,
    pub rate: f64,
    /// Deliveries the receiver got (first arrivals, by message) and their rate from the load's
    /// start to the last one's arrival.
    pub delivered: usize,
    pub delivery_rate: f64,
    /// From the inbound message's acknowledgement (after its commit) to its delivery's arrival.
    pub p50: f64,
    pub p99: f64,
    /// How long after the load stopped the last delivery arrived.
    pub drain: f64,
}

pub struct GroupReport {
    pub messages: usize,
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub stored: i64,
}

#[derive(diesel::QueryableByName)]
struct Ids {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    account_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    inbox_id: i64,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A fresh account with one WhatsApp inbox whose webhook token is TOKEN.
async fn setup(conn: &mut AsyncPgConnection) -> anyhow::Result<Ids> {
    conn.batch_execute(&format!(
        r#"
BEGIN;
DELETE FROM accounts WHERE name = 'WebhookBench';
INSERT INTO accounts (name) VALUES ('WebhookBench');
INSERT INTO inboxes (account_id, name, channel_type, inbox_identifier, hmac_token, secret, phone_number, provider, provider_config, webhook_token,
                     message_templates_synced_at)
  SELECT id, 'Bench WhatsApp', 'whatsapp', md5(random()::text), md5(random()::text), md5(random()::text), '+573000000001', 'aldeamo',
         '{{"api_url": "http://127.0.0.1:9", "api_key": "k", "user_id": "u", "waba_id": "w"}}', '{TOKEN}', now() + interval '1 day'
  FROM accounts WHERE name = 'WebhookBench';
INSERT INTO inboxes (account_id, name, channel_type, inbox_identifier, hmac_token, secret, phone_number, provider, provider_config, webhook_token)
  SELECT id, 'Bench Groups', 'whatsapp', md5(random()::text), md5(random()::text), md5(random()::text), '+573000000002', 'baileys',
         '{{"provider_url": "http://127.0.0.1:9", "api_key": "k", "webhook_verify_token": "{VERIFY}"}}', '{GROUP_TOKEN}'
  FROM accounts WHERE name = 'WebhookBench';
-- As every account created through the API (store::accounts::create): its reports reader.
INSERT INTO event_readers (account_id, reader, seq) SELECT id, 'reports', 0 FROM accounts WHERE name = 'WebhookBench';
COMMIT;
"#
    ))
    .await?;
    Ok(diesel::sql_query(
        "SELECT a.id AS account_id, i.id AS inbox_id FROM accounts a JOIN inboxes i ON i.account_id = a.id \
         WHERE a.name = 'WebhookBench' AND i.provider = 'aldeamo'",
    )
    .get_result(conn)
    .await?)
}

/// A text message sent now, as the BSP delivers it: each one moves its contact's and
/// conversation's activity time, as in a live inbox.
fn webhook(tag: &str, n: usize, senders: usize) -> serde_json::Value {
    let wa = format!("5731{:08}", n % senders);
    json!({
        "contacts": [{"profile": {"name": format!("Customer {}", n % senders)}, "wa_id": wa}],
        "messages": [{"context": null, "from": wa, "id": format!("wamid.{tag}.{n}"), "timestamp": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default().to_string(), "type": "text",
                      "text": {"body": format!("hello number {n}")}}],
        "statuses": null,
        "origin_number": "573000000001"
    })
}

/// A group text as a Baileys-style provider delivers it: participant `n % senders` (by LID, with
/// their number as the alternate JID) writes in group `n % groups`.
fn group_webhook(tag: &str, n: usize, senders: usize, groups: usize) -> serde_json::Value {
    let person = n % senders;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    json!({
        "event": "messages.upsert",
        "webhookVerifyToken": VERIFY,
        "data": { "type": "notify", "messages": [{
            "key": { "remoteJid": format!("1203630000{:08}@g.us", n % groups), "fromMe": false, "id": format!("{tag}.{n}"),
                     "participant": format!("{}@lid", 900_000 + person), "participantAlt": format!("5731{person:08}@s.whatsapp.net") },
            "pushName": format!("Member {person}"), "messageTimestamp": now, "message": { "conversation": format!("hello number {n}") } }] }
    })
}

/// Runs `work(i)` from `concurrency` tasks for `duration`; returns the latencies.
async fn drive<F, Fut>(concurrency: usize, duration: Duration, work: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (work, next, samples) = (work.clone(), next.clone(), samples.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let started = Instant::now();
                work(i).await?;
                mine.push(started.elapsed());
            }
            samples.lock().await.extend(mine);
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let samples = std::mem::take(&mut *samples.lock().await);
    Ok(samples)
}

/// Posts `make(i)` to `endpoint` from `concurrency` tasks: first `warm` deliveries (untimed, so
/// every sender exists), three untimed seconds, then `seconds` timed. The latencies and the
/// timed seconds' length.
async fn load(
    client: &reqwest::Client,
    endpoint: &str,
    concurrency: usize,
    seconds: u64,
    warm: usize,
    make: impl Fn(&str, usize) -> serde_json::Value + Send + Sync + Clone + 'static,
) -> anyhow::Result<(Vec<Duration>, f64)> {
    let poster = |tag: &'static str| {
        let (client, endpoint, make) = (client.clone(), endpoint.to_string(), make.clone());
        move |i: usize| {
            let req = client.post(&endpoint).json(&make(tag, i));
            async move {
                let res = req.send().await?;
                anyhow::ensure!(res.status().is_success(), "webhook {i} answered {}", res.status());
                Ok(())
            }
        }
    };
    // Warm-up: every sender has written once, so its contact and conversation exist before
    // timing, as in a running inbox (a first message also creates those; see README).
    {
        use futures_util::StreamExt;
        let post = poster("warm");
        let failures: Vec<anyhow::Error> = futures_util::stream::iter(0..warm)
            .map(&post)
            .buffer_unordered(concurrency)
            .filter_map(|r| async move { r.err() })
            .collect()
            .await;
        anyhow::ensure!(failures.is_empty(), "warm-up failed: {:?}", <[anyhow::Error]>::first(&failures));
        eprintln!("bench: warm-up {warm} webhooks to {endpoint}");
    }
    // Then three seconds of the timed load, untimed: a new cluster allocates its first WAL
    // segments and fills its caches here rather than in the measurement.
    drive(concurrency, Duration::from_secs(3), poster("settle")).await?;
    let started = Instant::now();
    let samples = drive(concurrency, Duration::from_secs(seconds), poster("bench")).await?;
    Ok((samples, started.elapsed().as_secs_f64()))
}

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    samples.get(((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default().as_secs_f64() * 1000.0
}

/// The inbound load again with a webhook to a local receiver (`switchboard_testkit::receiver`):
/// each acknowledged message's `message_created` delivery, timed from the acknowledgement.
#[allow(clippy::too_many_arguments)] // one load, described in full where it starts
async fn outbound(
    client: &reqwest::Client,
    endpoint: &str,
    pool: &DbPool,
    account_id: i64,
    concurrency: usize,
    seconds: u64,
    senders: usize,
    rate: u64,
) -> anyhow::Result<OutboundReport> {
    let receiver = switchboard_testkit::receiver::Receiver::start().await?;
    {
        let mut conn = pool.get().await?;
        let subscriptions = vec!["message_created".to_string()];
        let new = switchboard_store::webhooks::NewWebhook {
            account_id,
            name: Some("bench"),
            url: &receiver.url,
            subscriptions: &subscriptions,
            secret: "whsec_bench",
        };
        switchboard_store::webhooks::create(&mut conn, &new).await?;
    }
    let acks: Arc<std::sync::Mutex<std::collections::HashMap<usize, Instant>>> = Default::default();
    let paced_from = tokio::time::Instant::now();
    let work = {
        let (client, endpoint, acks) = (client.clone(), endpoint.to_string(), acks.clone());
        move |i: usize| {
            let req = client.post(&endpoint).json(&webhook("out", i, senders));
            let acks = acks.clone();
            async move {
                // At a set rate, message i leaves at its slot; else as fast as acknowledged.
                if rate > 0 {
                    tokio::time::sleep_until(paced_from + Duration::from_secs_f64(i as f64 / rate as f64)).await;
                }
                let res = req.send().await?;
                anyhow::ensure!(res.status().is_success(), "webhook {i} answered {}", res.status());
                acks.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(i, Instant::now());
                Ok(())
            }
        }
    };
    let started = Instant::now();
    let samples = drive(concurrency, Duration::from_secs(seconds), work).await?;
    let load_ended = Instant::now();
    let messages = samples.len();
    let rate = messages as f64 / (load_ended - started).as_secs_f64();
    let acks = std::mem::take(&mut *acks.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    // Every acknowledged message's delivery, or two minutes.
    let deadline = Instant::now() + Duration::from_secs(120);
    let arrivals = loop {
        let mut first: std::collections::HashMap<usize, Instant> = std::collections::HashMap::new();
        for r in receiver.delivered() {
            let n = r.json["source_id"].as_str().and_then(|s| s.strip_prefix("wamid.out.")).and_then(|n| n.parse::<usize>().ok());
            if let Some(n) = n {
                first.entry(n).or_insert(r.at);
            }
        }
        if first.len() >= messages || Instant::now() > deadline {
            break first;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let last = arrivals.values().max().copied().unwrap_or(load_ended);
    let mut latencies: Vec<Duration> =
        arrivals.iter().filter_map(|(n, at)| acks.get(n).map(|ack| at.saturating_duration_since(*ack))).collect();
    Ok(OutboundReport {
        messages,
        rate,
        delivered: arrivals.len(),
        delivery_rate: arrivals.len() as f64 / (last - started).as_secs_f64(),
        p50: percentile(&mut latencies, 0.50),
        p99: percentile(&mut latencies, 0.99),
        drain: last.saturating_duration_since(load_ended).as_secs_f64(),
    })
}

/// Starts work beside the load on the app's port (the report loop); aborted when the load ends.
pub type Beside = Box<dyn FnOnce(u16) -> tokio::task::JoinHandle<()> + Send>;

/// Inbound messages per second in each of `windows` consecutive windows of one continuous load,
/// on a fresh app (with `settings`) and account, with `beside` running on the same app. `phase(i)`
/// is called as window `i` begins, so what runs beside can change from window to window while the
/// load goes on: neighbouring windows are then compared under the same conditions, which a
/// machine whose speed drifts between separate runs does not give.
#[allow(clippy::too_many_arguments)]
pub async fn inbound_windows(
    url: &str,
    settings: Settings,
    concurrency: usize,
    senders: usize,
    window: Duration,
    windows: usize,
    beside: Beside,
    phase: impl Fn(usize),
) -> anyhow::Result<Vec<f64>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut conn = AsyncPgConnection::establish(url).await?;
    setup(&mut conn).await?;
    let app = Application::build(Settings { port: 0, ..settings }, DbPool::new(url, 20)?).await?;
    let port = app.port();
    let endpoint = format!("http://127.0.0.1:{port}/webhooks/whatsapp/{TOKEN}");
    let handle = app.handle();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let side = beside(port);
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let result = async {
        // Every sender writes once and the load settles, as `load` does, before anything is counted.
        let make = move |tag: &str, i: usize| webhook(tag, i, senders);
        load(&client, &endpoint, concurrency, 0, senders, make).await?;
        let post = {
            let (client, endpoint, acknowledged) = (client.clone(), endpoint.clone(), acknowledged.clone());
            move |i: usize| {
                let req = client.post(&endpoint).json(&webhook("windows", i, senders));
                let acknowledged = acknowledged.clone();
                async move {
                    let res = req.send().await?;
                    anyhow::ensure!(res.status().is_success(), "webhook {i} answered {}", res.status());
                    acknowledged.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
            }
        };
        let total = window * u32::try_from(windows)?;
        let driving = tokio::spawn(drive(concurrency, total + Duration::from_millis(500), post));
        let mut rates = Vec::with_capacity(windows);
        for i in 0..windows {
            phase(i);
            let (before, started) = (AtomicUsize::load(&acknowledged, Ordering::Relaxed), Instant::now());
            tokio::time::sleep(window).await;
            rates.push((AtomicUsize::load(&acknowledged, Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64());
        }
        driving.await??;
        anyhow::Ok(rates)
    }
    .await;
    side.abort();
    handle.stop(true).await;
    conn.batch_execute("DELETE FROM accounts WHERE name = 'WebhookBench'").await?;
    result
}

#[allow(clippy::too_many_arguments)]
/// `out`: also measure outgoing webhooks, with inbound at `out_rate` messages/s (0: as fast as
/// acknowledged).
pub async fn run(
    url: &str,
    concurrency: usize,
    seconds: u64,
    senders: usize,
    pool: usize,
    groups: usize,
    out: Option<u64>,
) -> anyhow::Result<Report> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let ids = setup(&mut conn).await?;
    // The receiver of `--outbound` listens on loopback.
    let settings = Settings { port: 0, outbound_allow_private: true, ..Settings::default() };
    let app_pool = DbPool::new(url, pool)?;
    let app = Application::build(settings, app_pool.clone()).await?;
    let port = app.port();
    let endpoint = format!("http://127.0.0.1:{port}/webhooks/whatsapp/{TOKEN}");
    let handle = app.handle();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;

    let make = move |tag: &str, i: usize| webhook(tag, i, senders);
    let (mut samples, elapsed) = load(&client, &endpoint, concurrency, seconds, senders, make).await?;
    let messages = samples.len();
    let (p50, p99) = (percentile(&mut samples, 0.50), percentile(&mut samples, 0.99));
    let stored: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM messages WHERE inbox_id = {} AND source_id LIKE 'wamid.bench.%'",
        ids.inbox_id
    ))
    .get_result(&mut conn)
    .await?;
    let group_report = if groups > 0 {
        let endpoint = format!("http://127.0.0.1:{}/webhooks/whatsapp/{GROUP_TOKEN}", port);
        let make = move |tag: &str, i: usize| group_webhook(tag, i, senders, groups);
        let (mut samples, elapsed) = load(&client, &endpoint, concurrency, seconds, senders.max(groups), make).await?;
        let stored: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM messages m JOIN inboxes i ON i.id = m.inbox_id \
             WHERE i.webhook_token = 'webhook-bench-groups' AND m.source_id LIKE 'bench.%'",
        )
        .get_result(&mut conn)
        .await?;
        Some(GroupReport {
            messages: samples.len(),
            rate: samples.len() as f64 / elapsed,
            p50: percentile(&mut samples, 0.50),
            p99: percentile(&mut samples, 0.99),
            stored: stored.n,
        })
    } else {
        None
    };
    let outbound_report = if let Some(rate) = out {
        Some(outbound(&client, &endpoint, &app_pool, ids.account_id, concurrency, seconds, senders, rate).await?)
    } else {
        None
    };
    handle.stop(true).await;

    // The baseline: the same message rows, one bare INSERT per transaction, from as many
    // connections as the app's pool, for as long.
    let conversation: Count = diesel::sql_query(format!("SELECT min(id) AS n FROM conversations WHERE inbox_id = {}", ids.inbox_id))
        .get_result(&mut conn)
        .await?;
    let bare_pool = DbPool::new(url, pool)?;
    let (account, inbox, conv) = (ids.account_id, ids.inbox_id, conversation.n);
    let insert = move |i: usize| {
        let pool = bare_pool.clone();
        async move {
            let mut conn = pool.get().await?;
            diesel::sql_query(
                "INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, source_id, sender_type, created_at) \
                 VALUES ($1, $2, $3, 0, $4, $5, 'contact', now())",
            )
            .bind::<diesel::sql_types::BigInt, _>(account)
            .bind::<diesel::sql_types::BigInt, _>(inbox)
            .bind::<diesel::sql_types::BigInt, _>(conv)
            .bind::<diesel::sql_types::Text, _>(format!("hello number {i}"))
            .bind::<diesel::sql_types::Text, _>(format!("wamid.bare.{i}"))
            .execute(&mut conn)
            .await?;
            Ok(())
        }
    };
    let started = Instant::now();
    let bare = drive(concurrency, Duration::from_secs(seconds), insert).await?;
    let bare_rate = bare.len() as f64 / started.elapsed().as_secs_f64();
    conn.batch_execute("DELETE FROM accounts WHERE name = 'WebhookBench'").await?;
    Ok(Report {
        messages,
        rate: messages as f64 / elapsed,
        p50,
        p99,
        bare_rate,
        stored: stored.n,
        groups: group_report,
        outbound: outbound_report,
    })
}
