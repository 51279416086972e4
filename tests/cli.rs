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

    stop(child);
    // Even at debug level the logs carry requests and their ids, never secrets.
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    assert!(log.contains("request_id"), "requests are logged with their id");
    for secret in [password.as_str(), token.as_str(), "typo-secret"] {
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
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    for sub in ["serve", "migrate", "create-admin", "create-platform-app"] {
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
