//! `switchboard-bench`: seeds a large account and measures the API against the bare SQL of the
//! same pages, in one run. See bench/README.md.

mod cable;
mod notifications;
mod reports;
mod seed;
mod webhooks;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;
use switchboard_api::Application;
use switchboard_cluster::{ClusterOptions, LocalCluster};
use switchboard_core::settings::Settings;
use switchboard_store::DbPool;

/// The server allocates per request and per event on many threads at once; mimalloc does that
/// with less contention and fragmentation than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Seed a large account and benchmark the inbox API")]
struct Cli {
    /// PostgreSQL to use; without it a private cluster runs under --data-dir
    #[arg(long, env = "BENCH_DATABASE_URL")]
    database_url: Option<String>,
    #[arg(long, default_value = "./var/bench")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// (Re)create the bench account: 100,000 conversations, 1,000,000 messages
    Seed,
    /// Measure p50/p99 of the inbox endpoints and of their bare SQL
    Http {
        /// Timed requests per scenario
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// Untimed requests first, to warm caches
        #[arg(long, default_value_t = 50)]
        warmup: usize,
    },
    /// Live updates: N websocket clients, message creations, delivery latency and memory
    Cable {
        #[arg(long, default_value_t = 10_000)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        messages: usize,
        /// Server processes; more than one share a private redis-server
        #[arg(long, default_value_t = 1)]
        nodes: usize,
    },
    /// Inbound WhatsApp webhooks at full speed, against bare INSERTs of the same rows
    Webhooks {
        /// Concurrent deliveries in flight
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Timed seconds (after a 2 s warm-up), for the webhooks and again for the bare INSERTs
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Distinct contacts writing
        #[arg(long, default_value_t = 1000)]
        senders: usize,
        /// Database connections of the app (and of the bare INSERTs)
        #[arg(long, default_value_t = 20)]
        pool: usize,
        /// Also measure WhatsApp group messages (Baileys-style) from the same number of senders
        /// spread over this many groups; 0 skips it
        #[arg(long, default_value_t = 0)]
        groups: usize,
        /// Also run the load again with an account webhook on `message_created` to a local
        /// receiver: deliveries per second and the time from commit to delivery
        #[arg(long, default_value_t = false)]
        outbound: bool,
        /// With --outbound: inbound messages per second during the webhook run (0: as fast as
        /// the server acknowledges them)
        #[arg(long, default_value_t = 0)]
        outbound_rate: u64,
    },
    /// One-call template sends (retailer API) against the same sends through the Chatwoot API
    Notifications {
        /// Notifications per path, each to a new number
        #[arg(long, default_value_t = 500)]
        count: usize,
        /// Concurrent requests
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Every report for a 30-day and a one-year range on the seed, and the inbound webhook rate
    /// with a report loop beside it against the same load without (the first run derives the
    /// seed's reports)
    Reports {
        /// Timed requests per report and range
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long, default_value_t = 20)]
        warmup: usize,
        /// Concurrent inbound deliveries
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds per window of the inbound load (five windows per cycle): long enough that a
        /// loop's first second, which the budget's burst lets through, is a small part of it
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 1000)]
        senders: usize,
        /// Rounds of inbound cycles, each with the report budget lifted and then as configured,
        /// the two loops' windows swapped every other round (the medians are reported)
        #[arg(long, default_value_t = 4)]
        rounds: usize,
        /// The paced report loop's interval, in ms
        #[arg(long, default_value_t = 100)]
        interval_ms: u64,
        /// Only the inbound load beside reports
        #[arg(long)]
        skip_latency: bool,
    },
    /// One server process for `cable` (started by it)
    #[command(hide = true)]
    Node {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        redis_url: Option<String>,
    },
}

struct Stats {
    p50: Duration,
    p99: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples.get(((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
    Stats { p50: at(0.50), p99: at(0.99) }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(diesel::QueryableByName)]
struct Bench {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    account_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    token: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    long_conversation: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    inbox_id: i64,
}

async fn time_http(client: &reqwest::Client, n: usize, make: &impl Fn(usize) -> reqwest::RequestBuilder) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let resp = make(i).send().await?;
        let status = resp.status();
        resp.bytes().await?;
        out.push(started.elapsed());
        anyhow::ensure!(status.is_success(), "request {i} answered {status}");
    }
    let _ = client;
    Ok(out)
}

async fn time_sql(conn: &mut AsyncPgConnection, n: usize, sql: impl Fn(usize) -> String) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let q = sql(i);
        let started = Instant::now();
        conn.batch_execute(&q).await?;
        out.push(started.elapsed());
    }
    Ok(out)
}

