//! Reports on the seeded account: p50/p99 of every report for a 30-day and a one-year range,
//! and the inbound webhook rate with a report loop beside it, against the same load without.
//!
//! The latency requests are sequential and paced to stay within the account's report budget
//! (`core::report_budget`), as a dashboard is, so they time the reports and not the budget. The
//! inbound load runs continuously through windows with the loop off, paced, off, back to back
//! and off, and each loaded window is compared with its neighbours: on a machine whose speed
//! drifts, separate runs differ by more than the effect measured. Cycles alternate the budget
//! lifted (as before it existed) and as configured, so both are measured in one run.
//!
//! The seed writes conversations and messages with SQL, not through the event log, so the
//! first run derives the account's reports the way a rebuild does: it writes the log inputs
//! the reporter would have kept (a `conversation.created` per conversation, a
//! `message.created` per message, a resolution per resolved conversation) and runs
//! `switchboard_core::reports::rebuild` over them: the real derivation and roll-ups.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use switchboard_api::Application;
use switchboard_core::settings::{ReportLimits, Settings};
use switchboard_store::DbPool;

use crate::{ms, seed, stats};

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

/// `n` sequential requests, each followed by a pause that keeps the account within its report
/// budget (`ReportLimits::share` of real time), as a dashboard is: the times are the reports'
/// own, never a wait for the budget.
async fn time_paced(n: usize, share: f64, request: &impl Fn() -> reqwest::RequestBuilder) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let resp = request().send().await?;
        let status = resp.status();
        resp.bytes().await?;
        let took = started.elapsed();
        anyhow::ensure!(status.is_success(), "request {i} answered {status}");
        out.push(took);
        tokio::time::sleep(took.mul_f64(1.0 / share - 1.0)).await;
    }
    Ok(out)
}

/// What the report client does in a window: nothing, one report every `interval`, or reports
/// back to back.
const OFF: u8 = 0;
const PACED: u8 = 1;
const BACK_TO_BACK: u8 = 2;

/// A client requesting `paths` in turn on the app's port as `mode` says, counting the answers
/// (per mode) and the refusals.
#[allow(clippy::too_many_arguments)] // one load, described in full where it starts
fn report_loop(
    client: reqwest::Client,
    token: String,
    account: i64,
    paths: Vec<String>,
    interval: Duration,
    mode: Arc<AtomicU8>,
    answered: Arc<[AtomicUsize; 3]>,
    refused: Arc<AtomicUsize>,
) -> crate::webhooks::Beside {
    Box::new(move |port: u16| {
        tokio::spawn(async move {
            let base = format!("http://127.0.0.1:{port}/api/v2/accounts/{account}");
            let mut next = tokio::time::Instant::now();
            for i in 0.. {
                let now = AtomicU8::load(&mode, Ordering::Relaxed);
                match now {
                    OFF => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    PACED => {
                        tokio::time::sleep_until(next).await;
                        next = tokio::time::Instant::now() + interval;
                    }
                    _ => {}
                }
                let path = &paths[i % paths.len()];
                match client.get(format!("{base}{path}")).header("api_access_token", &token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        answered[usize::from(now)].fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => eprintln!("bench: report answered {}", r.status()),
                    Err(e) => eprintln!("bench: report failed: {e}"),
                }
            }
        })
    })
}

/// One cycle: a fresh app with `settings` under continuous inbound load for five windows (no
/// reports, paced loop, no reports, back-to-back loop, no reports; with `swapped`, the two loops
/// trade places, so that alternate rounds cancel any effect of a window's place in the load).
/// The paced window's rate against the mean of the two windows around it, and the same for the
/// back-to-back window, and the reports answered in each.
#[allow(clippy::too_many_arguments)]
async fn cycle(
    url: &str,
    settings: Settings,
    b: &Bench,
    paths: &[String],
    interval: Duration,
    concurrency: usize,
    senders: usize,
    window: Duration,
    swapped: bool,
) -> anyhow::Result<([f64; 2], [usize; 2], usize)> {
    let mode = Arc::new(AtomicU8::new(OFF));
    let answered = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
    let refused = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder().pool_max_idle_per_host(8).build()?;
    let looped =
        report_loop(client, b.admin_token.clone(), b.account_id, paths.to_vec(), interval, mode.clone(), answered.clone(), refused.clone());
    let (paced, back_to_back) = if swapped { (3, 1) } else { (1, 3) };
    let mut plan = [OFF; 5];
    plan[paced] = PACED;
    plan[back_to_back] = BACK_TO_BACK;
    let rates = crate::webhooks::inbound_windows(url, settings, concurrency, senders, window, plan.len(), looped, |i| {
        mode.store(plan[i], Ordering::Relaxed)
    })
    .await?;
    let change = |w: usize| (rates[w] / ((rates[w - 1] + rates[w + 1]) / 2.0) - 1.0) * 100.0;
    // Called as `AtomicUsize::load`: diesel's `RunQueryDsl::load` is in scope too.
    let count = |m: u8| AtomicUsize::load(&answered[usize::from(m)], Ordering::Relaxed);
    Ok(([change(paced), change(back_to_back)], [count(PACED), count(BACK_TO_BACK)], AtomicUsize::load(&refused, Ordering::Relaxed)))
}

