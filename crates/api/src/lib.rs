//! The HTTP application: Chatwoot-compatible REST API over the store.

pub mod auth;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod realtime;
pub mod routes;
pub mod services;
pub mod settings;
pub mod state;
pub mod storage;
pub mod throttle;
pub mod views;

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpMessage, HttpResponse, HttpServer};
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
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Binds `settings.bind:settings.port` (port 0 picks a free one, as tests do).
    pub async fn build(settings: Settings, db: DbPool) -> anyhow::Result<Self> {
        let redis = match &settings.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).context("REDIS_URL is not a valid Redis URL")?;
                Some(client.get_connection_manager().await.context("cannot reach Redis at REDIS_URL")?)
            }
            None => None,
        };
        let listener = TcpListener::bind((settings.bind.as_str(), settings.port))
            .with_context(|| format!("cannot listen on {}:{}", settings.bind, settings.port))?;
        let port = listener.local_addr()?.port();
        let mut settings = settings;
        // Unset: the address we actually bound (port 0 picks one only now).
        if settings.public_url.is_empty() {
            settings.public_url = format!("http://{}:{port}", settings.bind);
        }
        let (realtime, log_writer) = realtime::Realtime::new(redis.clone(), settings.realtime_queue, settings.presence_ttl, db.clone());
        let relay = settings.redis_url.clone().map(|url| realtime::relay_from_redis(url, realtime.broadcaster.clone()));
        let throttle = Throttle::new(redis, settings.signin.window);
        let workers = settings.workers;
        let storage = storage::Storage::new(settings.storage_dir.clone(), settings.public_url.clone());
        let bsp = switchboard_channels::aldeamo::Client::new(settings.whatsapp.bsp_timeout).context("cannot build the HTTP client")?;
        let jobs = std::sync::Arc::new(tokio::sync::Notify::new());
        let (inbound, inbound_writers) = services::inbound::InboundWriter::new();
        let state =
            web::Data::new(AppState { db, settings, throttle, storage, realtime, bsp, jobs, webhook_inboxes: Default::default(), inbound });

        let mut background = vec![
            tokio::spawn(services::conversations::wake_snoozed_forever(state.clone())),
            tokio::spawn(realtime::prune_forever(state.db.clone(), std::time::Duration::from_secs(60))),
            tokio::spawn(realtime::write_log_forever(log_writer)),
            tokio::spawn(services::whatsapp::listen_forever(state.clone())),
            tokio::spawn(services::whatsapp::work_forever(state.clone())),
            tokio::spawn(services::whatsapp::sync_templates_forever(state.clone())),
        ];
        for _ in 0..services::inbound::WRITERS {
            background.push(tokio::spawn(services::inbound::write_forever(state.db.clone(), inbound_writers.clone())));
        }
        if let Some(relay) = relay {
            background.push(tokio::spawn(relay));
        }

        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
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
                .wrap(TracingLogger::default())
                .configure(routes::configure)
                .default_service(web::to(|| async { HttpResponse::NotFound().json(serde_json::json!({ "error": "Route not found" })) }))
        });
        let server = if workers > 0 { server.workers(workers) } else { server };
        // Signals are the binary's business: it must stop the server before its database.
        let server = server.listen(listener)?.disable_signals().shutdown_timeout(10).run();
        Ok(Self { port, server, background })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server gracefully from elsewhere (signal handler, tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; background jobs stop with the server.
    pub async fn run(self) -> std::io::Result<()> {
        let result = self.server.await;
        for job in self.background {
            job.abort();
        }
        result
    }
}
