//! A private PostgreSQL cluster run from the installed server binaries.
//!
//! `switchboard serve` uses it when no `DATABASE_URL` is given, and the test kit uses it for a
//! throwaway cluster. It listens on a free loopback port (never a server's 5432), only over TCP,
//! and it dies with us: the postmaster gets SIGINT (a fast, clean shutdown) when its parent goes.
//! The data directory's lock (`DirLock`) decides which process owns the cluster; other
//! commands use the running one. `spawn_supervised` also starts the test kit's redis-server.

// pre_exec is the only way to set the parent-death signal in the child before it execs.
#![allow(unsafe_code)]

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{Gid, Pid, Uid, User};

/// The superuser initdb creates; trust auth on loopback, so no password exists to leak.
pub const SUPERUSER: &str = "switchboard";

#[derive(Debug, thiserror::Error)]
#[error(
    "PostgreSQL server binaries (initdb, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin. \
     Install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to an existing server."
)]
pub struct NotInstalled;

pub struct ClusterOptions {
    /// The directory with `initdb` and `postgres`; unset, they are looked for (`find_binaries`).
    pub bindir: Option<PathBuf>,
    /// Holds `data/` (PGDATA) and `postgres.log`.
    pub root: PathBuf,
    /// Throwaway clusters trade durability for speed (no fsync).
    pub ephemeral: bool,
}

pub struct LocalCluster {
    pid: Pid,
    port: u16,
    exited: std::sync::mpsc::Receiver<()>,
    log_path: PathBuf,
}

/// The directory holding both `initdb` and `postgres`: `explicit` when given, else the
/// first match on PATH, else the newest /usr/lib/postgresql/*/bin.
pub fn find_binaries(explicit: Option<&Path>) -> Result<PathBuf, NotInstalled> {
    if let Some(dir) = explicit {
        let dir = dir.to_path_buf();
        return if dir.join("initdb").is_file() && dir.join("postgres").is_file() { Ok(dir) } else { Err(NotInstalled) };
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()).map(|v| (v, e.path().join("bin"))))
        .collect();
    versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
    candidates.extend(versioned.into_iter().map(|(_, p)| p));
    candidates.into_iter().find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file()).ok_or(NotInstalled)
}

/// PostgreSQL refuses to run as root; when we are root we run it as `postgres` (or `nobody`).
fn run_as() -> anyhow::Result<Option<(Uid, Gid)>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name) {
            return Ok(Some((user.uid, user.gid)));
        }
    }
    bail!("running as root, but there is no 'postgres' or 'nobody' user to run PostgreSQL as")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn command(bin: &Path, owner: Option<(Uid, Gid)>) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_remove("PGDATA").env("LC_ALL", "C");
    if let Some((uid, gid)) = owner {
        cmd.uid(uid.as_raw()).gid(gid.as_raw());
    }
    cmd
}

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

impl LocalCluster {
    /// Initialises the cluster on first use, then starts it and waits until it accepts connections.
    pub async fn start(opts: ClusterOptions) -> anyhow::Result<Self> {
        let bin = find_binaries(opts.bindir.as_deref())?;
        let owner = run_as()?;
        let data = opts.root.join("data");
        let log_path = opts.root.join("postgres.log");
        fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&data, Some(uid.as_raw()), Some(gid.as_raw()))
                .context("handing the data directory to the postgres user")?;
        }
        set_private(&data)?;

        if !data.join("PG_VERSION").exists() {
            let mut cmd = command(&bin.join("initdb"), owner);
            cmd.arg("-D").arg(&data).args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C"]);
            if opts.ephemeral {
                cmd.arg("--no-sync");
            }
            let out = cmd.stdin(Stdio::null()).output().context("running initdb")?;
            if !out.status.success() {
                bail!(
                    "initdb failed for {}: {}{}",
                    data.display(),
                    String::from_utf8_lossy(&out.stderr).trim(),
                    if owner.is_some() { " (as root, every parent directory must be traversable by the postgres user)" } else { "" }
                );
            }
        }
        stop_leftover(&data).await;

        let port = free_port()?;
        let log = File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let mut cmd = command(&bin.join("postgres"), owner);
        cmd.arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="])
            .args(["-c", "max_connections=300"]);
        if opts.ephemeral {
            cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        let (pid, exited) = spawn_supervised(cmd).context("starting postgres")?;
        let cluster = Self { pid, port, exited, log_path };
        cluster.wait_ready(&data).await?;
        Ok(cluster)
    }

    async fn wait_ready(&self, data: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.exited.try_recv().is_ok() {
                bail!("postgres exited during startup:\n{}", tail(&self.log_path));
            }
            // Line 8 of postmaster.pid turns to "ready" once connections are accepted.
            let status = fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
            if status.lines().nth(7).map(str::trim) == Some("ready") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("postgres did not become ready within 60 s:\n{}", tail(&self.log_path));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `name` unless it exists, optionally as a copy of `template`.
    pub async fn create_database(&self, name: &str, template: Option<&str>) -> anyhow::Result<()> {
        create_database(&self.url("postgres"), name, template).await
    }

    /// Fast shutdown: open transactions roll back, then a clean checkpoint.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = kill(self.pid, Signal::SIGINT);
        let exited = self.exited;
        tokio::task::spawn_blocking(move || exited.recv_timeout(Duration::from_secs(30)))
            .await?
            .map_err(|_| anyhow!("postgres did not stop within 30 s"))
    }
}

