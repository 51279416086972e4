//! Reports on the seeded account: p50/p99 of every report for a 30-day and a one-year range,
//! and the inbound webhook rate with a report loop beside it against the same load without,
//! in one run.
//!
//! The seed writes conversations and messages with SQL, not through the event log, so the
//! first run derives the account's reports the way a rebuild does: it writes the log inputs
//! the reporter would have kept (a `conversation.created` per conversation, a
//! `message.created` per message, a resolution per resolved conversation) and runs
//! `switchboard_core::reports::rebuild` over them: the real derivation and roll-ups.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use switchboard_api::Application;
use switchboard_core::settings::Settings;
use switchboard_store::DbPool;

use crate::{ms, seed, stats, time_http};

#[derive(diesel::QueryableByName)]
struct Bench {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    account_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    admin_token: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    agent_token: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    agent_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    inbox_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    derived: i64,
}

async fn bench_account(conn: &mut AsyncPgConnection) -> anyhow::Result<Bench> {
    diesel::sql_query(
        "SELECT a.id AS account_id, ad.access_token AS admin_token, ag.access_token AS agent_token, ag.id AS agent_id, \
                (SELECT min(i.id) FROM inboxes i JOIN inbox_members im ON im.inbox_id = i.id WHERE im.user_id = ag.id) AS inbox_id, \
                (SELECT count(*) FROM report_inputs r WHERE r.account_id = a.id) AS derived \
         FROM accounts a \
         JOIN account_users au ON au.account_id = a.id AND au.role = 'administrator' JOIN users ad ON ad.id = au.user_id \
         JOIN account_users gu ON gu.account_id = a.id AND gu.role = 'agent' JOIN users ag ON ag.id = gu.user_id \
         WHERE a.name = $1 ORDER BY a.id DESC, ag.id LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(seed::ACCOUNT_NAME)
    .get_result(conn)
    .await
    .context("no bench account: run `switchboard-bench seed` first")
}

/// Writes the seeded account's log inputs and derives its reports from them (once per seed).
async fn derive(url: &str, conn: &mut AsyncPgConnection, account_id: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let epoch = |col: &str| format!("extract(epoch from {col})::bigint");
    let script = format!(
        r#"
BEGIN;
INSERT INTO labels (account_id, title) VALUES ({account_id}, 'billing') ON CONFLICT DO NOTHING;
CREATE TEMP TABLE bench_inputs ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY at, kind, id) AS seq, name, at, data FROM (
  SELECT c.id, 0 AS kind, 'conversation.created' AS name, c.created_at AS at,
         jsonb_build_object('id', c.display_id, 'inbox_id', c.inbox_id, 'status', 'open', 'labels', to_jsonb(c.labels),
           'created_at', {c_created}, 'updated_at', {c_created},
           'meta', jsonb_build_object('assignee', CASE WHEN c.assignee_id IS NULL THEN NULL ELSE jsonb_build_object('id', c.assignee_id) END,
                                      'team', NULL)) AS data
  FROM conversations c WHERE c.account_id = {account_id}
  UNION ALL
  SELECT m.id, 1, 'message.created', m.created_at,
         jsonb_build_object('conversation_id', c.display_id, 'inbox_id', m.inbox_id, 'message_type', m.message_type, 'private', false,
           'sender_type', CASE m.sender_type WHEN 'contact' THEN 'Contact' ELSE 'User' END, 'sender_id', m.sender_id,
           'created_at', {m_created}, 'content_attributes', '{{"automation_rule_id": null}}'::jsonb)
  FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.account_id = {account_id}
  UNION ALL
  SELECT c.id, 2, 'conversation.status_changed', c.last_activity_at + interval '1 minute',
         jsonb_build_object('id', c.display_id, 'inbox_id', c.inbox_id, 'status', 'resolved', 'labels', to_jsonb(c.labels),
           'created_at', {c_created}, 'updated_at', {resolved},
           'meta', jsonb_build_object('assignee', CASE WHEN c.assignee_id IS NULL THEN NULL ELSE jsonb_build_object('id', c.assignee_id) END,
                                      'team', NULL))
  FROM conversations c WHERE c.account_id = {account_id} AND c.status = 'resolved'
) x;
-- In batches of 1,000, as the reader keeps them.
INSERT INTO report_inputs (account_id, first_seq, last_seq, inputs)
  SELECT {account_id}, min(seq), max(seq), jsonb_agg(jsonb_build_array(seq, name, at, data) ORDER BY seq)
  FROM bench_inputs GROUP BY (seq - 1) / 1000;
INSERT INTO event_readers (account_id, reader, seq)
  VALUES ({account_id}, 'reports', (SELECT max(last_seq) FROM report_inputs WHERE account_id = {account_id}))
  ON CONFLICT (account_id, reader) DO UPDATE SET seq = EXCLUDED.seq;
COMMIT;
"#,
        c_created = epoch("c.created_at"),
        m_created = epoch("m.created_at"),
        resolved = epoch("c.last_activity_at + interval '1 minute'"),
    );
    conn.batch_execute(&script).await?;
    eprintln!("bench: wrote the log inputs in {:.0} s; deriving", started.elapsed().as_secs_f64());
    let read = switchboard_core::reports::rebuild(&DbPool::new(url, 2)?, account_id).await?;
    // One statement each: VACUUM cannot run in the implicit transaction of a multi-statement batch.
    for table in ["report_slots", "report_days", "reporting_events", "report_conversations"] {
        conn.batch_execute(&format!("VACUUM ANALYZE {table}")).await?;
    }
    println!("derived the reports of {read} log events in {:.0} s\n", started.elapsed().as_secs_f64());
    Ok(())
}

