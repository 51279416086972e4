//! The HTTP application: Chatwoot-compatible REST API over the store.

pub mod auth;
pub mod cable;
pub mod client_ip;
pub mod deadline;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod headers;
pub mod logging;
pub mod present;
pub mod realtime;
pub mod routes;
pub mod services;
pub mod settings;
pub mod state;
pub mod storage;
pub mod throttle;
pub mod tokens;
pub mod views;

use std::net::TcpListener;

use actix_server::{Server, ServerHandle};
use actix_service::{IntoServiceFactory, ServiceFactoryExt};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpMessage, HttpResponse};
use anyhow::Context;
use futures_util::FutureExt;
use switchboard_store::DbPool;
use tracing_actix_web::{RequestId, TracingLogger};

pub use settings::Settings;
use state::AppState;
use throttle::Throttle;

/// A built server bound to its port; `run` drives it until it is told to stop (Ctrl-C/SIGTERM).
pub struct Application {
    port: u16,
    server: Server,
    core: Core,
}

/// Everything but HTTP: the shared state and the background work (the job worker, the
/// periodic loops, the live-event log writer). `serve` runs it under the HTTP server;
/// `switchboard worker` runs it alone, so workers scale apart from web nodes.
pub struct Core {
    pub state: web::Data<AppState>,
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
        let guard = switchboard_channels::guard::Guard { allow_private: settings.outbound_allow_private };
        let bsp =
            switchboard_channels::aldeamo::Client::new(settings.whatsapp.bsp_timeout, guard).context("cannot build the HTTP client")?;
        let provider =
            switchboard_channels::baileys::Client::new(settings.whatsapp.bsp_timeout, guard).context("cannot build the HTTP client")?;
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        let (inbound, inbound_writers) = services::inbound::InboundWriter::new();
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        // An in-flight send takes at most one BSP timeout; the margin records its outcome.
        let drain = settings.whatsapp.bsp_timeout + std::time::Duration::from_secs(5);
        let state = web::Data::new(AppState {
            db,
            settings,
            throttle,
            searches,
            storage,
            realtime,
            bsp,
            provider,
            jobs: notify,
            webhook_inboxes: Default::default(),
            inbound,
            stopping: stopping_rx,
        });

        let mut background = vec![
            tokio::spawn(realtime::prune_forever(state.db.clone(), std::time::Duration::from_secs(60))),
            tokio::spawn(realtime::write_log_forever(log_writer)),
        ];
        for _ in 0..services::inbound::WRITERS {
            background.push(tokio::spawn(services::ingest::write_forever(state.clone(), inbound_writers.clone())));
        }
        if let Some(relay) = relay {
            background.push(tokio::spawn(relay));
        }
        let worker = if jobs {
            background.push(tokio::spawn(services::conversations::wake_snoozed_forever(state.clone())));
            background.push(tokio::spawn(services::sending::listen_forever(state.clone())));
            background.push(tokio::spawn(services::whatsapp::sync_templates_forever(state.clone())));
            Some(tokio::spawn(services::sending::work_forever(state.clone())))
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

impl Application {
    /// Binds `settings.bind:settings.port` (port 0 picks a free one, as tests do), with the job
    /// worker in this process.
    pub async fn build(settings: Settings, db: DbPool) -> anyhow::Result<Self> {
        Self::build_with(settings, db, true).await
    }

    /// As `build`; `jobs: false` leaves jobs and periodic work to separate worker processes.
    pub async fn build_with(settings: Settings, db: DbPool, jobs: bool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.bind.as_str(), settings.port))
            .with_context(|| format!("cannot listen on {}:{}", settings.bind, settings.port))?;
        let port = listener.local_addr()?.port();
        let mut settings = settings;
        // Unset: the address we actually bound (port 0 picks one only now).
        if settings.public_url.is_empty() {
            settings.public_url = format!("http://{}:{port}", settings.bind);
        }
        let workers = settings.workers;
        let core = Core::build(settings, db, jobs).await?;
        let state = core.state.clone();

        let app = move |state: web::Data<AppState>| {
            let cors = headers::cors(&state.settings.cors_allowed_origins, &state.settings.public_url);
            App::new()
                .app_data(state)
                .wrap(actix_web::middleware::from_fn(deadline::limit))
                .wrap(headers::defaults())
                .wrap(cors)
                .wrap(NormalizePath::new(TrailingSlash::Trim))
                .wrap_fn(|req, srv| {
                    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                    actix_web::dev::Service::call(srv, req).map(move |res| {
                        res.map(|mut res| {
                            if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                                res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                            }
                            res
                        })
                    })
                })
                .wrap(TracingLogger::<logging::RedactedSpans>::new())
                .configure(routes::configure)
                .default_service(web::to(|| async { HttpResponse::NotFound().json(serde_json::json!({ "error": "Route not found" })) }))
        };
        // actix-web's HttpServer, assembled by hand for one thing it does not expose: the upgrade
        // hook, through which `/cable` takes its connections (see `cable`).
        let address = listener.local_addr()?;
        let builder = actix_server::Server::build();
        let builder = if workers > 0 { builder.workers(workers) } else { builder };
        // Signals are the binary's business: it must stop the server before its database.
        let server = builder
            .disable_signals()
            .shutdown_timeout(10)
            .listen("switchboard", listener, move || {
                let upgrade_state = state.clone();
                let upgrade = actix_service::fn_factory(move || {
                    let state = upgrade_state.clone();
                    async move { Ok::<_, ()>(cable::Upgrade::new(state)) }
                });
                let app = app(state.clone()).into_factory().map_err(|e: actix_web::Error| e.error_response());
                actix_http::HttpService::build()
                    .local_addr(address)
                    .upgrade(upgrade)
                    .finish(actix_service::map_config(app, |_| actix_web::dev::AppConfig::default()))
                    .tcp()
            })?
            .run();
        Ok(Self { port, server, core })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server gracefully from elsewhere (signal handler, tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then stops the core (`Core::stop`: in-flight sends finish).
    pub async fn run(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.core.stop().await;
        result
    }
}