async fn http(url: &str, requests: usize, warmup: usize) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let b: Bench = diesel::sql_query(
        "SELECT a.id AS account_id, u.access_token AS token, c.id AS long_conversation, c.inbox_id \
         FROM accounts a JOIN account_users au ON au.account_id = a.id AND au.role = 'administrator' JOIN users u ON u.id = au.user_id \
         JOIN conversations c ON c.account_id = a.id AND c.display_id = 1 WHERE a.name = $1 ORDER BY a.id DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(seed::ACCOUNT_NAME)
    .get_result(&mut conn)
    .await
    .context("no bench account: run `switchboard-bench seed` first")?;

    // Latency, not the per-user search limit (120 a minute), is measured: 550 searches in a row.
    let settings = Settings { port: 0, searches_per_minute: u32::MAX, ..Settings::default() };
    let app = Application::build(settings, DbPool::new(url, 20)?).await?;
    let base = format!("http://127.0.0.1:{}/api/v1/accounts/{}", app.port(), b.account_id);
    let handle = app.handle();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
    let get = |path: String| {
        let client = client.clone();
        let token = b.token.clone();
        move |_| client.get(&path).header("api_access_token", &token)
    };
    let (acc, long) = (b.account_id, b.long_conversation);
    // The bare SQL of a list page: the rows and the four counts the page carries.
    let counts_sql = |filter: &str| {
        format!(
            "SELECT count(*) FILTER (WHERE assignee_id = 1), count(*) FILTER (WHERE assignee_id IS NOT NULL), \
             count(*) FILTER (WHERE assignee_id IS NULL), count(*) FROM conversations WHERE account_id = {acc} AND status = 'open'{filter};"
        )
    };
    let page_counts = counts_sql("");
    let page_sql = move |offset: i64| {
        format!(
            "{page_counts} SELECT * FROM conversations WHERE account_id = {acc} AND status = 'open' ORDER BY last_activity_at DESC, id DESC LIMIT 25 OFFSET {offset}"
        )
    };
    let word = seed::SEARCH_WORD;
    let hits = format!(" AND id IN (SELECT conversation_id FROM messages WHERE account_id = {acc} AND content ILIKE '%{word}%')");
    let search_sql = format!(
        "{} SELECT * FROM conversations WHERE account_id = {acc} AND status = 'open'{hits} ORDER BY last_activity_at DESC, id DESC LIMIT 25",
        counts_sql(&hits)
    );
    let messages_sql = format!("SELECT * FROM messages WHERE conversation_id = {long} ORDER BY id DESC LIMIT 20");
    let inbox = b.inbox_id;
    let insert_sql = move |i: usize| {
        format!(
            "INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, sender_type) \
             VALUES ({acc}, {inbox}, {long}, 1, 'bare insert {i}', 'user')"
        )
    };

    type Scenario = (&'static str, f64, Box<dyn Fn(usize) -> reqwest::RequestBuilder>, Box<dyn Fn(usize) -> String>);
    let create_client = client.clone();
    let create_url = format!("{base}/conversations/1/messages");
    let create_token = b.token.clone();
    let scenarios: Vec<Scenario> = vec![
        (
            "GET conversations (page 1, with counts)",
            25.0,
            Box::new(get(format!("{base}/conversations"))),
            Box::new({
                let page_sql = page_sql.clone();
                move |_| page_sql(0)
            }),
        ),
        (
            "GET conversations?page=200",
            25.0,
            Box::new(get(format!("{base}/conversations?page=200"))),
            Box::new(move |_| page_sql(199 * 25)),
        ),
        ("GET conversations?q=word", 150.0, Box::new(get(format!("{base}/conversations?q={word}"))), Box::new(move |_| search_sql.clone())),
        (
            "GET messages (5,000-message conversation)",
            15.0,
            Box::new(get(format!("{base}/conversations/1/messages"))),
            Box::new(move |_| messages_sql.clone()),
        ),
        (
            "POST messages",
            15.0,
            Box::new(move |i| {
                create_client
                    .post(&create_url)
                    .header("api_access_token", &create_token)
                    .json(&json!({ "content": format!("bench reply {i}") }))
            }),
            Box::new(insert_sql),
        ),
    ];

    println!("{requests} timed requests per scenario after {warmup} warm-up; sequential; times in ms\n");
    println!("| scenario | API p50 | API p99 | target p99 | bare SQL p50 | bare SQL p99 | API/SQL p50 | API/SQL p99 | meets target |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (name, target, request, sql) in &scenarios {
        time_http(&client, warmup, &request).await?;
        let api = stats(time_http(&client, requests, &request).await?);
        time_sql(&mut conn, warmup, sql).await?;
        let bare = stats(time_sql(&mut conn, requests, sql).await?);
        println!(
            "| {name} | {:.2} | {:.2} | < {target} | {:.2} | {:.2} | {:.1}x | {:.1}x | {} |",
            ms(api.p50),
            ms(api.p99),
            ms(bare.p50),
            ms(bare.p99),
            ms(api.p50) / ms(bare.p50).max(0.001),
            ms(api.p99) / ms(bare.p99).max(0.001),
            if ms(api.p99) < *target { "yes" } else { "NO" }
        );
    }
    // The bare inserts are bench debris in the long conversation; remove them.
    conn.batch_execute(&format!("DELETE FROM messages WHERE conversation_id = {long} AND content LIKE 'bare insert %'")).await?;
    handle.stop(true).await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    eprintln!("bench: starting");
    let (url, cluster) = match &cli.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let cluster = LocalCluster::start(ClusterOptions {
                root: cli.data_dir.join("postgres"),
                ephemeral: false,
                bindir: std::env::var_os("SWITCHBOARD_PG_BINDIR").map(std::path::PathBuf::from),
            })
            .await?;
            cluster.create_database("bench", None).await?;
            (cluster.url("bench"), Some(cluster))
        }
    };
    switchboard_store::migrate::run_pending(&url).await?;
    let result = match cli.command {
        Command::Seed => {
            let started = Instant::now();
            seed::run(&url).await?;
            println!(
                "seeded {} conversations and {} messages in {:.0} s",
                seed::CONVERSATIONS,
                seed::MESSAGES,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Http { requests, warmup } => http(&url, requests, warmup).await,
        Command::Reports { requests, warmup, concurrency, seconds, senders, rounds, interval_ms, skip_latency } => {
            reports::run(&url, requests, warmup, concurrency, seconds, senders, rounds, Duration::from_millis(interval_ms), skip_latency)
                .await
        }
        Command::Cable { clients, messages, nodes } => {
            let r = cable::run(&url, clients, messages, nodes).await?;
            println!("| nodes | clients | messages | delivered | p50 ms | p95 ms | p99 ms | server KiB per idle connection | CPU s: servers / load tool |");
            println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            println!(
                "| {nodes} | {clients} | {messages} | {}/{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} / {:.1} |",
                r.delivered, r.expected, r.p50, r.p95, r.p99, r.kib_per_connection, r.server_cpu, r.tool_cpu
            );
            Ok(())
        }
        Command::Webhooks { concurrency, seconds, senders, pool, groups, outbound, outbound_rate } => {
            let out = outbound.then_some(outbound_rate);
            let r = webhooks::run(&url, concurrency, seconds, senders, pool, groups, out).await?;
            anyhow::ensure!(r.stored == r.messages as i64, "acknowledged {} webhooks but stored {} messages", r.messages, r.stored);
            println!("| concurrency | acknowledged | stored | messages/s | ack p50 ms | ack p99 ms | bare INSERT rows/s | ratio |");
            println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
            println!(
                "| {concurrency} | {} | {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.2} |",
                r.messages,
                r.stored,
                r.rate,
                r.p50,
                r.p99,
                r.bare_rate,
                r.rate / r.bare_rate
            );
            if let Some(o) = &r.outbound {
                println!();
                println!("| inbound | messages | messages/s | vs no webhook | deliveries | deliveries/s | commit to delivery p50 ms | p99 ms | drained after load s |");
                println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
                println!("| no webhook, as fast as acknowledged | {} | {:.0} | 1.00 | - | - | - | - | - |", r.messages, r.rate);
                let pace = if outbound_rate > 0 { format!("at {outbound_rate}/s") } else { "as fast as acknowledged".to_string() };
                println!(
                    "| webhook on message_created, {pace} | {} | {:.0} | {:.2} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
                    o.messages,
                    o.rate,
                    o.rate / r.rate,
                    o.delivered,
                    o.delivery_rate,
                    o.p50,
                    o.p99,
                    o.drain
                );
                anyhow::ensure!(o.delivered == o.messages, "acknowledged {} messages but {} deliveries arrived", o.messages, o.delivered);
            }
            if let Some(g) = &r.groups {
                anyhow::ensure!(
                    g.stored == g.messages as i64,
                    "acknowledged {} group webhooks but stored {} messages",
                    g.messages,
                    g.stored
                );
                println!();
                println!("| path | groups | acknowledged | stored | messages/s | ack p50 ms | ack p99 ms | vs BSP path |");
                println!("|---|---:|---:|---:|---:|---:|---:|---:|");
                println!("| BSP | - | {} | {} | {:.0} | {:.1} | {:.1} | 1.00 |", r.messages, r.stored, r.rate, r.p50, r.p99);
                println!(
                    "| groups | {groups} | {} | {} | {:.0} | {:.1} | {:.1} | {:.2} |",
                    g.messages,
                    g.stored,
                    g.rate,
                    g.p50,
                    g.p99,
                    g.rate / r.rate
                );
            }
            Ok(())
        }
        Command::Notifications { count, concurrency } => {
            let (one, chatwoot) = notifications::run(&url, count, concurrency).await?;
            println!("| path | sent | notifications/s | answer p50 ms | answer p99 ms | to the BSP p50 ms | to the BSP p99 ms |");
            println!("|---|---:|---:|---:|---:|---:|---:|");
            for (name, r) in [("send_notification_by_id (1 call)", &one), ("Chatwoot API (contact + conversation)", &chatwoot)] {
                println!(
                    "| {name} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
                    r.sent, r.rate, r.ack_p50, r.ack_p99, r.bsp_p50, r.bsp_p99
                );
            }
            Ok(())
        }
        Command::Node { port, redis_url } => {
            let settings = Settings { port, redis_url, ..Settings::default() };
            let app = Application::build(settings, DbPool::new(&url, 20)?).await?;
            app.run().await?;
            Ok(())
        }
    };
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    result
}