/// Every report's p50 and p99, for 30 days and a year, as the administrator (three as an agent).
async fn latency(url: &str, b: &Bench, short: &[(String, String, bool)], requests_per: usize, warmup: usize) -> anyhow::Result<()> {
    let settings = Settings { port: 0, outbound_allow_private: true, ..Settings::default() };
    let share = settings.reports.share;
    let app = Application::build(settings, DbPool::new(url, 20)?).await?;
    let port = app.port();
    let base = format!("http://127.0.0.1:{port}/api/v2/accounts/{}", b.account_id);
    let handle = app.handle();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().pool_max_idle_per_host(8).build()?;

    println!(
        "{requests_per} timed requests per report after {warmup} warm-up; sequential, each followed by a pause that keeps within the account's report time ({:.0}% of real time); times in ms; targets: p99 < 50 (30 days), < 200 (one year)\n",
        share * 100.0
    );
    println!("| report | 30 days p50 | 30 days p99 | one year p50 | one year p99 | meets targets |");
    println!("|---|---:|---:|---:|---:|---|");
    let long = requests(b, 365);
    for ((name, month, as_agent), (_, year, _)) in short.iter().zip(&long) {
        let token = if *as_agent { b.agent_token.clone() } else { b.admin_token.clone() };
        let mut figures = vec![];
        for path in [month, year] {
            let request = {
                let (client, url, token) = (client.clone(), format!("{base}{path}"), token.clone());
                move || client.get(&url).header("api_access_token", &token)
            };
            time_paced(warmup, share, &request).await?;
            figures.push(stats(time_paced(requests_per, share, &request).await?));
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
    Ok(())
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
    skip_latency: bool,
) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let mut b = bench_account(&mut conn).await?;
    if b.derived == 0 {
        derive(url, &mut conn, b.account_id).await?;
        b = bench_account(&mut conn).await?;
    }
    let short = requests(&b, 30);
    if !skip_latency {
        latency(url, &b, &short, requests_per, warmup).await?;
    }

    // Inbound webhooks with a report loop beside them: in each cycle one continuous load, the
    // loop off, paced, off, back to back and off again, so each loaded window is compared with
    // its neighbours. Cycles alternate the report budget lifted (a share of 100%: a sequential
    // client is never paced, as before the budget) and the default budget.
    println!(
        "\ninbound WhatsApp webhooks ({concurrency} concurrent) in windows of {seconds} s: each loaded window against the mean of the windows without reports around it; the loop requests the 30-day reports in turn, every {} ms (paced) or back to back\n",
        interval.as_millis()
    );
    println!(
        "| round | report budget | paced loop: change | reports answered | back-to-back loop: change | reports answered | refused (429) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let paths: Vec<String> = short.iter().filter(|r| !r.2).map(|r| r.1.clone()).collect();
    let window = Duration::from_secs(seconds);
    let lifted = ReportLimits { share: 1.0, ..ReportLimits::default() };
    let budgets = [("lifted (100%)", lifted), ("default", ReportLimits::default())];
    let mut changes: [Vec<[f64; 2]>; 2] = [vec![], vec![]];
    for round in 1..=rounds {
        for (k, (name, limits)) in budgets.iter().enumerate() {
            let settings = Settings { outbound_allow_private: true, reports: *limits, ..Settings::default() };
            let (change, answered, refused) =
                cycle(url, settings, &b, &paths, interval, concurrency, senders, window, round % 2 == 0).await?;
            anyhow::ensure!(answered[0] > 0 && answered[1] > 0, "no report was answered during a loaded window");
            println!("| {round} | {name} | {:+.1}% | {} | {:+.1}% | {} | {refused} |", change[0], answered[0], change[1], answered[1]);
            changes[k].push(change);
        }
    }
    for (k, (name, _)) in budgets.iter().enumerate() {
        let median = |i: usize| {
            let mut v: Vec<f64> = changes[k].iter().map(|c| c[i]).collect();
            v.sort_by(f64::total_cmp);
            let mid = v.len() / 2;
            // An even count's median is the mean of its two middle values.
            if v.len().is_multiple_of(2) {
                (v[mid - 1] + v[mid]) / 2.0
            } else {
                v[mid]
            }
        };
        println!("| median | {name} | **{:+.1}%** | | **{:+.1}%** | | |", median(0), median(1));
    }
    Ok(())
}
