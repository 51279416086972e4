//! The binary as a new user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchboard-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `switchboard` with no configuration but a data dir and a port; returns the child and
/// what it printed up to "listening".
fn start(data_dir: &Path, port: u16) -> (Child, String) {
    let mut child = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("server.log")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
            if line.contains("is listening on") {
                let _ = tx.send(text.clone());
            }
        }
    });
    let printed = rx.recv_timeout(Duration::from_secs(90)).expect("switchboard started and printed its address");
    (child, printed)
}

fn stop(mut child: Child) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "clean exit after SIGTERM, got {status}");
            return;
        }
        assert!(Instant::now() < deadline, "did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn field(printed: &str, label: &str) -> String {
    printed.lines().find_map(|l| l.trim().strip_prefix(label)).map(|v| v.trim().to_string()).expect(label)
}

#[tokio::test]
async fn zero_config_start_prints_working_credentials_and_stops_cleanly() {
    let dir = scratch_dir("zero");
    let port = free_port();
    let (child, printed) = start(&dir, port);
    let email = field(&printed, "email:");
    let password = field(&printed, "password:");
    let token = field(&printed, "access token:");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let signin = http.post(format!("{base}/auth/sign_in")).json(&json!({ "email": email, "password": password })).send().await.unwrap();
    assert_eq!(signin.status(), 200);
    let profile = http.get(format!("{base}/api/v1/profile")).header("api_access_token", &token).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    let body: serde_json::Value = profile.json().await.unwrap();
    assert_eq!(body["role"], "administrator");
    assert_eq!(http.get(format!("{base}/ready")).send().await.unwrap().status(), 200);

    let wrong = http.post(format!("{base}/auth/sign_in")).json(&json!({ "email": email, "password": "typo-secret" })).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    // Credentials in paths and query strings: a webhook's token, a signed link's signature, a
    // token sent as a parameter.
    let _ = http.post(format!("{base}/webhooks/whatsapp/webhook-token-secret-1")).json(&json!({})).send().await.unwrap();
    let _ = http.get(format!("{base}/attachments/1/a.png?expires=1&signature=signature-secret-2")).send().await.unwrap();
    let _ = http.get(format!("{base}/api/v1/profile?api_access_token=query-token-secret-3")).send().await.unwrap();

    stop(child);
    // Even at debug level the logs carry requests and their ids, never secrets.
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    assert!(log.contains("request_id"), "requests are logged with their id");
    assert!(log.contains("/webhooks/whatsapp/[redacted]"), "webhook requests are logged, redacted");
    for secret in [password.as_str(), token.as_str(), "typo-secret", "webhook-token-secret-1", "signature-secret-2", "query-token-secret-3"]
    {
        assert!(!log.contains(secret), "a secret reached the log");
    }
    let pid_file = dir.join("postgres/data/postmaster.pid");
    assert!(!pid_file.exists(), "the private cluster was stopped with the server");

    // A second start reuses the data: no new administrator, the same token works.
    let port = free_port();
    let (child, printed) = start(&dir, port);
    assert!(!printed.contains("Created the first administrator"), "{printed}");
    let profile = http.get(format!("http://127.0.0.1:{port}/api/v1/profile")).header("api_access_token", &token).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_postgres_it_says_what_to_install_in_one_line() {
    let dir = scratch_dir("nopg");
    let out = Command::new(BIN)
        .env_clear()
        .env("SWITCHBOARD_DATA_DIR", &dir)
        .env("SWITCHBOARD_PG_BINDIR", dir.join("nothing-here"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("apt-get install postgresql") && lines[0].contains("DATABASE_URL"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_describes_every_environment_variable() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "DATABASE_URL",
        "SWITCHBOARD_DATA_DIR",
        "SWITCHBOARD_PG_BINDIR",
        "REDIS_URL",
        "BIND",
        "PORT",
        "PUBLIC_URL",
        "SWITCHBOARD_ADMIN_EMAIL",
        "SWITCHBOARD_ADMIN_PASSWORD",
        "RUST_LOG",
        "LOG_FORMAT",
        "STORAGE_DIR",
        "MAX_ATTACHMENT_BYTES",
        "OUTBOUND_ALLOW_PRIVATE",
        "TRUSTED_PROXIES",
        "CORS_ALLOWED_ORIGINS",
        "SWITCHBOARD_JOBS",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    for sub in ["serve", "worker", "migrate", "create-admin", "create-platform-app"] {
        assert!(help.contains(sub), "--help does not list {sub}");
    }
}

#[tokio::test]
async fn migrate_create_admin_and_create_platform_app() {
    let url = switchboard_testkit::fresh_database().await.unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN).env_clear().env("DATABASE_URL", &url).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(run(&["migrate"]).contains("up to date"));
    let created = run(&["create-admin", "--email", "Boss@Example.com", "--password", "hunter22"]);
    assert!(created.contains("Created administrator"), "{created}");
    let again = run(&["create-admin", "--email", "boss@example.com", "--password", "hunter23"]);
    assert!(again.contains("Updated administrator"), "{again}");
    let platform = run(&["create-platform-app", "--name", "crm"]);
    let token = platform.lines().find_map(|l| l.split(": ").nth(1).filter(|_| l.starts_with("Platform token"))).unwrap().trim().to_string();

    let pool = switchboard_store::DbPool::new(&url, 1).unwrap();
    let mut conn = pool.get().await.unwrap();
    let user = switchboard_store::users::find_by_email(&mut conn, "boss@example.com").await.unwrap().unwrap();
    assert!(switchboard_api::auth::verify_password("hunter23".into(), user.password_hash).await.unwrap(), "password was reset");
    assert!(switchboard_store::platform::find_by_token(&mut conn, &token).await.unwrap().is_some());
    assert_eq!(switchboard_store::account_users::count_administrators(&mut conn).await.unwrap(), 1);
}

/// `switchboard serve` on an existing database, its log in `dir`; waits until it listens.
fn serve_on(database_url: &str, dir: &Path, port: u16, extra: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("SWITCHBOARD_DATA_DIR", dir)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).unwrap());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// CPU time (user + system, in clock ticks of 1/100 s) a process has used so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Opens `/cable` on a raw connection and reads the 101 answer.
async fn raw_cable(port: u16) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut io = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let handshake = format!(
        "GET /cable HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    io.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(io.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    io
}

/// A masked client frame header declaring `len` bytes of payload, in the 64-bit length form.
fn declared_frame(opcode: u8, fin: bool, len: u64) -> Vec<u8> {
    let mut frame = vec![if fin { 0x80 } else { 0 } | opcode, 0x80 | 127];
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    frame
}

/// Reads server frames until a close frame; returns its code, or None if the connection ended
/// without one.
async fn close_code(io: &mut tokio::net::TcpStream) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    loop {
        let mut head = [0u8; 2];
        io.read_exact(&mut head).await.ok()?;
        let len = match head[1] & 0x7f {
            126 => io.read_u16().await.ok()? as usize,
            127 => io.read_u64().await.ok()? as usize,
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        io.read_exact(&mut payload).await.ok()?;
        if head[0] & 0x0f == 0x8 {
            return Some(u16::from_be_bytes([payload[0], payload[1]]));
        }
    }
}

async fn health_at_once(http: &reqwest::Client, port: u16) {
    let started = Instant::now();
    let reply = http.get(format!("http://127.0.0.1:{port}/health")).timeout(Duration::from_secs(2)).send().await;
    assert_eq!(reply.map(|r| r.status().as_u16()).ok(), Some(200), "/health answers");
    assert!(started.elapsed() < Duration::from_secs(1), "/health took {:?}", started.elapsed());
}

/// The security review's critical finding: one large frame put a worker into a busy loop for
/// ever. Frames over the limit are refused from their header with close code 1009, and the
/// server stays responsive and idle.
#[tokio::test]
async fn oversized_cable_frames_are_closed_with_1009_and_leave_the_server_idle() {
    use tokio::io::AsyncWriteExt;
    let url = switchboard_testkit::fresh_database().await.unwrap();
    let dir = scratch_dir("frames");
    let port = free_port();
    let child = serve_on(&url, &dir, port, &[]);
    let http = reqwest::Client::new();

    // Declared lengths only: the server must not wait for payloads it will never take.
    for len in [127 * 1024u64, 128 * 1024, 1024 * 1024, 64 * 1024 * 1024] {
        let mut io = raw_cable(port).await;
        io.write_all(&declared_frame(0x1, true, len)).await.unwrap();
        io.write_all(&[b'x'; 1024]).await.unwrap();
        let code = tokio::time::timeout(Duration::from_secs(5), close_code(&mut io)).await.expect("closed in time");
        assert_eq!(code, Some(1009), "a {len}-byte frame");
        health_at_once(&http, port).await;
    }
    // A message of 32 KiB fragments over the 256 KiB limit is refused the same way.
    let mut io = raw_cable(port).await;
    let fragment = vec![b' '; 32 * 1024];
    let mut refused = None;
    for i in 0..10 {
        let opcode = if i == 0 { 0x1 } else { 0x0 };
        let mut frame = vec![opcode, 0x80 | 126];
        frame.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend_from_slice(&fragment);
        if io.write_all(&frame).await.is_err() {
            break;
        }
        if i == 8 {
            refused = tokio::time::timeout(Duration::from_secs(5), close_code(&mut io)).await.expect("closed in time");
            break;
        }
    }
    assert_eq!(refused, Some(1009), "a fragmented message over 256 KiB");
    health_at_once(&http, port).await;

    // A message of exactly 256 KiB in 32 KiB fragments is still taken.
    let mut io = raw_cable(port).await;
    for i in 0..8 {
        let opcode = if i == 0 { 0x1 } else { 0x0 } | if i == 7 { 0x80 } else { 0 };
        let mut frame = vec![opcode, 0x80 | 126];
        frame.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend_from_slice(&fragment);
        io.write_all(&frame).await.unwrap();
    }
    io.write_all(&[0x89, 0x80, 0, 0, 0, 0]).await.unwrap();
    let mut pong = [0u8; 2];
    loop {
        use tokio::io::AsyncReadExt;
        let read = tokio::time::timeout(Duration::from_secs(5), io.read_exact(&mut pong)).await.expect("an answer");
        read.unwrap();
        let mut payload = vec![0u8; (pong[1] & 0x7f) as usize];
        io.read_exact(&mut payload).await.unwrap();
        if pong[0] & 0x0f == 0xA {
            break;
        }
    }

    // Nothing spins: over a second the whole server uses a sliver of one core.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_ticks(child.id());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_ticks(child.id()) - before;
    assert!(used < 20, "the server used {used} ticks of CPU in an idle second");
    health_at_once(&http, port).await;
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The review found that `migrate`, `create-admin` and `create-platform-app`, run beside a
/// server, stopped its private cluster, and that a second `serve` took the cluster over.
#[tokio::test]
async fn commands_beside_a_running_server_share_its_cluster_and_a_second_serve_refuses() {
    let dir = scratch_dir("beside");
    let port = free_port();
    let (child, printed) = start(&dir, port);
    let token = field(&printed, "access token:");
    let http = reqwest::Client::new();
    let ready = || async { http.get(format!("http://127.0.0.1:{port}/ready")).send().await.map(|r| r.status().as_u16()).ok() };
    let command = |args: &[&str]| {
        Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SWITCHBOARD_DATA_DIR", &dir)
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        &["migrate"][..],
        &["create-admin", "--email", "second@example.com", "--password", "second-secret-1"][..],
        &["create-platform-app", "--name", "crm"][..],
    ] {
        let out = command(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ready().await, Some(200), "the server still reaches its database after {args:?}");
    }
    let profile = http.get(format!("http://127.0.0.1:{port}/api/v1/profile")).header("api_access_token", &token).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    // What the commands wrote is in the server's database.
    let signin = http
        .post(format!("http://127.0.0.1:{port}/auth/sign_in"))
        .json(&json!({ "email": "second@example.com", "password": "second-secret-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), 200);

    // A second server in the same directory refuses in one line naming the first one's pid.
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SWITCHBOARD_DATA_DIR", &dir)
        .env("PORT", free_port().to_string())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(&format!("pid {}", child.id())), "{stderr}");
    assert_eq!(ready().await, Some(200), "the first server is untouched");
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `cargo run --release` as root in a clone under a private home (mode 0700): the postgres user
/// cannot reach ./var, so the cluster is kept where it can, and the server says where.
#[tokio::test]
async fn zero_config_works_under_a_private_home() {
    use std::os::unix::fs::PermissionsExt;
    let home = scratch_dir("home");
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = home.join("clone").join("var");
    std::fs::create_dir_all(&data).unwrap();
    let port = free_port();
    let (child, printed) = start(&data, port);
    let root = nix::unistd::Uid::effective().is_root();
    let placed = printed.lines().find(|l| l.contains("private PostgreSQL cluster is kept in"));
    if root {
        let line = placed.unwrap_or_else(|| panic!("it says where the cluster is: {printed}"));
        assert!(line.contains("/var/lib/switchboard/"), "{line}");
    } else {
        assert!(placed.is_none(), "not root: the cluster stays in the data directory: {printed}");
    }
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/ready")).await.unwrap();
    assert_eq!(ready.status(), 200);
    stop(child);
    // A restart finds the same cluster: no second administrator.
    let (child, printed) = start(&data, free_port());
    assert!(!printed.contains("Created the first administrator"), "{printed}");
    stop(child);
    if root {
        let moved = printed.lines().find_map(|l| l.split("kept in ").nth(1)).and_then(|rest| rest.split(" (").next()).unwrap().to_string();
        let _ = std::fs::remove_dir_all(moved);
    }
    let _ = std::fs::remove_dir_all(&home);
}
