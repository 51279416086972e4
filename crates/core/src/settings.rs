//! The server's settings, as the binary fills them from the environment, with their defaults.

use std::time::Duration;

/// Runtime configuration of the HTTP application (the binary fills it from the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub port: u16,
    /// Base URL the outside world reaches us at; webhook and attachment URLs are built from it.
    /// Empty: the bound address.
    pub public_url: String,
    pub redis_url: Option<String>,
    pub max_body_bytes: usize,
    pub signin: SignInLimits,
    /// Dashboard sessions live this long (the reference: two months).
    pub session_ttl: Duration,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// How often snoozed conversations are checked for their wake-up time.
    pub snooze_check: Duration,
    /// Where uploaded attachments are kept.
    pub storage_dir: std::path::PathBuf,
    /// Largest accepted attachment.
    pub max_attachment_bytes: usize,
    /// Live events a socket may fall behind before it is disconnected.
    pub realtime_queue: usize,
    /// A user or contact is online this long after it last reported presence.
    pub presence_ttl: Duration,
    pub whatsapp: WhatsappSettings,
    /// Outgoing requests to URLs users gave may reach private and local addresses
    /// (`OUTBOUND_ALLOW_PRIVATE`; see `switchboard_channels::guard`).
    pub outbound_allow_private: bool,
    /// Peers whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins allowed to call the API from a browser (`CORS_ALLOWED_ORIGINS`); none by default.
    pub cors_allowed_origins: Vec<String>,
    /// Searches and filters one user may run per minute; more get 429.
    pub searches_per_minute: u32,
    /// Requests per API key per minute on the integrator APIs (conversations list, retailer).
    pub integrator_requests_per_minute: u32,
    /// Requests per minute on the public client API, per client address and per inbox.
    pub public_limits: PublicLimits,
    /// How much database time one account's reports may take (see `report_budget`).
    pub reports: ReportLimits,
    /// A `/cable` socket with no subscription for this long is closed.
    pub cable_subscribe_within: Duration,
    pub webhooks: WebhookSettings,
}

/// Outgoing webhooks (`WEBHOOK_*`).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// A receiver that takes longer has timed out (and is retried).
    pub timeout: Duration,
    /// Backoff, how long a delivery is retried, and when a failing endpoint is disabled.
    pub policy: switchboard_domain::webhooks::Policy,
    /// Finished deliveries are kept in the delivery log this long.
    pub keep: Duration,
    /// Deliveries in flight per process, on top of the WhatsApp sends' (`concurrency`): the job
    /// worker runs this many more jobs at once. A delivery waiting for its receiver or its batch's
    /// commit holds no database connection.
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(10), policy: Default::default(), keep: Duration::from_secs(7 * 24 * 3600), concurrency: 96 }
    }
}

impl Settings {
    /// What outgoing requests to URLs users gave may reach (`OUTBOUND_ALLOW_PRIVATE`).
    pub fn guard(&self) -> switchboard_channels::guard::Guard {
        switchboard_channels::guard::Guard { allow_private: self.outbound_allow_private }
    }

    /// Jobs one process runs at once: WhatsApp sends and webhook deliveries.
    pub fn job_concurrency(&self) -> usize {
        self.whatsapp.concurrency.max(1) + self.webhooks.concurrency
    }

    /// A claimed job is someone's for this long: longer than any attempt of any kind can take
    /// (a BSP send, a webhook delivery), so a job comes due again only when its worker is gone.
    pub fn job_lease(&self) -> Duration {
        self.whatsapp.lease().max(self.webhooks.timeout * 2 + Duration::from_secs(5))
    }
}

/// Outbound WhatsApp: how hard to try, how fast to send.
#[derive(Debug, Clone)]
pub struct WhatsappSettings {
    /// Attempts per message before it is marked failed.
    pub send_attempts: u32,
    /// The first retry waits this long; each next one twice as long.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// A BSP call that takes longer is a timeout (and retried).
    pub bsp_timeout: Duration,
    /// Messages per second per inbox (the BSP limits the number).
    pub rate_limit: u32,
    /// Sends in flight per process.
    pub concurrency: usize,
    /// How often templates are fetched from the BSP.
    pub template_sync: Duration,
    /// Baileys-style providers deliver group messages; off, only activity summaries
    /// (`groups.activity`): groups are soft-disabled.
    pub groups_enabled: bool,
}

