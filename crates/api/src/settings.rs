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
}

/// Failed sign-ins tolerated per window before answering 429.
#[derive(Debug, Clone)]
pub struct SignInLimits {
    pub per_email: u32,
    pub per_ip: u32,
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
            signin: SignInLimits { per_email: 5, per_ip: 30, window: Duration::from_secs(15 * 60) },
            session_ttl: Duration::from_secs(60 * 24 * 3600),
            workers: 0,
            snooze_check: Duration::from_secs(15),
            storage_dir: "./var/storage".into(),
            max_attachment_bytes: 40 << 20,
            realtime_queue: switchboard_realtime::broadcaster::DEFAULT_CAPACITY,
            presence_ttl: Duration::from_secs(60),
        }
    }
}
