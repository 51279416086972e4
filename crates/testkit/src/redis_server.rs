//! A private redis-server per test that needs one, so tests neither share keys nor depend on a
//! server someone else started.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

pub struct TestRedis {
    port: u16,
    pid: Pid,
    exited: std::sync::mpsc::Receiver<()>,
}

impl TestRedis {
    pub async fn start() -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Self::start_on(port).await
    }

    /// Starts on a given port: a restart keeps the address clients were configured with.
    pub async fn start_on(port: u16) -> anyhow::Result<Self> {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (pid, exited) =
            switchboard_cluster::spawn_supervised(cmd).context("starting redis-server (install the redis-server package)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if exited.try_recv().is_ok() {
                bail!("redis-server exited at startup (port {port} taken?)");
            }
            if Instant::now() > deadline {
                bail!("redis-server did not start within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self { port, pid, exited })
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server and waits until it is gone.
    pub fn stop(&self) {
        let _ = kill(self.pid, Signal::SIGKILL);
        let _ = self.exited.recv_timeout(Duration::from_secs(10));
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = kill(self.pid, Signal::SIGKILL);
    }
}