/// The report requests a dashboard makes, for a range of `days` ending now.
fn requests(b: &Bench, days: i64) -> Vec<(String, String, bool)> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default();
    let range = format!("since={}&until={now}", now - days * 86_400);
    // The channel summary answers at most six months.
    let channel_range = format!("since={}&until={now}", now - days.min(183) * 86_400);
    let (agent, inbox) = (b.agent_id, b.inbox_id);
    let admin = |name: &str, path: String| (name.to_string(), path, false);
    vec![
        admin("reports conversations_count (account, by day)", format!("/reports?metric=conversations_count&type=account&{range}")),
        admin("reports avg_first_response_time (agent)", format!("/reports?metric=avg_first_response_time&type=agent&id={agent}&{range}")),
        admin(
            "reports incoming_messages_count (inbox, by week, UTC-5)",
            format!("/reports?metric=incoming_messages_count&type=inbox&id={inbox}&group_by=week&timezone_offset=-5&{range}"),
        ),
        admin("reports/summary (account, with previous)", format!("/reports/summary?type=account&{range}")),
        admin("summary_reports/agent", format!("/summary_reports/agent?{range}")),
        admin("summary_reports/inbox", format!("/summary_reports/inbox?{range}")),
        admin("summary_reports/team", format!("/summary_reports/team?{range}")),
        admin("summary_reports/channel (at most 6 months)", format!("/summary_reports/channel?{channel_range}")),
        admin("first_response_time_distribution", format!("/reports/first_response_time_distribution?{range}")),
        admin("inbox_label_matrix", format!("/reports/inbox_label_matrix?{range}")),
        admin("outgoing_messages_count (by agent)", format!("/reports/outgoing_messages_count?group_by=agent&{range}")),
        admin("reports/conversations (live counts)", "/reports/conversations?type=account".to_string()),
        ("reports/summary as an agent (their inboxes)".into(), format!("/reports/summary?type=account&{range}"), true),
        ("summary_reports/agent as an agent".into(), format!("/summary_reports/agent?{range}"), true),
        ("reports conversations_count as an agent".into(), format!("/reports?metric=conversations_count&type=account&{range}"), true),
    ]
}

