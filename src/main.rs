//! `switchboard`: a Chatwoot-compatible inbox backend in one binary.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::time::Duration;
use switchboard_core::users::ensure_admin;

use switchboard_api::Application;
use switchboard_cluster::{Claim, ClusterOptions, DirLock, LocalCluster, NotInstalled};
use switchboard_core::settings::{Settings, WebhookSettings, WhatsappSettings};
use switchboard_core::Core;
use switchboard_domain::users::{Email, Password};
use switchboard_domain::webhooks::Policy;
use switchboard_store::DbPool;

/// The server allocates per request and per event on many threads at once; mimalloc does that
/// with less contention and fragmentation than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Self-hosted omnichannel inbox backend (Chatwoot-compatible API)",
    long_about = "Self-hosted omnichannel inbox backend (Chatwoot-compatible API). The server's options are also environment \
                  variables (shown with each); with no configuration at all, `switchboard` serves on 127.0.0.1:3000 with a \
                  private PostgreSQL cluster under ./var."
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    /// The server's and the worker's settings; options of every command, so that each may be
    /// given before or after the command's name.
    #[command(flatten)]
    server: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct Common {
    /// PostgreSQL URL; without it a private cluster runs under --data-dir
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Directory for the private PostgreSQL cluster
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", default_value = "./var", global = true)]
    data_dir: PathBuf,
    /// Database connections per process
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 20, global = true)]
    pool_size: usize,
    /// Directory with initdb and postgres for the private cluster [default: PATH, then /usr/lib/postgresql/*/bin]
    #[arg(long, env = "SWITCHBOARD_PG_BINDIR", global = true)]
    pg_bindir: Option<PathBuf>,
    /// Log filter (tracing's EnvFilter directives)
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
    log: String,
    /// 'json' for JSON lines, anything else for text
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    log_format: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default), running jobs too unless SWITCHBOARD_JOBS=false
    Serve,
    /// Run jobs and periodic work only (sends, group syncs, template syncs), with no HTTP server
    Worker,
    /// Apply pending database migrations and exit
    Migrate,
    /// Create an administrator (or reset its password) in the first account
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Create a platform app and print its /platform/api/v1 token
    CreatePlatformApp {
        #[arg(long)]
        name: String,
    },
    /// Derive an account's reporting events and report roll-ups again from the kept log inputs
    /// (after a fix to the derivation, or to an inbox's working hours)
    RebuildReports {
        #[arg(long)]
        account: i64,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "BIND", default_value = "127.0.0.1", global = true)]
    bind: String,
    /// Port to listen on
    #[arg(long, env = "PORT", default_value_t = 3000, global = true)]
    port: u16,
    /// URL clients (and the BSP, for signed links) reach this server at [default: http://BIND:PORT]
    #[arg(long, env = "PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Redis, to share live events and throttling across processes; unset, both stay in this process
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    redis_url: Option<String>,
    /// Largest accepted JSON body
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1 << 20, global = true)]
    max_body_bytes: usize,
    /// Where attachments are kept [default: SWITCHBOARD_DATA_DIR/storage]
    #[arg(long, env = "STORAGE_DIR", global = true)]
    storage_dir: Option<std::path::PathBuf>,
    /// Largest accepted attachment
    #[arg(long, env = "MAX_ATTACHMENT_BYTES", default_value_t = 40 << 20, global = true)]
    max_attachment_bytes: usize,
    /// Email of the administrator created on first start
    #[arg(long, env = "SWITCHBOARD_ADMIN_EMAIL", default_value = "admin@switchboard.local", global = true)]
    admin_email: String,
    /// Its password [default: generated and printed once]
    #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    admin_password: Option<String>,
    /// Attempts per outgoing WhatsApp message before it is marked failed.
    #[arg(long, env = "WHATSAPP_SEND_ATTEMPTS", default_value_t = 8, global = true)]
    whatsapp_send_attempts: u32,
    /// Seconds before the first retry of a WhatsApp send; each next wait doubles.
    #[arg(long, env = "WHATSAPP_RETRY_BASE_SECS", default_value_t = 2, global = true)]
    whatsapp_retry_base_secs: u64,
    /// Longest wait between two attempts, in seconds.
    #[arg(long, env = "WHATSAPP_RETRY_MAX_SECS", default_value_t = 300, global = true)]
    whatsapp_retry_max_secs: u64,
    /// Seconds a BSP call may take before it counts as a timeout.
    #[arg(long, env = "WHATSAPP_BSP_TIMEOUT_SECS", default_value_t = 15, global = true)]
    whatsapp_bsp_timeout_secs: u64,
    /// Messages per second per WhatsApp inbox, shared by every process.
    #[arg(long, env = "WHATSAPP_RATE_LIMIT", default_value_t = 80, global = true)]
    whatsapp_rate_limit: u32,
    /// Requests per API key per minute on the integrator APIs; more get 429 with Retry-After.
    #[arg(long, env = "INTEGRATOR_REQUESTS_PER_MINUTE", default_value_t = 600, global = true)]
    integrator_requests_per_minute: u32,
    /// Requests per client address per minute on the public client API; more get 429.
    #[arg(long, env = "PUBLIC_REQUESTS_PER_MINUTE_PER_IP", default_value_t = 300, global = true)]
    public_requests_per_minute_per_ip: u32,
    /// Requests per inbox per minute on the public client API, from all addresses together.
    #[arg(long, env = "PUBLIC_REQUESTS_PER_MINUTE_PER_INBOX", default_value_t = 6000, global = true)]
    public_requests_per_minute_per_inbox: u32,
    /// Percent of real time one account's reports may take, in the long run: a client asking for
    /// reports faster is paced, so reports never slow the inbox.
    #[arg(long, env = "REPORT_TIME_SHARE_PERCENT", default_value_t = 10.0, global = true)]
    report_time_share_percent: f64,
    /// Milliseconds of report time an idle account may spend at once (a dashboard's reports).
    #[arg(long, env = "REPORT_TIME_BURST_MS", default_value_t = 1000, global = true)]
    report_time_burst_ms: u64,
    /// A report that would wait longer than this many seconds for its turn answers 429.
    #[arg(long, env = "REPORT_MAX_WAIT_SECS", default_value_t = 10, global = true)]
    report_max_wait_secs: u64,
    /// Deliver WhatsApp group messages from Baileys-style providers. Off (the default), groups are
    /// soft-disabled: the provider sends only activity summaries, and group conversations show
    /// that something happened without storing the messages.
    #[arg(long, env = "WHATSAPP_GROUPS_ENABLED", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    whatsapp_groups_enabled: bool,
    /// Seconds between template syncs with the BSP.
    #[arg(long, env = "WHATSAPP_TEMPLATE_SYNC_SECS", default_value_t = 3600, global = true)]
    whatsapp_template_sync_secs: u64,
    /// Seconds a webhook receiver may take to answer before the attempt counts as a timeout.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECS", default_value_t = 10, global = true)]
    webhook_timeout_secs: u64,
    /// Seconds before the first retry of a webhook delivery; each next wait doubles.
    #[arg(long, env = "WEBHOOK_RETRY_BASE_SECS", default_value_t = 10, global = true)]
    webhook_retry_base_secs: u64,
    /// Longest wait between two attempts of a delivery, in seconds.
    #[arg(long, env = "WEBHOOK_RETRY_MAX_SECS", default_value_t = 3600, global = true)]
    webhook_retry_max_secs: u64,
    /// Seconds a delivery is retried before it is given up (failed).
    #[arg(long, env = "WEBHOOK_RETRY_FOR_SECS", default_value_t = 86_400, global = true)]
    webhook_retry_for_secs: u64,
    /// An endpoint whose every attempt failed for this many seconds is disabled.
    #[arg(long, env = "WEBHOOK_DISABLE_AFTER_SECS", default_value_t = 86_400, global = true)]
    webhook_disable_after_secs: u64,
    /// Let outgoing requests to URLs users gave (BSP, provider) reach loopback, private,
    /// link-local and metadata addresses. Off: such URLs are refused when saved and when called.
    #[arg(long, env = "OUTBOUND_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    outbound_allow_private: bool,
    /// Proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", value_parser = parse_trusted, global = true)]
    trusted_proxies: TrustedProxies,
    /// Origins (comma-separated) whose pages may call the API from a browser.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "", value_parser = parse_origins, global = true)]
    cors_allowed_origins: Origins,
    /// Run the job worker and periodic work in this serving process too. 'false' for web
    /// nodes of a deployment that runs `switchboard worker` processes apart.
    #[arg(long, env = "SWITCHBOARD_JOBS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    jobs: bool,
}

