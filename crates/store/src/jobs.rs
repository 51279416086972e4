//! The job queue: rows in `jobs`, claimed with `FOR UPDATE SKIP LOCKED` so workers in any number
//! of processes never take the same job, and announced with NOTIFY so idle workers wake at once.
//!
//! Claiming pushes `run_at` forward by a lease instead of marking the row taken: a worker that
//! dies mid-job leaves nothing to clean up, the job simply comes due again.
//!
//! Jobs are typed (`BackgroundJob`): each kind has a payload struct, and a payload its kind
//! cannot read is buried (`bury`: dead, with the reason) instead of running on made-up values.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Interval, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::models::Job;
use crate::schema::jobs;
use crate::StoreResult;

/// The channel NOTIFY announces new jobs on.
pub const CHANNEL: &str = "switchboard_jobs";

fn interval(d: Duration) -> diesel::pg::data_types::PgInterval {
    diesel::pg::data_types::PgInterval::from_microseconds(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// How a kind of job meets a failure that may pass (a timeout, a 5xx): up to `attempts` runs in
/// all, waiting `base`, then twice as long each time, at most `max`, before the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Retry {
    /// The wait before the next run once `failed` runs have failed, or `None` when the attempts
    /// are spent and the job must give up.
    pub fn after(&self, failed: u32) -> Option<Duration> {
        if failed >= self.attempts {
            return None;
        }
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        Some(self.base.saturating_mul(factor).min(self.max))
    }
}

/// A kind of job: its name in `jobs.kind`, its payload, and its retry policy.
pub trait BackgroundJob: Serialize + DeserializeOwned {
    const KIND: &'static str;

    /// The kind's retry policy, given the deployment's (its `WHATSAPP_SEND_ATTEMPTS` and
    /// backoff settings), which a kind follows unless it says otherwise.
    fn retry(configured: Retry) -> Retry {
        configured
    }
}

/// Sends one outgoing message through its inbox's channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub message_id: i64,
}

impl BackgroundJob for SendMessage {
    const KIND: &'static str = "whatsapp.send";
}

/// Reads a WhatsApp group's metadata from its provider. `force`: even if synced lately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncGroup {
    pub contact_id: i64,
    #[serde(default)]
    pub force: bool,
}

impl BackgroundJob for SyncGroup {
    const KIND: &'static str = "whatsapp.group_sync";

    /// A group is synced again on its next change or request: a provider that stays down for
    /// long is not worth more than three tries, and no wait beyond a minute.
    fn retry(configured: Retry) -> Retry {
        Retry { attempts: configured.attempts.min(3), max: configured.max.min(Duration::from_secs(60)), ..configured }
    }
}

/// Fetches a file a channel received (only linked, or kept at the provider) into our storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadMedia {
    pub attachment_id: i64,
}

impl BackgroundJob for DownloadMedia {
    const KIND: &'static str = "whatsapp.download_media";
}

/// Fetches a WhatsApp group's or person's picture into our storage. `force`: even if fetched
/// within the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchAvatar {
    pub contact_id: i64,
    pub inbox_id: i64,
    #[serde(default)]
    pub force: bool,
}

impl BackgroundJob for FetchAvatar {
    const KIND: &'static str = "whatsapp.fetch_avatar";

    /// A picture is fetched again tomorrow anyway: three tries, a minute at most between them.
    fn retry(configured: Retry) -> Retry {
        Retry { attempts: configured.attempts.min(3), max: configured.max.min(Duration::from_secs(60)), ..configured }
    }
}

/// Posts one webhook delivery (`webhook_deliveries`). The delivery keeps its own attempts and
/// schedule (`domain::webhooks::after_attempt`): the job is postponed between attempts, never
/// counted as failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverWebhook {
    pub delivery_id: i64,
}

impl BackgroundJob for DeliverWebhook {
    const KIND: &'static str = "webhook.deliver";
}

impl Job {
    /// The payload as its kind's type; the error says why it cannot be read.
    pub fn payload_as<J: BackgroundJob>(&self) -> Result<J, String> {
        if self.kind != J::KIND {
            return Err(format!("a {} job is not a {}", self.kind, J::KIND));
        }
        serde_json::from_value(self.payload.clone()).map_err(|e| format!("unreadable {} payload {}: {e}", self.kind, self.payload))
    }
}

/// Adds a typed job, due now, in the caller's transaction (see `enqueue_raw`).
pub async fn enqueue<J: BackgroundJob>(conn: &mut AsyncPgConnection, job: &J) -> StoreResult<i64> {
    let payload = serde_json::to_value(job).map_err(|e| crate::StoreError::Unavailable(format!("job payload: {e}")))?;
    enqueue_raw(conn, J::KIND, &payload).await
}

/// Adds typed jobs of one kind, due now, in one statement (a batch's files, say).
pub async fn enqueue_many<J: BackgroundJob>(conn: &mut AsyncPgConnection, jobs: &[J]) -> StoreResult<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let payloads = jobs
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::StoreError::Unavailable(format!("job payload: {e}")))?;
    diesel::sql_query("INSERT INTO jobs (kind, payload) SELECT $1, p FROM unnest($2::jsonb[]) AS p")
        .bind::<Text, _>(J::KIND)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Jsonb>, _>(&payloads)
        .execute(conn)
        .await?;
    diesel::sql_query("SELECT pg_notify($1, $2)").bind::<Text, _>(CHANNEL).bind::<Text, _>(J::KIND).execute(conn).await?;
    Ok(())
}

