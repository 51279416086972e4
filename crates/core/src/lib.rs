//! The operations: everything Switchboard does, without HTTP. Use cases over one dependency
//! struct (`AppState`: the database, the event log, storage, the channel clients), the
//! transactions they run with their events (`change`: the transactional outbox), what the
//! outside world sees of rows (`present`, `views`), the job worker and the periodic loops.
//! REST handlers, channel webhooks, jobs and the CLI all call into here; nothing here knows of
//! a request.

pub mod account_records;
pub mod accounts;
pub mod actor;
pub mod agent_bots;
pub mod agents;
pub mod audit;
pub mod automation;
pub mod avatars;
pub mod canned;
pub mod change;
pub mod channel;
pub mod contacts;
pub mod conversations;
pub mod csat;
pub mod custom_attributes;
pub mod custom_filters;
pub mod deliver;
pub mod dispatch;
pub mod error;
pub mod events;
pub mod group_admin;
pub mod groups;
pub mod help_center;
pub mod inbound;
pub mod inbox_cache;
pub mod inbox_members;
pub mod inboxes;
pub mod ingest;
pub mod integration_apps;
pub mod integrators;
pub mod macros;
pub mod media;
pub mod messages;
pub mod notifications;
pub mod passwords;
pub mod present;
pub mod public;
pub mod realtime;
pub mod report_budget;
pub mod reports;
pub mod retailer;
pub mod scheduled;
pub mod sending;
pub mod settings;
pub mod settle;
pub mod state;
pub mod storage;
pub mod throttle;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod views;
pub mod web_ids;
pub mod webhooks;
pub mod whatsapp_analytics;

use std::sync::Arc;

use anyhow::Context;
use switchboard_store::DbPool;

pub use error::{CoreError, CoreResult};
pub use settings::Settings;
use state::AppState;
use throttle::Throttle;

/// Everything but HTTP: the shared state and the background work (the job worker, the
/// periodic loops, the live-event log writer). `serve` runs it under the HTTP server;
/// `switchboard worker` runs it alone, so workers scale apart from web nodes.
pub struct Core {
    pub state: Arc<AppState>,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The job worker, which is let finish its in-flight sends when the process stops.
    worker: Option<tokio::task::JoinHandle<()>>,
    stopping: tokio::sync::watch::Sender<bool>,
    /// How long the worker may take to finish them.
    drain: std::time::Duration,
}

impl Core {
    /// The state and its background work. `jobs`: run the job worker and the periodic jobs
    /// (template syncs, snooze wake-ups) here too; a web node of a deployment with separate
    /// workers leaves them to those. `settings.public_url` must be set (signed links use it).
    pub async fn build(settings: Settings, db: DbPool, jobs: bool) -> anyhow::Result<Self> {
        let redis = match &settings.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).context("REDIS_URL is not a valid Redis URL")?;
                Some(client.get_connection_manager().await.context("cannot reach Redis at REDIS_URL")?)
            }
            None => None,
        };
        let (realtime, log_writer) = realtime::Realtime::new(redis.clone(), settings.realtime_queue, settings.presence_ttl, db.clone());
        let relay = settings.redis_url.clone().map(|url| realtime::relay_from_redis(url, realtime.broadcaster.clone()));
        let throttle = Throttle::new(redis.clone(), settings.signin.window);
        let searches = Throttle::new(redis, std::time::Duration::from_secs(60));
        let storage = storage::Storage::new(settings.storage_dir.clone(), settings.public_url.clone());
        let guard = settings.guard();
        let bsp =
            switchboard_channels::aldeamo::Client::new(settings.whatsapp.bsp_timeout, guard).context("cannot build the HTTP client")?;
        let provider =
            switchboard_channels::baileys::Client::new(settings.whatsapp.bsp_timeout, guard).context("cannot build the HTTP client")?;
        let webhooks =
            switchboard_channels::webhook::Sender::new(settings.webhooks.timeout, guard).context("cannot build the HTTP client")?;
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        let (inbound, inbound_writers) = inbound::InboundWriter::new();
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let (settler, settle_queue) = settle::Settler::new();
        // An in-flight send takes at most one BSP timeout; the margin records its outcome.
        let drain = settings.whatsapp.bsp_timeout + std::time::Duration::from_secs(5);
        let report_limits = settings.reports;
        let state = Arc::new(AppState {
            db,
            settings,
            throttle,
            searches,
            storage,
            realtime,
            bsp,
            provider,
            webhooks,
            settler,
            jobs: notify,
            webhook_inboxes: Default::default(),
            report_budget: report_budget::ReportBudget::new(report_limits),
            inbound,
            stopping: stopping_rx,
        });

        let mut background = vec![
            tokio::spawn(settle::settle_forever(state.db.clone(), settle_queue)),
            tokio::spawn(realtime::prune_forever(state.db.clone(), std::time::Duration::from_secs(60), state.settings.webhooks.keep)),
            tokio::spawn(realtime::write_log_forever(log_writer)),
        ];
        for _ in 0..inbound::WRITERS {
            background.push(tokio::spawn(ingest::write_forever(state.clone(), inbound_writers.clone())));
        }
        if let Some(relay) = relay {
            background.push(tokio::spawn(relay));
        }
        let worker = if jobs {
            background.push(tokio::spawn(conversations::wake_snoozed_forever(state.clone())));
            background.push(tokio::spawn(sending::listen_forever(state.clone())));
            background.push(tokio::spawn(channel::templates::sync_templates_forever(state.clone())));
            background.push(tokio::spawn(dispatch::dispatch_forever(state.clone())));
            background.push(tokio::spawn(csat::read_replies_forever(state.clone())));
            background.push(tokio::spawn(automation::run_forever(state.clone())));
            background.push(tokio::spawn(scheduled::send_due_forever(state.clone())));
            background.push(tokio::spawn(reports::read_forever(state.clone())));
            Some(tokio::spawn(sending::work_forever(state.clone())))
        } else {
            None
        };
        Ok(Self { state, background, worker, stopping, drain })
    }

    /// Stops: the job worker claims nothing more and finishes the sends it has under way (up
    /// to `drain`), so a deploy or restart doubles no message; the rest stops at once.
    pub async fn stop(self) {
        self.stopping.send_replace(true);
        if let Some(mut worker) = self.worker {
            if tokio::time::timeout(self.drain, &mut worker).await.is_err() {
                tracing::warn!(drain = ?self.drain, "sends still under way at shutdown; their outcome is settled at the next start");
                worker.abort();
            }
        }
        for job in self.background {
            job.abort();
        }
    }
}