/// `CORS_ALLOWED_ORIGINS`, parsed.
#[derive(Clone)]
struct Origins(Vec<String>);

fn parse_origins(raw: &str) -> Result<Origins, String> {
    switchboard_api::headers::parse_origins(raw).map(Origins)
}

/// `TRUSTED_PROXIES`, parsed.
#[derive(Clone)]
struct TrustedProxies(Vec<ipnet::IpNet>);

fn parse_trusted(raw: &str) -> Result<TrustedProxies, String> {
    switchboard_api::client_ip::parse_trusted(raw).map(TrustedProxies)
}

fn init_tracing(common: &Common) {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&common.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // tokio-postgres logs bind parameters (tokens among them) at debug: never let them through.
    let filter = match "tokio_postgres=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_span_events(FmtSpan::CLOSE).with_writer(std::io::stderr);
    if common.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The database in use, and what this process owns of it.
struct Database {
    url: String,
    /// The private cluster we started, stopped when we end.
    cluster: Option<LocalCluster>,
    /// The data directory's lock, held while we own its cluster.
    _lock: Option<DirLock>,
}

/// The database to use. Without `DATABASE_URL`, the private cluster of the data directory:
/// the process holding the directory's lock owns that cluster. `serve` must hold it (a second
/// one refuses, naming the first); another command that finds it held uses the running cluster
/// and leaves it running.
async fn database(common: &Common, serving: bool) -> anyhow::Result<Database> {
    if let Some(url) = &common.database_url {
        return Ok(Database { url: url.clone(), cluster: None, _lock: None });
    }
    // Before anything is logged: with no PostgreSQL installed, the one line said is what to do.
    switchboard_cluster::find_binaries(common.pg_bindir.as_deref())?;
    let root = switchboard_cluster::placement(&common.data_dir.join("postgres"))?;
    if !root.starts_with(std::path::absolute(&common.data_dir)?) {
        println!(
            "The private PostgreSQL cluster is kept in {} (the postgres user cannot reach {}).",
            root.display(),
            common.data_dir.display()
        );
    }
    let url = |port: u16| format!("postgres://{}@127.0.0.1:{port}/switchboard", switchboard_cluster::SUPERUSER);
    match DirLock::acquire(&common.data_dir)? {
        Claim::HeldBy(pid) if serving => {
            let who = pid.map(|p| format!("pid {p}")).unwrap_or_else(|| "another process".into());
            anyhow::bail!(
                "{} is already in use by switchboard ({who}): stop it, or give this one another SWITCHBOARD_DATA_DIR",
                common.data_dir.display()
            )
        }
        Claim::HeldBy(_) => {
            let port = switchboard_cluster::running_port(&root).await?;
            tracing::info!(dir = %root.display(), port, "using the private PostgreSQL cluster of the running server");
            Ok(Database { url: url(port), cluster: None, _lock: None })
        }
        Claim::Acquired(lock) => {
            tracing::info!(dir = %root.display(), "no DATABASE_URL: starting a private PostgreSQL cluster");
            let cluster = LocalCluster::start(ClusterOptions { root, ephemeral: false, bindir: common.pg_bindir.clone() }).await?;
            cluster.create_database("switchboard", None).await?;
            Ok(Database { url: cluster.url("switchboard"), cluster: Some(cluster), _lock: Some(lock) })
        }
    }
}

/// SIGTERM or Ctrl-C (SIGINT), listened for from the moment this is called: call it before
/// saying the server is up, so a signal sent right after that line stops it cleanly instead of
/// killing it.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}

/// The server's settings from its arguments; the public URL too (it is printed).
fn settings(common: &Common, args: ServeArgs) -> (Settings, String) {
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}:{}", args.bind, args.port));
    let settings = Settings {
        bind: args.bind,
        port: args.port,
        public_url: public_url.trim_end_matches('/').to_string(),
        redis_url: args.redis_url,
        max_body_bytes: args.max_body_bytes,
        storage_dir: args.storage_dir.clone().unwrap_or_else(|| common.data_dir.join("storage")),
        max_attachment_bytes: args.max_attachment_bytes,
        whatsapp: WhatsappSettings {
            send_attempts: args.whatsapp_send_attempts.max(1),
            retry_base: Duration::from_secs(args.whatsapp_retry_base_secs),
            retry_max: Duration::from_secs(args.whatsapp_retry_max_secs),
            bsp_timeout: Duration::from_secs(args.whatsapp_bsp_timeout_secs.max(1)),
            rate_limit: args.whatsapp_rate_limit.max(1),
            template_sync: Duration::from_secs(args.whatsapp_template_sync_secs.max(60)),
            groups_enabled: args.whatsapp_groups_enabled,
            ..WhatsappSettings::default()
        },
        webhooks: WebhookSettings {
            timeout: Duration::from_secs(args.webhook_timeout_secs.max(1)),
            policy: Policy {
                retry_base: Duration::from_secs(args.webhook_retry_base_secs.max(1)),
                retry_max: Duration::from_secs(args.webhook_retry_max_secs.max(1)),
                retry_for: Duration::from_secs(args.webhook_retry_for_secs),
                disable_after: Duration::from_secs(args.webhook_disable_after_secs),
            },
            ..WebhookSettings::default()
        },
        outbound_allow_private: args.outbound_allow_private,
        integrator_requests_per_minute: args.integrator_requests_per_minute.max(1),
        public_limits: switchboard_core::settings::PublicLimits {
            per_ip: args.public_requests_per_minute_per_ip.max(1),
            per_inbox: args.public_requests_per_minute_per_inbox.max(1),
        },
        reports: switchboard_core::settings::ReportLimits {
            share: (args.report_time_share_percent / 100.0).clamp(0.001, 1.0),
            burst: Duration::from_millis(args.report_time_burst_ms),
            max_wait: Duration::from_secs(args.report_max_wait_secs.max(1)),
        },
        trusted_proxies: args.trusted_proxies.0,
        cors_allowed_origins: args.cors_allowed_origins.0,
        ..Settings::default()
    };
    (settings, public_url)
}

