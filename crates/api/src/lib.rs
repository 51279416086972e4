//! The HTTP application: the Chatwoot-compatible REST API and the `/cable` socket over the
//! operations of `switchboard_core`. Extractors, payloads, handlers, routes, errors as answers.

pub mod auth;
pub mod cable;
pub mod client_ip;
pub mod deadline;
pub mod error;
pub mod extract;
pub mod form;
pub mod handlers;
pub mod headers;
pub mod limits;
pub mod logging;
pub mod lookup;
pub mod routes;

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

use switchboard_core::state::AppState;
pub use switchboard_core::{Core, Settings};

/// A built server bound to its port; `run` drives it until it is told to stop (Ctrl-C/SIGTERM).
pub struct Application {
    port: u16,
    server: Server,
    core: Core,
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
        let state = web::Data::from(core.state.clone());

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
                .default_service(web::to(|| async {
                    HttpResponse::NotFound().json(switchboard_core::views::errors::ErrorBody::error("Route not found"))
                }))
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