/// A client requesting `paths` in turn on the app's port, every `pace` (None: back to back),
/// counting the answers.
fn report_loop(
    client: reqwest::Client,
    token: String,
    account: i64,
    paths: Vec<String>,
    pace: Option<Duration>,
    answered: Arc<AtomicUsize>,
) -> crate::webhooks::Beside {
    Box::new(move |port: u16| {
        tokio::spawn(async move {
            let base = format!("http://127.0.0.1:{port}/api/v2/accounts/{account}");
            let mut tick = pace.map(tokio::time::interval);
            for i in 0.. {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                let path = &paths[i % paths.len()];
                match client.get(format!("{base}{path}")).header("api_access_token", &token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => eprintln!("bench: report answered {}", r.status()),
                    Err(e) => eprintln!("bench: report failed: {e}"),
                }
            }
        })
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    url: &str,
    requests_per: usize,
    warmup: usize,
    concurrency: usize,
    seconds: u64,
    senders: usize,
    rounds: usize,
    interval: Duration,
) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let mut b = bench_account(&mut conn).await?;
    if b.derived == 0 {
        derive(url, &mut conn, b.account_id).await?;
        b = bench_account(&mut conn).await?;
    }
    let settings = Settings { port: 0, outbound_allow_private: true, ..Settings::default() };
    let app = Application::build(settings, DbPool::new(url, 20)?).await?;
    let port = app.port();
    let base = format!("http://127.0.0.1:{port}/api/v2/accounts/{}", b.account_id);
    let handle = app.handle();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().pool_max_idle_per_host(8).build()?;

    println!("{requests_per} timed requests per report after {warmup} warm-up; sequential; times in ms; targets: p99 < 50 (30 days), < 200 (one year)\n");
    println!("| report | 30 days p50 | 30 days p99 | one year p50 | one year p99 | meets targets |");
    println!("|---|---:|---:|---:|---:|---|");
    let short = requests(&b, 30);
    let long = requests(&b, 365);
    for ((name, month, as_agent), (_, year, _)) in short.iter().zip(&long) {
        let token = if *as_agent { b.agent_token.clone() } else { b.admin_token.clone() };
        let mut figures = vec![];
        for path in [month, year] {
            let make = {
                let (client, url, token) = (client.clone(), format!("{base}{path}"), token.clone());
                move |_| client.get(&url).header("api_access_token", &token)
            };
            time_http(&client, warmup, &make).await?;
            figures.push(stats(time_http(&client, requests_per, &make).await?));
        }
        let ok = ms(figures[0].p99) < 50.0 && ms(figures[1].p99) < 200.0;
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            ms(figures[0].p50),
            ms(figures[0].p99),
            ms(figures[1].p50),
            ms(figures[1].p99),
            if ok { "yes" } else { "NO" }
        );
    }
    handle.stop(true).await;

    // Inbound webhooks without and with a report loop beside them, alternated, in one run: the
    // loop paced as a busy dashboard (a report every `interval`), and back to back.
    println!("\ninbound WhatsApp webhooks ({concurrency} concurrent, {seconds} s timed per load) without reports, with one client requesting the 30-day reports in turn every {} ms, and with that client requesting them back to back\n", interval.as_millis());
    println!("| round | without: messages/s | paced loop: messages/s | change | reports answered | back-to-back loop: messages/s | change | reports answered |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let paths: Vec<String> = short.iter().filter(|r| !r.2).map(|r| r.1.clone()).collect();
    let mut figures: Vec<[f64; 3]> = vec![];
    for round in 1..=rounds {
        let plain = crate::webhooks::inbound_rate(url, concurrency, seconds, senders, None).await?;
        let mut loaded = vec![];
        for pace in [Some(interval), None] {
            let answered = Arc::new(AtomicUsize::new(0));
            let looped = report_loop(client.clone(), b.admin_token.clone(), b.account_id, paths.clone(), pace, answered.clone());
            let rate = crate::webhooks::inbound_rate(url, concurrency, seconds, senders, Some(looped)).await?;
            let answered = AtomicUsize::load(&answered, Ordering::Relaxed);
            anyhow::ensure!(answered > 0, "no report was answered during the loaded round");
            loaded.push((rate, answered));
        }
        println!(
            "| {round} | {plain:.0} | {:.0} | {:+.1}% | {} | {:.0} | {:+.1}% | {} |",
            loaded[0].0,
            (loaded[0].0 / plain - 1.0) * 100.0,
            loaded[0].1,
            loaded[1].0,
            (loaded[1].0 / plain - 1.0) * 100.0,
            loaded[1].1
        );
        figures.push([plain, loaded[0].0, loaded[1].0]);
    }
    let median = |i: usize| {
        let mut v: Vec<f64> = figures.iter().map(|f| f[i]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, p, c) = (median(0), median(1), median(2));
    println!("| median | {a:.0} | {p:.0} | {:+.1}% | | {c:.0} | {:+.1}% | |", (p / a - 1.0) * 100.0, (c / a - 1.0) * 100.0);
    Ok(())
}
