//! Counting failed sign-ins. With Redis the counts are shared by every app process, so running
//! more processes does not multiply the attempts an attacker gets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

pub struct Throttle {
    redis: Option<ConnectionManager>,
    /// Used alone without Redis, and as a fallback while Redis is unreachable.
    local: Mutex<HashMap<String, (u32, Instant)>>,
    window: Duration,
}

impl Throttle {
    pub fn new(redis: Option<ConnectionManager>, window: Duration) -> Self {
        Self { redis, local: Mutex::new(HashMap::new()), window }
    }

    /// Failures counted for `key` in the current window.
    pub async fn count(&self, key: &str) -> u32 {
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            match redis::cmd("GET").arg(key).query_async::<Option<u32>>(&mut conn).await {
                Ok(n) => return n.unwrap_or(0),
                Err(e) => tracing::warn!(error = %e, "redis unavailable for throttle; counting locally"),
            }
        }
        self.local_count(key, false)
    }

    pub async fn record_failure(&self, key: &str) {
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            // INCR and EXPIRE NX in one transaction: the window starts at the first failure.
            let res = redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(key)
                .ignore()
                .cmd("EXPIRE")
                .arg(key)
                .arg(self.window.as_secs().max(1))
                .arg("NX")
                .ignore()
                .query_async::<()>(&mut conn)
                .await;
            match res {
                Ok(()) => return,
                Err(e) => tracing::warn!(error = %e, "redis unavailable for throttle; counting locally"),
            }
        }
        self.local_count(key, true);
    }

    /// Counts one use of `key`; false once `limit` uses were already counted in the window.
    pub async fn take(&self, key: &str, limit: u32) -> bool {
        if self.count(key).await >= limit {
            return false;
        }
        self.record_failure(key).await;
        true
    }

    pub async fn clear(&self, key: &str) {
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            let _ = redis::cmd("DEL").arg(key).query_async::<()>(&mut conn).await;
        }
        if let Ok(mut map) = self.local.lock() {
            map.remove(key);
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn local_count(&self, key: &str, increment: bool) -> u32 {
        let Ok(mut map) = self.local.lock() else { return 0 };
        let now = Instant::now();
        map.retain(|_, (_, start)| now.duration_since(*start) < self.window);
        if increment {
            let entry = map.entry(key.to_string()).or_insert((0, now));
            entry.0 += 1;
            entry.0
        } else {
            map.get(key).map(|(n, _)| *n).unwrap_or(0)
        }
    }
}
