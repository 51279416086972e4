//! The delivery job: posts one webhook delivery, signed, and settles what follows from the
//! answer (`domain::webhooks::after_attempt`): delivered, retried with backoff, failed, or
//! parked because its endpoint was disabled. A delivery waits for the earlier pending delivery
//! of its conversation to the same endpoint, so they arrive in order.

use std::time::Duration;

use chrono::Utc;
use switchboard_channels::webhook::Delivery;
use switchboard_domain::webhooks::{after_attempt, Fate, Outcome};
use switchboard_store::jobs::DeliverWebhook;
use switchboard_store::models::Job;
use switchboard_store::webhooks::{AttemptRecord, Delivered};

use crate::error::CoreResult;
use crate::state::AppState;

/// How long a delivery waiting for an earlier one sleeps when that one is under way: the
/// earlier one wakes it when done, so this only bounds a wake-up lost to a race…
const WAIT_MIN: Duration = Duration::from_secs(2);
/// …and at the most, when the earlier one waits for its own retry.
const WAIT_MAX: Duration = Duration::from_secs(300);
/// How long a job steps aside while another worker runs an attempt of its delivery.
const BUSY_WAIT: Duration = Duration::from_secs(5);

pub async fn deliver(state: &AppState, job: &Job, payload: DeliverWebhook) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    let lease = state.settings.job_lease();
    let found = switchboard_store::webhooks::attempt_context(&mut conn, payload.delivery_id, lease).await?;
    let Some(c) = found.filter(|c| c.status == "pending" && c.enabled) else {
        // Delivered, failed, deleted, or its endpoint is disabled: nothing to send now (a
        // disabled endpoint's deliveries are queued again when it is enabled).
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    if c.blocked {
        let wait = c.blocker_next.and_then(|t| (t - Utc::now()).to_std().ok()).unwrap_or_default().clamp(WAIT_MIN, WAIT_MAX);
        return Ok(switchboard_store::webhooks::wait_behind(&mut conn, job.id, &c, wait).await?);
    }
    if !c.taken {
        // Another worker is attempting it: this job was woken while that one ran it. That
        // attempt settles the job (done, or its retry); this one only steps aside.
        return Ok(switchboard_store::jobs::postpone(&mut conn, job.id, BUSY_WAIT).await?);
    }
    // No pooled connection is held while the receiver answers.
    drop(conn);
    let timestamp = Utc::now().timestamp();
    let attempt =
        state.webhooks.post(Delivery { url: &c.url, secret: &c.secret, uuid: &c.uuid, event: &c.event, body: &c.body, timestamp }).await;
    let duration_ms = i32::try_from(attempt.duration.as_millis()).unwrap_or(i32::MAX);
    if let Outcome::Delivered { status } = attempt.outcome {
        // The common case: settled with others in one statement and one commit.
        let done = Delivered {
            delivery_id: c.id,
            job_id: job.id,
            webhook_id: c.webhook_id,
            ordering_key: c.ordering_key.clone(),
            was_failing: c.failing_since.is_some(),
            status_code: i32::from(status),
            duration_ms,
        };
        return state.settler.settle(done).await;
    }

    let mut change = crate::change::Change::begin(state).await?;
    let settled = async {
        let conn = &mut change.conn;
        let now = Utc::now();
        let failing_for = (now - switchboard_store::webhooks::failed(conn, c.webhook_id).await?).to_std().unwrap_or_default();
        let age = (now - c.created_at).to_std().unwrap_or_default();
        let attempts = u32::try_from(c.attempts).unwrap_or(0) + 1;
        let plan = after_attempt(&attempt.outcome, attempts, age, failing_for, &state.settings.webhooks.policy);
        let (status_code, error) = match &attempt.outcome {
            Outcome::Delivered { status } => (Some(i32::from(*status)), None),
            Outcome::Retryable { status, error, .. } | Outcome::Refused { status, error } => (status.map(i32::from), Some(error.as_str())),
        };
        let (status, next) = match &plan.fate {
            Fate::Delivered => ("delivered", None),
            Fate::RetryIn(wait) => ("pending", Some(now + chrono::Duration::from_std(*wait).unwrap_or_default())),
            Fate::Failed(_) => ("failed", None),
            Fate::Parked => ("pending", None),
        };
        let error = match &plan.fate {
            Fate::Failed(reason) => Some(reason.as_str()),
            _ => error,
        };
        let record = AttemptRecord { status_code, duration_ms, error, next_retry_at: next };
        switchboard_store::webhooks::record(conn, c.id, &record, status).await?;
        if let Some(reason) = &plan.disable {
            tracing::warn!(webhook_id = c.webhook_id, reason = %reason, "webhook disabled");
            switchboard_store::webhooks::disable(conn, c.webhook_id, reason).await?;
        }
        match plan.fate {
            Fate::RetryIn(wait) => switchboard_store::jobs::postpone(conn, job.id, wait).await?,
            Fate::Delivered | Fate::Failed(_) => {
                switchboard_store::jobs::complete(conn, job.id).await?;
                switchboard_store::webhooks::wake_next(conn, c.webhook_id, c.ordering_key.as_deref(), c.id).await?;
            }
            Fate::Parked => switchboard_store::jobs::complete(conn, job.id).await?,
        }
        CoreResult::Ok(())
    }
    .await;
    change.finish(state, settled).await
}