async fn serve(common: &Common, args: ServeArgs, database_url: String) -> anyhow::Result<()> {
    let pool = DbPool::new(&database_url, common.pool_size)?;
    bootstrap_admin(&pool, &args).await?;
    let jobs = args.jobs;
    let (settings, public_url) = settings(common, args);
    let app = Application::build_with(settings, pool, jobs).await?;
    let handle = app.handle();
    let stop = shutdown_signal()?;
    println!("Switchboard is listening on {public_url}");
    let server = tokio::spawn(app.run());
    stop.await;
    tracing::info!("shutting down");
    handle.stop(true).await;
    server.await??;
    Ok(())
}

/// `switchboard worker`: jobs and periodic work, no HTTP server, until SIGTERM or Ctrl-C; then
/// the sends under way finish.
async fn worker(common: &Common, args: ServeArgs, database_url: String) -> anyhow::Result<()> {
    let pool = DbPool::new(&database_url, common.pool_size)?;
    let (settings, _) = settings(common, args);
    let core = Core::build(settings, pool, true).await?;
    let stop = shutdown_signal()?;
    println!("Switchboard worker is running");
    stop.await;
    tracing::info!("worker shutting down");
    core.stop().await;
    Ok(())
}

/// The first start has no administrator: create one and say how to sign in.
async fn bootstrap_admin(pool: &DbPool, args: &ServeArgs) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    if switchboard_store::account_users::count_administrators(&mut conn).await? > 0 {
        return Ok(());
    }
    let email = Email::parse("SWITCHBOARD_ADMIN_EMAIL", &args.admin_email)?;
    let (password, generated) = match &args.admin_password {
        Some(p) => (p.clone(), false),
        None => (switchboard_core::tokens::random_token(12), true),
    };
    let admin = ensure_admin(&mut conn, email, Password::parse("SWITCHBOARD_ADMIN_PASSWORD", &password)?, "Administrator")
        .await
        .map_err(anyhow_core)?;
    let shown = if generated { password.as_str() } else { "(as set in SWITCHBOARD_ADMIN_PASSWORD)" };
    println!(
        "\nCreated the first administrator (account {account}).\n  email:        {email}\n  password:     {shown}\n  access token: {token}\n\
         Sign in with POST /auth/sign_in {{\"email\",\"password\"}}, or send the header `api_access_token: {token}`.\n\
         This is shown only once.\n",
        account = admin.account_id,
        email = admin.user.email,
        token = admin.user.access_token,
    );
    Ok(())
}