/// Starts `cmd` in its own process group, to receive SIGINT when we die. Returns its pid and a
/// channel that yields once it has exited.
pub fn spawn_supervised(mut cmd: Command) -> anyhow::Result<(Pid, std::sync::mpsc::Receiver<()>)> {
    // Its own process group, so a terminal's Ctrl-C reaches us first and we stop it in order.
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from));
    }
    // The death signal fires when the *thread* that forked the child ends, so fork from a
    // thread that lives exactly as long as the child.
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (exited_tx, exited) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("child-supervisor".into()).spawn(move || match cmd.spawn() {
        Ok(mut child) => {
            let _ = started_tx.send(Ok(child.id()));
            let _ = child.wait();
            let _ = exited_tx.send(());
        }
        Err(e) => {
            let _ = started_tx.send(Err(e));
        }
    })?;
    let raw_pid = started_rx.recv().context("child supervisor vanished")??;
    Ok((Pid::from_raw(i32::try_from(raw_pid)?), exited))
}

fn set_private(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).with_context(|| format!("chmod {}", dir.display()))
}

/// A postmaster left running on this data directory (our process was killed without its death
/// signal reaching it) would hold the lock: ask it to stop and wait for it.
async fn stop_leftover(data: &Path) {
    let Ok(text) = fs::read_to_string(data.join("postmaster.pid")) else { return };
    let Some(pid) = text.lines().next().and_then(|l| l.trim().parse::<i32>().ok()) else { return };
    let pid = Pid::from_raw(pid);
    if pid.as_raw() <= 1 || kill(pid, None).is_err() {
        return;
    }
    let _ = kill(pid, Signal::SIGINT);
    for _ in 0..300 {
        if kill(pid, None).is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A data directory's lock. `serve` holds it for its whole life; the other commands hold it while
/// they run a cluster of their own. Whoever holds it owns the private cluster: nobody else starts
/// or stops one there. The lock is the kernel's (flock), so it goes with its process, however
/// that process ends.
pub struct DirLock {
    _file: nix::fcntl::Flock<File>,
}

/// What `DirLock::acquire` found.
pub enum Claim {
    /// Ours: start (and later stop) the cluster.
    Acquired(DirLock),
    /// Another process holds the directory; its pid, as it wrote it.
    HeldBy(Option<i32>),
}

impl DirLock {
    /// Takes `dir/switchboard.lock` without waiting, and writes our pid into it.
    pub fn acquire(dir: &Path) -> anyhow::Result<Claim> {
        use std::io::{Seek, Write};
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("switchboard.lock");
        let file = fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(mut locked) => {
                locked.set_len(0)?;
                locked.rewind()?;
                writeln!(locked, "{}", std::process::id())?;
                Ok(Claim::Acquired(DirLock { _file: locked }))
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                let pid = fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<i32>().ok());
                Ok(Claim::HeldBy(pid))
            }
            Err((_, e)) => Err(anyhow!("locking {}: {e}", path.display())),
        }
    }
}

/// The port of the cluster another process runs in `root`, once it accepts connections. For
/// commands that find the directory held: they use that cluster and leave it running.
pub async fn running_port(root: &Path) -> anyhow::Result<u16> {
    let pid_file = root.join("data").join("postmaster.pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // Line 4 is the port; line 8 turns to "ready" once connections are accepted.
        let text = fs::read_to_string(&pid_file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        if lines.get(7) == Some(&"ready") {
            if let Some(port) = lines.get(3).and_then(|p| p.parse::<u16>().ok()) {
                return Ok(port);
            }
        }
        if Instant::now() > deadline {
            bail!("the private cluster in {} is held by another process but did not become ready within 60 s", root.display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where the cluster of `root` lives. PostgreSQL runs as the `postgres` user when we are root;
/// if that user cannot reach `root` (a clone under a private home such as /root, mode 0700) the
/// cluster goes under /var/lib/switchboard instead, named after `root`, so that the same
/// directory always finds the same cluster.
pub fn placement(root: &Path) -> anyhow::Result<PathBuf> {
    let Some((uid, gid)) = run_as()? else { return Ok(root.to_path_buf()) };
    let absolute = std::path::absolute(root)?;
    if absolute.join("data").join("PG_VERSION").exists() || traversable(&absolute, uid, gid) {
        return Ok(absolute);
    }
    let name: String = absolute.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let moved = Path::new("/var/lib/switchboard").join(name.trim_matches('_'));
    fs::create_dir_all(&moved).with_context(|| format!("creating {}", moved.display()))?;
    Ok(moved)
}

/// Whether `uid`/`gid` may pass through every existing ancestor of `path` (the execute bit
/// that applies to them).
fn traversable(path: &Path, uid: Uid, gid: Gid) -> bool {
    use std::os::unix::fs::MetadataExt;
    path.ancestors().skip(1).filter_map(|dir| fs::metadata(dir).ok()).all(|meta| {
        let mode = meta.mode();
        if meta.uid() == uid.as_raw() {
            mode & 0o100 != 0
        } else if meta.gid() == gid.as_raw() {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        }
    })
}

/// Creates a database unless it exists. Names are ours (never user input), but are still quoted.
pub async fn create_database(admin_url: &str, name: &str, template: Option<&str>) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let mut conn = AsyncPgConnection::establish(admin_url).await?;
    let found: Exists = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(&mut conn)
        .await?;
    if !found.exists {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {} TEMPLATE {}", quote(name), quote(t)),
            None => format!("CREATE DATABASE {}", quote(name)),
        };
        diesel::sql_query(sql).execute(&mut conn).await?;
    }
    Ok(())
}
