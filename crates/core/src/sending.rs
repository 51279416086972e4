//! The job worker and the sends it runs: claims due jobs (SKIP LOCKED, woken by NOTIFY), sends
//! each outgoing message through its inbox's provider, and records the outcome. A send whose
//! outcome a crash left unknown follows the inbox's policy (`AfterCrash`).

use std::time::Duration;

use chrono::Utc;
use switchboard_channels::aldeamo::{self, Media, MediaKind, Outbound, SendError};
use switchboard_domain::whatsapp::{AfterCrash, Provider};
use switchboard_store::jobs::{BackgroundJob, DeliverWebhook, DownloadMedia, FetchAvatar, SendMessage, SyncGroup};
use switchboard_store::models::Job;
use switchboard_store::StoreResult;

use crate::change::Change;
use crate::error::CoreResult;
use crate::state::AppState;
use crate::whatsapp::{announce_update, config_of, template_send};

/// Wakes the worker whenever a job is queued anywhere: LISTEN on a connection of its own,
/// re-established after any failure. Polling in the worker covers the gaps.
pub async fn listen_forever(state: std::sync::Arc<AppState>) {
    use futures_util::StreamExt;
    loop {
        let listened = async {
            let mut conn = state.db.dedicated().await?;
            switchboard_store::jobs::listen(&mut conn).await?;
            let mut stream = std::pin::pin!(conn.notifications_stream());
            while let Some(n) = stream.next().await {
                n?;
                state.jobs.notify_one();
            }
            StoreResult::Ok(())
        }
        .await;
        if let Err(e) = listened {
            tracing::debug!(error = %e, "job listener reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Claims due jobs and runs them, at most `concurrency` at a time. Sleeps until a NOTIFY or
/// the next poll (retries come due without any NOTIFY). The running jobs belong to this task:
/// when the server stops, they stop with it, and their leases bring them back elsewhere.
pub async fn work_forever(state: std::sync::Arc<AppState>) {
    let limit = state.settings.job_concurrency();
    let mut running = tokio::task::JoinSet::new();
    let mut stopping = state.stopping.clone();
    loop {
        // A dropped sender (the application is gone) means stopping too.
        if *stopping.borrow_and_update() || stopping.has_changed().is_err() {
            // Stopping: claim nothing more, and let what is under way finish (the caller bounds it).
            tracing::info!(running = running.len(), "job worker stopping; finishing the jobs under way");
            while running.join_next().await.is_some() {}
            return;
        }
        while running.try_join_next().is_some() {}
        let free = limit.saturating_sub(running.len());
        let claimed = if free == 0 {
            vec![]
        } else {
            match state.conn().await {
                Ok(mut conn) => {
                    switchboard_store::jobs::claim(&mut conn, free as i64, state.settings.job_lease()).await.unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "could not claim jobs");
                        vec![]
                    })
                }
                Err(_) => vec![],
            }
        };
        let got_some = !claimed.is_empty();
        for job in claimed {
            let state = state.clone();
            running.spawn(async move { run(&state, job).await });
        }
        if running.len() >= limit {
            tokio::select! {
                _ = running.join_next() => {}
                _ = stopping.changed() => {}
            }
        } else if !got_some {
            tokio::select! {
                _ = state.jobs.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = stopping.changed() => {}
            }
        }
    }
}

/// Runs a claimed job by its kind. One that can never run (an unknown kind, a payload its kind
/// cannot read) is buried with the reason, loudly: never dropped, never run on made-up values.
async fn run(state: &AppState, job: Job) {
    let id = job.id;
    let result = match job.kind.as_str() {
        SendMessage::KIND => match job.payload_as::<SendMessage>() {
            Ok(payload) => send(state, &job, payload).await,
            Err(reason) => bury(state, &job, &reason).await,
        },
        SyncGroup::KIND => match job.payload_as::<SyncGroup>() {
            Ok(payload) => crate::baileys::sync(state, &job, payload).await,
            Err(reason) => bury(state, &job, &reason).await,
        },
        FetchAvatar::KIND => match job.payload_as::<FetchAvatar>() {
            Ok(payload) => crate::avatars::fetch(state, &job, payload).await,
            Err(reason) => bury(state, &job, &reason).await,
        },
        DownloadMedia::KIND => match job.payload_as::<DownloadMedia>() {
            Ok(payload) => crate::media::download(state, &job, payload).await,
            Err(reason) => bury(state, &job, &reason).await,
        },
        DeliverWebhook::KIND => match job.payload_as::<DeliverWebhook>() {
            Ok(payload) => crate::deliver::deliver(state, &job, payload).await,
            Err(reason) => bury(state, &job, &reason).await,
        },
        other => bury(state, &job, &format!("unknown job kind {other}")).await,
    };
    if let Err(e) = result {
        // The lease brings the job back; nothing is lost.
        tracing::warn!(job_id = id, error = %e, "job did not finish; it will run again");
    }
}

async fn bury(state: &AppState, job: &Job, reason: &str) -> CoreResult<()> {
    tracing::error!(job_id = job.id, kind = %job.kind, reason, "a job that can never run is kept dead");
    let mut conn = state.conn().await?;
    Ok(switchboard_store::jobs::bury(&mut conn, job.id, reason).await?)
}

/// Sends one message. Once the BSP has taken it, only recording that remains: it is retried
/// until it sticks, and a message no longer `progress` is never sent again.
async fn send(state: &AppState, job: &Job, payload: SendMessage) -> CoreResult<()> {
    let settings = &state.settings.whatsapp;
    let message_id = payload.message_id;
    let mut conn = state.conn().await?;
    let Some(out) = switchboard_store::whatsapp::outgoing(&mut conn, message_id).await? else {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    if out.message.status != "progress" {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    }
    let provider = Provider::of(out.inbox.provider);
    if job.started_at.is_some() {
        // The last attempt began and its outcome was never recorded: the process died while the
        // peer had the request. The provider's idempotency key makes a resend safe; the BSP has
        // none, so its inbox's policy decides.
        let policy = match provider {
            Provider::Aldeamo => config_of(&out.inbox)?.after_crash,
            Provider::Baileys => AfterCrash::Resend,
        };
        tracing::warn!(message_id, policy = policy.as_str(), "a send was interrupted with its outcome unknown");
        if policy == AfterCrash::Hold {
            drop(conn);
            return finish_failed(state, message_id, OUTCOME_UNKNOWN, job.id).await;
        }
    }
    if !switchboard_store::jobs::take_send_slot(&mut conn, out.inbox.id, i32::try_from(settings.rate_limit).unwrap_or(i32::MAX)).await? {
        let wait = 1000 - u64::from(Utc::now().timestamp_subsec_millis()).min(999);
        return Ok(switchboard_store::jobs::postpone(&mut conn, job.id, Duration::from_millis(wait)).await?);
    }
    let sent = match provider {
        Provider::Aldeamo => {
            let request = match request_for(state, &out).await {
                Ok(r) => r,
                Err(reason) => {
                    drop(conn);
                    return finish_failed(state, message_id, &reason, job.id).await;
                }
            };
            let config = config_of(&out.inbox)?;
            // Recorded before the request leaves: a crash from here on is seen by the next claim.
            switchboard_store::jobs::mark_started(&mut conn, job.id).await?;
            drop(conn);
            state.bsp.send(&config, &request).await
        }
        Provider::Baileys => {
            switchboard_store::jobs::mark_started(&mut conn, job.id).await?;
            drop(conn);
            crate::baileys::send(state, &out).await
        }
    };
    match sent {
        Ok(source_id) => {
            let mut delay = Duration::from_millis(100);
            loop {
                let recorded = async {
                    let mut tx = Change::begin(state).await?;
                    let result = async {
                        let (conn, out) = (&mut *tx.conn, &mut tx.out);
                        let updated = switchboard_store::whatsapp::mark_sent(conn, message_id, source_id.as_deref(), job.id).await?;
                        if let Some(m) = updated {
                            announce_update(state, conn, out, &m).await?;
                        }
                        CoreResult::Ok(())
                    }
                    .await;
                    tx.finish(state, result).await
                }
                .await;
                match recorded {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        tracing::warn!(message_id, error = %e, "sent, but could not record it yet; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        Err(SendError::Retryable(reason)) => match SendMessage::retry(settings.retry()).after(job.attempts as u32 + 1) {
            Some(wait) => {
                let mut conn = state.conn().await?;
                tracing::info!(message_id, attempt = job.attempts + 1, ?wait, reason = %reason, "WhatsApp send will be retried");
                Ok(switchboard_store::jobs::retry(&mut conn, job.id, wait, &reason).await?)
            }
            None => finish_failed(state, message_id, &reason, job.id).await,
        },
        Err(SendError::Rejected(reason)) => finish_failed(state, message_id, &reason, job.id).await,
    }
}

/// The failure shown on a message whose send was interrupted with its outcome unknown.
pub const OUTCOME_UNKNOWN: &str =
    "outcome unknown: the server stopped while this message was being sent; it may or may not have been delivered";

/// Records the failure and finishes the job, with the message's `message.updated`, in one change.
async fn finish_failed(state: &AppState, message_id: i64, reason: &str, job_id: i64) -> CoreResult<()> {
    tracing::warn!(message_id, reason, "WhatsApp send failed");
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some(m) = switchboard_store::whatsapp::mark_failed(conn, message_id, reason, job_id).await? {
            announce_update(state, conn, out, &m).await?;
        }
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// The BSP request for a stored message; an error is a reason to fail it, not to retry.
async fn request_for(state: &AppState, out: &switchboard_store::whatsapp::Outgoing) -> Result<aldeamo::Request, String> {
    let from = aldeamo::wa_number(out.inbox.phone_number.as_deref().unwrap_or_default());
    let to = match (&out.identity, &out.contact.phone_number) {
        // A person known only by their business-scoped user id (BSUID) is answered at it.
        (Some(ci), _) if !ci.source_id.trim_start_matches('+').chars().all(|c| c.is_ascii_digit()) => ci.source_id.clone(),
        (Some(ci), _) => aldeamo::wa_number(&ci.source_id),
        (None, Some(phone)) => aldeamo::wa_number(phone),
        (None, None) => return Err("the contact has no WhatsApp number".into()),
    };
    let media = match &out.attachment {
        Some(a) => Some(Media {
            kind: MediaKind::of(&a.file_type, out.message.content_type == "sticker"),
            link: state.storage.url(&state.db, a).await.map_err(|e| e.to_string())?,
            file_name: a.file_name.clone(),
        }),
        None => None,
    };
    let m = &out.message;
    let request = Outbound {
        from: &from,
        to: &to,
        content: m.content.as_deref(),
        content_type: &m.content_type,
        content_attributes: &m.content_attributes,
        template: m.additional_attributes.get("whatsapp_template").map(template_send),
        media,
        reply_to: out.reply_to_source.as_deref(),
    };
    aldeamo::build(&request).map_err(|e| e.to_string())
}
