//! What every request and background task shares: the pool, settings, realtime, clients, caches.

use switchboard_store::{DbPool, StoreResult};

use crate::settings::Settings;
use crate::throttle::Throttle;

/// Shared by every request.
pub struct AppState {
    pub db: DbPool,
    pub settings: Settings,
    pub throttle: Throttle,
    /// Per-minute limits: searches per user (`Settings::searches_per_minute`) and requests per
    /// integrator key (`Settings::integrator_requests_per_minute`), under their own key prefixes.
    pub searches: Throttle,
    pub storage: crate::storage::Storage,
    pub realtime: crate::realtime::Realtime,
    /// The WhatsApp BSP's HTTP client.
    pub bsp: switchboard_channels::aldeamo::Client,
    /// The Baileys-style provider's HTTP client (WhatsApp inboxes with groups).
    pub provider: switchboard_channels::baileys::Client,
    /// Posts outgoing webhook deliveries.
    pub webhooks: switchboard_channels::webhook::Sender,
    /// Records delivered deliveries in batches (see `settle::settle_forever`).
    pub settler: crate::settle::Settler,
    /// Wakes this process's job worker (a NOTIFY arrived, or a job was queued here).
    pub jobs: std::sync::Arc<tokio::sync::Notify>,
    pub webhook_inboxes: crate::inbox_cache::InboxCache,
    /// Paces each account's reports to their share of database time (see `report_budget`).
    pub report_budget: crate::report_budget::ReportBudget,
    /// Stores inbound WhatsApp messages in batches (see `inbound`).
    pub inbound: crate::inbound::InboundWriter,
    /// Turns true when the server stops: the job worker claims no more jobs.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    /// A URL a user gave, checked as it is saved: not resolving to a private, local or metadata
    /// address now (every connection checks again). The error names `field`.
    pub async fn check_outbound_url(&self, field: &str, url: &str) -> Result<(), switchboard_domain::ValidationError> {
        self.settings.guard().check_resolved(url).await.map_err(|b| switchboard_domain::ValidationError::invalid(field, b.0))
    }

    pub async fn conn(&self) -> StoreResult<switchboard_store::Conn> {
        self.db.get().await
    }
}
