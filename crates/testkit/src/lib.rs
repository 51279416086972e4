//! Test harness: a throwaway PostgreSQL cluster per test process, a database per test cloned
//! from a template migrated once, the app on port 0, a private Redis when a test needs one, and
//! factories.

pub mod bot;
pub mod bsp;
pub mod contract;
mod fake;
pub mod http;
pub mod provider;
pub mod proxy;
pub mod receiver;
pub mod redis_server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use serde_json::json;
use switchboard_api::Application;
use switchboard_cluster::{ClusterOptions, LocalCluster};
use switchboard_core::settings::Settings;
use switchboard_core::tokens::random_token;
use switchboard_core::users::{create_user, NewUserInput};
use switchboard_domain::users::{Email, Password};
use switchboard_store::models::{NewAccountUser, User};
use switchboard_store::DbPool;
use tokio::sync::OnceCell;

pub use http::{Call, Reply};
pub use redis_server::TestRedis;

const TEMPLATE: &str = "switchboard_template";

struct SharedCluster {
    port: u16,
}

static CLUSTER: OnceCell<SharedCluster> = OnceCell::const_new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// Removes clusters of earlier test processes that are gone (a killed run leaves its directory).
fn sweep_stale_dirs(base: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name.strip_prefix("switchboard-test-").and_then(|p| p.parse::<i32>().ok()) else { continue };
        if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

async fn cluster() -> anyhow::Result<&'static SharedCluster> {
    CLUSTER
        .get_or_try_init(|| async {
            let base = std::env::temp_dir();
            sweep_stale_dirs(&base);
            let root: PathBuf = base.join(format!("switchboard-test-{}", std::process::id()));
            let cluster = LocalCluster::start(ClusterOptions {
                root,
                ephemeral: true,
                bindir: std::env::var_os("SWITCHBOARD_PG_BINDIR").map(PathBuf::from),
            })
            .await
            .context("starting the test cluster")?;
            cluster.create_database(TEMPLATE, None).await?;
            switchboard_store::migrate::run_pending(&cluster.url(TEMPLATE)).await?;
            // The cluster lives as long as this process: its death signal stops it when we exit.
            let port = cluster.port();
            std::mem::forget(cluster);
            Ok::<_, anyhow::Error>(SharedCluster { port })
        })
        .await
}

