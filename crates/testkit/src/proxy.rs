//! A TCP relay in front of PostgreSQL that can freeze: while frozen it keeps every connection
//! open and accepts new ones, but passes no byte either way, as a PostgreSQL process stopped
//! with SIGSTOP looks to its clients. The shared test cluster itself keeps serving other tests.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct FreezableProxy {
    pub port: u16,
    frozen: Arc<watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl FreezableProxy {
    /// Relays a free loopback port to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let frozen = Arc::new(watch::channel(false).0);
        let gate = frozen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else { continue };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(relay(cr, sw, gate.subscribe()));
                tokio::spawn(relay(sr, cw, gate.subscribe()));
            }
        });
        Ok(Self { port, frozen, task })
    }

    /// `database_url` with its host and port replaced by this relay's.
    pub fn url_for(&self, database_url: &str) -> String {
        let (scheme_user, rest) = database_url.split_once('@').unwrap_or(("postgres://", database_url));
        let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
        format!("{scheme_user}@127.0.0.1:{}{path}", self.port)
    }

    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, mut frozen: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while *frozen.borrow_and_update() {
            if frozen.changed().await.is_err() {
                return;
            }
        }
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            _ = frozen.changed() => continue,
        };
        // Bytes read just before a freeze are held until the thaw, like everything else.
        while *frozen.borrow_and_update() {
            if frozen.changed().await.is_err() {
                return;
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
