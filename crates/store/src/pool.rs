//! The connection pool. Queries take `&mut AsyncPgConnection`, so the same function runs on a
//! pooled connection or inside a caller's transaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::AsyncPgConnection;

use crate::error::{StoreError, StoreResult};

pub type Conn = Object<AsyncPgConnection>;

/// The longest a pooled connection's statement may run (README, "Security").
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a request may wait for a connection, or for a new one to be made.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct DbPool {
    pool: Pool<AsyncPgConnection>,
    queries: Arc<AtomicU64>,
    url: Arc<str>,
}

/// Counts statements sent through the pool's connections: one relaxed increment per query, so it
/// can stay on in production, and lets tests prove a list costs a fixed number of queries.
fn counter(queries: Arc<AtomicU64>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            queries.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl DbPool {
    /// Builds the pool lazily: no connection is opened until one is asked for, so the app can
    /// start (and answer `/health`) while the database is still coming up.
    pub fn new(database_url: &str, max_size: usize) -> anyhow::Result<Self> {
        let mut config = ManagerConfig::default();
        // A broken connection shows itself on first use; pinging on every checkout costs a round trip.
        config.recycling_method = RecyclingMethod::Fast;
        let queries = Arc::new(AtomicU64::new(0));
        let for_setup = queries.clone();
        config.custom_setup = Box::new(move |url| {
            let queries = for_setup.clone();
            let url = url.to_string();
            async move {
                let mut conn = AsyncPgConnection::establish(&url).await?;
                // A statement that cannot finish in time (a stuck lock, an overloaded server) is
                // cut off, so a request answers 503 instead of holding its caller.
                conn.batch_execute(&format!("SET statement_timeout = {}", STATEMENT_TIMEOUT.as_millis()))
                    .await
                    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                conn.set_instrumentation(counter(queries));
                Ok(conn)
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()?;
        Ok(Self { pool, queries, url: database_url.into() })
    }

    /// A connection of its own, outside the pool: LISTEN holds one for as long as it listens.
    pub async fn dedicated(&self) -> StoreResult<AsyncPgConnection> {
        Ok(AsyncPgConnection::establish(&self.url).await?)
    }

    pub async fn get(&self) -> StoreResult<Conn> {
        self.pool.get().await.map_err(StoreError::from)
    }

    /// Statements run through this pool so far.
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// True when the database answers a query now.
    pub async fn ping(&self) -> bool {
        use diesel_async::RunQueryDsl;
        let Ok(mut conn) = self.get().await else { return false };
        diesel::sql_query("SELECT 1").execute(&mut conn).await.is_ok()
    }
}

/// Opens a transaction that the caller ends with `commit` or `rollback`, for a change that
/// runs code of its own between statements (rendering its events, say). Store functions that
/// open transactions nest inside it as savepoints. A pooled connection dropped with its
/// transaction still open is discarded by the pool, never reused, and PostgreSQL rolls back.
pub async fn begin(conn: &mut AsyncPgConnection) -> StoreResult<()> {
    use diesel_async::TransactionManager;
    Ok(<AsyncPgConnection as AsyncConnection>::TransactionManager::begin_transaction(conn).await?)
}

/// Commits the transaction `begin` opened.
pub async fn commit(conn: &mut AsyncPgConnection) -> StoreResult<()> {
    use diesel_async::TransactionManager;
    Ok(<AsyncPgConnection as AsyncConnection>::TransactionManager::commit_transaction(conn).await?)
}

/// Rolls back the transaction `begin` opened.
pub async fn rollback(conn: &mut AsyncPgConnection) -> StoreResult<()> {
    use diesel_async::TransactionManager;
    Ok(<AsyncPgConnection as AsyncConnection>::TransactionManager::rollback_transaction(conn).await?)
}