/// A fresh, migrated database of its own; returns its URL.
pub async fn fresh_database() -> anyhow::Result<String> {
    let shared = cluster().await?;
    let name = format!("test_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::Relaxed));
    let admin_url = format!("postgres://{}@127.0.0.1:{}/postgres", switchboard_cluster::SUPERUSER, shared.port);
    switchboard_cluster::create_database(&admin_url, &name, Some(TEMPLATE)).await?;
    Ok(format!("postgres://{}@127.0.0.1:{}/{name}", switchboard_cluster::SUPERUSER, shared.port))
}

/// A running app on its own database.
pub struct TestApp {
    pub address: String,
    pub database_url: String,
    /// For factories and assertions on stored rows (separate from the app's own pool).
    pub db: DbPool,
    /// The app's own pool, to count the queries a request makes.
    pub app_db: DbPool,
    /// Where this app keeps attachments.
    pub storage_dir: std::path::PathBuf,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; awaiting its completion is not needed here.
        drop(self.handle.stop(false));
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Panics on failure: a harness that cannot start is a failed test.
    #[allow(clippy::expect_used)]
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let database_url = fresh_database().await.expect("test database");
        Self::spawn_on(database_url, configure).await.expect("test app")
    }

    /// Another app process on the same database (for multi-node tests).
    pub async fn spawn_on(database_url: String, configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let storage_dir = std::env::temp_dir()
            .join(format!("switchboard-test-{}", std::process::id()))
            .join(format!("storage-{}", NEXT_DB.fetch_add(1, Ordering::Relaxed)));
        // The fake peers listen on loopback: tests allow private addresses, as the README says a
        // deployment with a BSP on its private network does (the SSRF tests turn it off).
        let mut settings =
            Settings { port: 0, workers: 1, storage_dir: storage_dir.clone(), outbound_allow_private: true, ..Settings::default() };
        configure(&mut settings);
        let settings_storage = settings.storage_dir.clone();
        let app_pool = DbPool::new(&database_url, 10)?;
        let app = Application::build(settings, app_pool.clone()).await?;
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run());
        Ok(Self {
            address,
            db: DbPool::new(&database_url, 4)?,
            app_db: app_pool,
            storage_dir: settings_storage,
            database_url,
            client: reqwest::Client::new(),
            handle,
        })
    }

    /// Stops the server and its background work, as a killed process would stop (tests of
    /// recovery start another app on the same database).
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    // ---- factories -------------------------------------------------------------------------

    #[allow(clippy::expect_used)]
    pub async fn create_account(&self, name: &str) -> i64 {
        let mut conn = self.db.get().await.expect("conn");
        let changes = switchboard_store::models::AccountChanges { name: Some(name.into()), ..Default::default() };
        switchboard_store::accounts::create(&mut conn, &changes).await.expect("account").id
    }

    /// A user with a unique email; with a password when one is given.
    #[allow(clippy::expect_used)]
    pub async fn create_user(&self, name: &str, password: Option<&str>) -> User {
        let mut conn = self.db.get().await.expect("conn");
        let email = format!("{}-{}@example.com", name.to_lowercase().replace(' ', "."), random_token(4));
        let input = NewUserInput {
            name: name.into(),
            display_name: None,
            email: Email::parse("email", &email).expect("email"),
            password: password.map(|p| Password::parse("password", p).expect("password")),
            custom_attributes: json!({}),
        };
        create_user(&mut conn, input).await.expect("user")
    }

    #[allow(clippy::expect_used)]
    pub async fn add_member(&self, account_id: i64, user: &User, role: &str) {
        let mut conn = self.db.get().await.expect("conn");
        let member = NewAccountUser {
            account_id,
            user_id: user.id,
            role: switchboard_domain::users::Role::parse("role", role).expect("a role"),
            availability: "online".into(),
            auto_offline: true,
            inviter_id: None,
        };
        switchboard_store::account_users::add(&mut conn, &member).await.expect("membership");
    }

    /// A platform app's token.
    #[allow(clippy::expect_used)]
    pub async fn create_platform_app(&self, name: &str) -> String {
        let mut conn = self.db.get().await.expect("conn");
        let token = random_token(24);
        switchboard_store::platform::create_app(&mut conn, name, &token).await.expect("platform app");
        token
    }

    /// The usual cast: an account with an admin and an agent, and another account with its own admin.
    pub async fn seed(&self) -> World {
        let account_id = self.create_account("Acme").await;
        let admin = self.create_user("Ada Admin", None).await;
        self.add_member(account_id, &admin, "administrator").await;
        let agent = self.create_user("Abe Agent", None).await;
        self.add_member(account_id, &agent, "agent").await;
        let other_account_id = self.create_account("Globex").await;
        let outsider = self.create_user("Olga Other", None).await;
        self.add_member(other_account_id, &outsider, "administrator").await;
        World { account_id, admin, agent, other_account_id, outsider }
    }

    /// Creates an API inbox through the store (as an admin would through the API).
    #[allow(clippy::expect_used)]
    pub async fn create_inbox(&self, account_id: i64, name: &str) -> i64 {
        let mut conn = self.db.get().await.expect("conn");
        let new = switchboard_store::models::NewInbox {
            account_id,
            name: name.into(),
            channel_type: switchboard_domain::inbox::ChannelType::Api,
            inbox_identifier: random_token(12),
            hmac_token: random_token(16),
            secret: random_token(16),
            phone_number: None,
            provider: None,
            provider_config: json!({}),
            webhook_token: None,
        };
        switchboard_store::inboxes::create(&mut conn, &new, &Default::default()).await.expect("inbox").id
    }

    /// Creates a WhatsApp inbox on `bsp` through the API, as an administrator; returns the
    /// inbox payload (with its `id` and `webhook_url`).
    #[allow(clippy::expect_used)]
    pub async fn create_whatsapp_inbox(&self, world: &World, bsp: &bsp::FakeBsp, phone: &str) -> serde_json::Value {
        let body = json!({ "name": "WhatsApp", "channel": {
            "type": "whatsapp", "phone_number": phone, "provider": "aldeamo", "provider_config": bsp.provider_config() } });
        let reply = self.post(&world.path("/inboxes")).token(&world.admin.access_token).json(&body).send().await;
        assert_eq!(reply.status, 200, "creating a WhatsApp inbox: {}", reply.body);
        reply.body
    }

    #[allow(clippy::expect_used)]
    pub async fn add_inbox_member(&self, inbox_id: i64, user: &User) {
        let mut conn = self.db.get().await.expect("conn");
        switchboard_store::inboxes::add_members(&mut conn, inbox_id, &[user.id]).await.expect("inbox member");
    }
}

/// Two accounts and their people.
#[derive(Clone)]
pub struct World {
    pub account_id: i64,
    pub admin: User,
    pub agent: User,
    pub other_account_id: i64,
    /// Administrator of the other account.
    pub outsider: User,
}

impl World {
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/accounts/{}{}", self.account_id, rest)
    }
}