fn anyhow_core(e: switchboard_core::CoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let Database { url: database_url, cluster, _lock } = database(&cli.common, serving).await?;
    let count = switchboard_store::migrate::run_pending(&database_url).await.context("applying migrations")?;
    if count > 0 {
        tracing::info!(count, "applied migrations");
    }
    let command = match cli.command {
        Some(c) => c,
        None => Command::Serve,
    };
    let result = match command {
        Command::Serve => serve(&cli.common, cli.server, database_url).await,
        Command::Worker => worker(&cli.common, cli.server, database_url).await,
        Command::Migrate => {
            println!("Database is up to date ({count} migrations applied now).");
            Ok(())
        }
        Command::CreateAdmin { email, password, name } => {
            let pool = DbPool::new(&database_url, 2)?;
            let mut conn = pool.get().await?;
            let email = Email::parse("--email", &email)?;
            let password = Password::parse("--password", &password)?;
            let admin = ensure_admin(&mut conn, email, password, &name).await.map_err(anyhow_core)?;
            println!(
                "{} administrator {} in account {}.\naccess token: {}",
                if admin.created { "Created" } else { "Updated" },
                admin.user.email,
                admin.account_id,
                admin.user.access_token
            );
            Ok(())
        }
        Command::CreatePlatformApp { name } => {
            let pool = DbPool::new(&database_url, 2)?;
            let mut conn = pool.get().await?;
            let token = switchboard_core::tokens::random_token(24);
            let app = switchboard_store::platform::create_app(&mut conn, name.trim(), &token).await?;
            println!("Created platform app {} ({}).\nPlatform token (api_access_token for /platform/api/v1): {}", app.id, app.name, token);
            Ok(())
        }
        Command::RebuildReports { account } => {
            let pool = DbPool::new(&database_url, 2)?;
            let read = switchboard_core::reports::rebuild(&pool, account).await?;
            println!("Rebuilt the reports of account {account} from {read} kept log events.");
            Ok(())
        }
    };
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    result
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.common);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<NotInstalled>().is_some() {
                eprintln!("error: {e}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}
