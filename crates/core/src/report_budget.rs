//! How much database time one account's reports may take, so that reports never slow the inbox.
//!
//! One report is cheap (it reads roll-ups), but a client asking for reports back to back holds
//! a core that ingest needs: on two cores it cost inbound webhooks about a quarter of their rate.
//! So each account has a budget of report time: a bucket that holds up to `burst` and refills at
//! `share` of real time. A report starts once the bucket is not in debt, and the time it took is
//! taken from the bucket when it ends. A dashboard opening a dozen reports spends from the burst
//! and never waits; a loop is paced down to `share`.
//!
//! Time rather than a count, because one live count costs as much as ten roll-up reads, and a
//! report slowed by a busy database (waiting for a connection included) costs more and so backs
//! off more. Hand-written because rate-limiting crates (governor) take a cost known before the
//! work starts, and a report's is known only when it ends.
//!
//! The budget is per process: with several web nodes an account has one on each.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{CoreError, CoreResult};
use crate::settings::ReportLimits;

/// One account's bucket: seconds of report time it may still spend (negative: in debt).
struct Bucket {
    level: f64,
    at: Instant,
}

/// Buckets beyond this many are swept of full ones, which hold nothing a new one would not.
const SWEEP_ABOVE: usize = 4096;

pub struct ReportBudget {
    limits: ReportLimits,
    accounts: Mutex<HashMap<i64, Bucket>>,
}

impl ReportBudget {
    pub fn new(limits: ReportLimits) -> Self {
        let share = if limits.share.is_finite() { limits.share.clamp(1e-6, 1.0) } else { 1.0 };
        Self { limits: ReportLimits { share, ..limits }, accounts: Mutex::new(HashMap::new()) }
    }

    /// Waits for the account's turn; the turn measures the report and charges it when dropped.
    /// A wait longer than `max_wait` is a 429 instead, so a flood of concurrent requests does
    /// not pile up connections that wait for minutes.
    pub async fn admit(&self, account_id: i64) -> CoreResult<Turn<'_>> {
        loop {
            let level = self.with_bucket(account_id, |b| b.level);
            if level >= 0.0 {
                return Ok(Turn { budget: self, account_id, started: Instant::now() });
            }
            let wait = -level / self.limits.share;
            if wait > self.limits.max_wait.as_secs_f64() {
                return Err(CoreError::TooManyRequests { retry_after_secs: wait.ceil() as u64 });
            }
            // At least a millisecond: a debt rounded to a hair below zero must still let time pass.
            tokio::time::sleep(Duration::from_secs_f64(wait).max(Duration::from_millis(1))).await;
        }
    }

    /// Runs `f` on the account's bucket, refilled up to now.
    fn with_bucket<T>(&self, account_id: i64, f: impl FnOnce(&mut Bucket) -> T) -> T {
        let now = Instant::now();
        let burst = self.limits.burst.as_secs_f64();
        // A panic elsewhere cannot leave a bucket half-written: every change is one assignment.
        let mut accounts = self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if accounts.len() > SWEEP_ABOVE {
            let share = self.limits.share;
            accounts.retain(|_, b| b.level + now.duration_since(b.at).as_secs_f64() * share < burst);
        }
        let bucket = accounts.entry(account_id).or_insert(Bucket { level: burst, at: now });
        bucket.level = (bucket.level + now.duration_since(bucket.at).as_secs_f64() * self.limits.share).min(burst);
        bucket.at = now;
        f(bucket)
    }
}

/// A report under way; dropping it charges the time since it was admitted.
pub struct Turn<'a> {
    budget: &'a ReportBudget,
    account_id: i64,
    started: Instant,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let spent = self.started.elapsed().as_secs_f64();
        self.budget.with_bucket(self.account_id, |b| b.level -= spent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(share: f64, burst_ms: u64, max_wait_secs: u64) -> ReportBudget {
        ReportBudget::new(ReportLimits { share, burst: Duration::from_millis(burst_ms), max_wait: Duration::from_secs(max_wait_secs) })
    }

    /// Holds a turn for `ms` of (paused) time.
    async fn report(b: &ReportBudget, account_id: i64, ms: u64) -> CoreResult<()> {
        let _turn = b.admit(account_id).await?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn reports_within_the_burst_never_wait() -> CoreResult<()> {
        let b = budget(0.1, 100, 10);
        let start = Instant::now();
        for _ in 0..5 {
            report(&b, 1, 20).await?;
        }
        // 100 ms of reports took 100 ms: no waits.
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_is_paced_down_to_the_share() -> CoreResult<()> {
        let b = budget(0.1, 100, 10);
        let start = Instant::now();
        for _ in 0..105 {
            report(&b, 1, 20).await?;
        }
        // 2.1 s of report time: 0.1 s from the burst, the other 2 s at a tenth of real time,
        // so about 20 s in all (the last report starts once its debt is paid).
        let took = start.elapsed().as_secs_f64();
        assert!((19.0..=21.0).contains(&took), "took {took} s");
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn accounts_have_budgets_of_their_own() -> CoreResult<()> {
        let b = budget(0.1, 0, 10);
        report(&b, 1, 500).await?;
        // Account 1 owes 0.5 s, a 5 s wait; account 2 starts at once.
        let start = Instant::now();
        report(&b, 2, 10).await?;
        assert_eq!(start.elapsed(), Duration::from_millis(10));
        let start = Instant::now();
        let _turn = b.admit(1).await?;
        let waited = start.elapsed().as_secs_f64();
        assert!((4.9..=5.1).contains(&waited), "waited {waited} s");
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_limit_is_too_many_requests() -> CoreResult<()> {
        let b = budget(0.1, 0, 2);
        report(&b, 1, 1_000).await?;
        // 1 s owed at a tenth of real time: a 10 s wait, past the 2 s limit.
        match b.admit(1).await {
            Err(CoreError::TooManyRequests { retry_after_secs }) => assert!((10..=11).contains(&retry_after_secs), "{retry_after_secs}"),
            Err(e) => panic!("unexpected error: {e}"),
            Ok(_) => panic!("admitted while 10 s in debt"),
        }
        // Once the debt is paid, the account reads again.
        tokio::time::sleep(Duration::from_secs(10)).await;
        report(&b, 1, 10).await
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_reports_share_one_budget() -> CoreResult<()> {
        let b = budget(0.5, 0, 60);
        let start = Instant::now();
        // Four reports of 100 ms at once: admitted together, 0.4 s owed at half of real time.
        let (r1, r2, r3, r4) = tokio::join!(report(&b, 1, 100), report(&b, 1, 100), report(&b, 1, 100), report(&b, 1, 100));
        r1.and(r2).and(r3).and(r4)?;
        report(&b, 1, 0).await?;
        let took = start.elapsed().as_secs_f64();
        // 0.1 s of work, then 0.4 s owed, paid back at half of real time: 0.8 s.
        assert!((0.85..=0.95).contains(&took), "took {took} s");
        Ok(())
    }
}