impl Default for WhatsappSettings {
    fn default() -> Self {
        Self {
            send_attempts: 8,
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            bsp_timeout: Duration::from_secs(15),
            rate_limit: 80,
            concurrency: 32,
            template_sync: Duration::from_secs(3600),
            groups_enabled: false,
        }
    }
}

impl WhatsappSettings {
    /// The configured retry policy, which each kind of job adapts (`BackgroundJob::retry`).
    pub fn retry(&self) -> switchboard_store::jobs::Retry {
        switchboard_store::jobs::Retry { attempts: self.send_attempts, base: self.retry_base, max: self.retry_max }
    }

    /// A claimed send is someone's for this long: longer than any attempt can take, so a job
    /// comes due again only when its worker is gone.
    pub fn lease(&self) -> Duration {
        self.bsp_timeout * 2 + Duration::from_secs(5)
    }
}

/// The public client API's allowance per minute (`PUBLIC_REQUESTS_PER_MINUTE_PER_IP`,
/// `…_PER_INBOX`), counted in Redis when there is one, so every process shares it.
#[derive(Debug, Clone)]
pub struct PublicLimits {
    /// One client address, whatever the inbox: a single visitor or abuser.
    pub per_ip: u32,
    /// One inbox, from everywhere: a flood spread over many addresses.
    pub per_inbox: u32,
}

/// The budget's terms (`REPORT_TIME_SHARE_PERCENT`, `REPORT_TIME_BURST_MS`, `REPORT_MAX_WAIT_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct ReportLimits {
    /// The part of real time one account's reports may take, in the long run (0 < share ≤ 1).
    pub share: f64,
    /// Report time an idle account may spend at once.
    pub burst: Duration,
    /// A report that would wait longer answers 429 with Retry-After instead.
    pub max_wait: Duration,
}

impl Default for ReportLimits {
    fn default() -> Self {
        // 10%: a back-to-back report client then costs the inbound benchmark under 10% on two
        // cores (bench/README.md, "Reports"). One second holds several dashboards' worth of
        // reports (a dozen at 5–30 ms each), and a loop drains it within about a second.
        Self { share: 0.10, burst: Duration::from_secs(1), max_wait: Duration::from_secs(10) }
    }
}

/// Failed sign-ins tolerated per window before answering 429.
#[derive(Debug, Clone)]
pub struct SignInLimits {
    /// Failures for one email from one address: the limit a guesser meets.
    pub per_email_ip: u32,
    /// Failures from one address, whatever the emails.
    pub per_ip: u32,
    /// Failures for one email from anywhere. Above what one address may make (`per_ip`), so no
    /// single address can lock a user out; it stops a guess spread over many addresses.
    pub per_email: u32,
    pub window: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1".into(),
            port: 3000,
            public_url: String::new(),
            redis_url: None,
            max_body_bytes: 1 << 20,
            signin: SignInLimits { per_email_ip: 5, per_ip: 30, per_email: 100, window: Duration::from_secs(15 * 60) },
            trusted_proxies: Vec::new(),
            cors_allowed_origins: Vec::new(),
            searches_per_minute: 120,
            integrator_requests_per_minute: 600,
            public_limits: PublicLimits { per_ip: 300, per_inbox: 6000 },
            reports: ReportLimits::default(),
            cable_subscribe_within: Duration::from_secs(30),
            session_ttl: Duration::from_secs(60 * 24 * 3600),
            workers: 0,
            snooze_check: Duration::from_secs(15),
            storage_dir: "./var/storage".into(),
            max_attachment_bytes: 40 << 20,
            realtime_queue: switchboard_realtime::broadcaster::DEFAULT_CAPACITY,
            presence_ttl: Duration::from_secs(60),
            outbound_allow_private: false,
            whatsapp: WhatsappSettings::default(),
            webhooks: WebhookSettings::default(),
        }
    }
}
