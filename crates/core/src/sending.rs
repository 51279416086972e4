//! The job worker: claims due jobs (SKIP LOCKED, woken by NOTIFY) and runs each by its kind:
//! sends (`channel::outbound`), group syncs, pictures, files and webhook deliveries.

use std::time::Duration;

use switchboard_store::jobs::{BackgroundJob, DeliverWebhook, DownloadMedia, FetchAvatar, SendMessage, SyncGroup};
use switchboard_store::models::Job;
use switchboard_store::StoreResult;

use crate::error::CoreResult;
use crate::state::AppState;

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
            Ok(payload) => crate::channel::outbound::send(state, &job, payload).await,
            Err(reason) => bury(state, &job, &reason).await,
        },
        SyncGroup::KIND => match job.payload_as::<SyncGroup>() {
            Ok(payload) => crate::groups::sync(state, &job, payload).await,
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