/// Adds a job, due now. Call it inside the transaction of the write the job belongs to: the job
/// exists exactly when the write does, and the NOTIFY is delivered on commit. Prefer `enqueue`:
/// this one is for tests that need a job no type would make.
pub async fn enqueue_raw(conn: &mut AsyncPgConnection, kind: &str, payload: &Value) -> StoreResult<i64> {
    let id = diesel::insert_into(jobs::table)
        .values((jobs::kind.eq(kind), jobs::payload.eq(payload)))
        .returning(jobs::id)
        .get_result(conn)
        .await?;
    diesel::sql_query("SELECT pg_notify($1, $2)").bind::<Text, _>(CHANNEL).bind::<Text, _>(kind).execute(conn).await?;
    Ok(id)
}

/// Takes up to `limit` due jobs, oldest first, and leases them for `lease`.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64, lease: Duration) -> StoreResult<Vec<Job>> {
    Ok(diesel::sql_query(
        "UPDATE jobs SET run_at = now() + $2 WHERE id IN ( \
           SELECT id FROM jobs WHERE run_at <= now() AND dead_at IS NULL ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, kind, payload, attempts, run_at, last_error, created_at, started_at, dead_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Interval, _>(interval(lease))
    .load::<Job>(conn)
    .await?)
}

/// An attempt begins: recorded before the request leaves, so that a crash before its outcome is
/// recorded is seen by whoever claims the job next (`Job::started_at`).
pub async fn mark_started(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<()> {
    diesel::sql_query("UPDATE jobs SET started_at = now() WHERE id = $1").bind::<BigInt, _>(id).execute(conn).await?;
    Ok(())
}

/// The job can never run (an unknown kind, an unreadable payload): it is kept, dead, with the
/// reason, for someone to see (`dead`), and never claimed again.
pub async fn bury(conn: &mut AsyncPgConnection, id: i64, reason: &str) -> StoreResult<()> {
    diesel::sql_query("UPDATE jobs SET dead_at = now(), last_error = $2, started_at = NULL WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// Dead jobs, newest first.
pub async fn dead(conn: &mut AsyncPgConnection, limit: i64) -> StoreResult<Vec<Job>> {
    Ok(jobs::table.filter(jobs::dead_at.is_not_null()).order(jobs::dead_at.desc()).limit(limit).select(Job::as_select()).load(conn).await?)
}

/// Done: the job goes away. Run it in the transaction that records the job's outcome.
pub async fn complete(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<()> {
    diesel::delete(jobs::table.find(id)).execute(conn).await?;
    Ok(())
}

/// A failed attempt: counted, and the job comes due again after `delay`.
pub async fn retry(conn: &mut AsyncPgConnection, id: i64, delay: Duration, error: &str) -> StoreResult<()> {
    diesel::sql_query("UPDATE jobs SET attempts = attempts + 1, run_at = now() + $2, last_error = $3, started_at = NULL WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<Interval, _>(interval(delay))
        .bind::<Text, _>(error)
        .execute(conn)
        .await?;
    Ok(())
}

/// Not now, and not a failure (a rate limit): the job comes due again after `delay`.
pub async fn postpone(conn: &mut AsyncPgConnection, id: i64, delay: Duration) -> StoreResult<()> {
    diesel::sql_query("UPDATE jobs SET run_at = now() + $2 WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<Interval, _>(interval(delay))
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts a send against the inbox's per-second budget; false when this second is used up.
/// Every process shares the row, so the limit holds for the number, not per process.
pub async fn take_send_slot(conn: &mut AsyncPgConnection, inbox_id: i64, limit: i32) -> StoreResult<bool> {
    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        used: i32,
    }
    let row: Option<Used> = diesel::sql_query(
        "INSERT INTO send_slots (inbox_id, second, used) VALUES ($1, extract(epoch FROM clock_timestamp())::bigint, 1) \
         ON CONFLICT (inbox_id, second) DO UPDATE SET used = send_slots.used + 1 WHERE send_slots.used < $2 RETURNING used",
    )
    .bind::<BigInt, _>(inbox_id)
    .bind::<diesel::sql_types::Integer, _>(limit)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.is_some())
}

/// Forgets send budgets of seconds long gone.
pub async fn prune_send_slots(conn: &mut AsyncPgConnection) -> StoreResult<usize> {
    Ok(diesel::sql_query("DELETE FROM send_slots WHERE second < extract(epoch FROM now())::bigint - 60").execute(conn).await?)
}

/// Subscribes a dedicated connection to job announcements.
pub async fn listen(conn: &mut AsyncPgConnection) -> StoreResult<()> {
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_give_up() {
        let r = Retry { attempts: 4, base: Duration::from_secs(2), max: Duration::from_secs(5) };
        assert_eq!(r.after(1), Some(Duration::from_secs(2)));
        assert_eq!(r.after(2), Some(Duration::from_secs(4)));
        assert_eq!(r.after(3), Some(Duration::from_secs(5)), "capped");
        assert_eq!(r.after(4), None, "four runs in all");
    }

    #[test]
    fn a_kind_may_narrow_the_configured_policy() {
        let configured = Retry { attempts: 8, base: Duration::from_secs(2), max: Duration::from_secs(300) };
        assert_eq!(SendMessage::retry(configured), configured);
        let group = SyncGroup::retry(configured);
        assert_eq!((group.attempts, group.max), (3, Duration::from_secs(60)));
    }
}
