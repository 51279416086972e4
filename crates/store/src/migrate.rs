//! The embedded SQL migrations, applied on start and by `switchboard migrate`.

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// SQL from the top-level `migrations/` directory, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration; returns how many ran.
pub async fn run_pending(database_url: &str) -> anyhow::Result<usize> {
    let url = database_url.to_string();
    // diesel's migration code is synchronous: run it on the blocking pool, which also works from
    // single-threaded test runtimes.
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        conn.run_pending_migrations(MIGRATIONS).map(|v| v.len()).map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    })
    .await?
}
