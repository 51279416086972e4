//! The per-account event log: the outbox a change writes its events to in its own transaction,
//! their numbering into the log (`seq`), replay and retention.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::schema::realtime_events;
use crate::StoreResult;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = realtime_events)]
pub struct StoredEvent {
    pub account_id: i64,
    pub seq: i64,
    pub event: String,
    pub data: Value,
    pub audience: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

/// Numbers and keeps several events of one account in one statement (one counter update, one
/// commit), in the order given; returns their seqs. Writers that batch their events hold the
/// account's counter row once per batch instead of once per event.
pub async fn append_many(conn: &mut AsyncPgConnection, account_id: i64, events: &[(&str, &Value, &Value)]) -> StoreResult<Vec<i64>> {
    let n = events.len() as i64;
    if n == 0 {
        return Ok(vec![]);
    }
    let names: Vec<&str> = events.iter().map(|e| e.0).collect();
    let data: Vec<&Value> = events.iter().map(|e| e.1).collect();
    let audiences: Vec<&Value> = events.iter().map(|e| e.2).collect();
    let row: Last = crate::prepared::prepared(
        "WITH c AS (INSERT INTO event_counters (account_id, last_seq) VALUES ($1, $2) \
           ON CONFLICT (account_id) DO UPDATE SET last_seq = event_counters.last_seq + $2 RETURNING last_seq), \
         i AS (INSERT INTO realtime_events (account_id, seq, event, data, audience) \
           SELECT $1, c.last_seq - $2 + e.ord, e.event, e.data, e.audience \
           FROM c, unnest($3::text[], $4::jsonb[], $5::jsonb[]) WITH ORDINALITY AS e(event, data, audience, ord)) \
         SELECT last_seq FROM c",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(n)
    .bind::<diesel::sql_types::Array<Text>, _>(&names)
    .bind::<diesel::sql_types::Array<Jsonb>, _>(&data)
    .bind::<diesel::sql_types::Array<Jsonb>, _>(&audiences)
    .get_result(conn)
    .await?;
    Ok((row.last_seq - n + 1..=row.last_seq).collect())
}

/// Writes a change's events to the outbox, in the caller's transaction: one statement for any
/// number. Rows are `(account_id, event, data, audience)`.
pub async fn stage(conn: &mut AsyncPgConnection, rows: &[(i64, &str, &Value, &Value)]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let accounts: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let data: Vec<&Value> = rows.iter().map(|r| r.2).collect();
    let audiences: Vec<&Value> = rows.iter().map(|r| r.3).collect();
    crate::prepared::prepared(
        "INSERT INTO event_outbox (account_id, event, data, audience) \
         SELECT * FROM unnest($1::int8[], $2::text[], $3::jsonb[], $4::jsonb[])",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(&accounts)
    .bind::<diesel::sql_types::Array<Text>, _>(&names)
    .bind::<diesel::sql_types::Array<Jsonb>, _>(&data)
    .bind::<diesel::sql_types::Array<Jsonb>, _>(&audiences)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves up to `limit` committed outbox events into the log, numbering each in its account's
/// sequence, in one statement (so an event is either still in the outbox or in the log, never
/// both or neither); returns them by account and seq. Rows another relay is moving are skipped,
/// so relays on several nodes share the work. Counter rows are taken in account order, so two
/// relays cannot deadlock.
pub async fn number_staged(conn: &mut AsyncPgConnection, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    Ok(crate::prepared::prepared(
        "WITH taken AS ( \
           DELETE FROM event_outbox WHERE id IN ( \
             SELECT id FROM event_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
           RETURNING id, account_id, event, data, audience), \
         numbered AS ( \
           SELECT t.*, row_number() OVER (PARTITION BY t.account_id ORDER BY t.id) AS ord, \
                  count(*) OVER (PARTITION BY t.account_id) AS n \
           FROM taken t), \
         c AS ( \
           INSERT INTO event_counters (account_id, last_seq) \
           SELECT account_id, count(*) FROM taken GROUP BY account_id ORDER BY account_id \
           ON CONFLICT (account_id) DO UPDATE SET last_seq = event_counters.last_seq + EXCLUDED.last_seq \
           RETURNING account_id, last_seq), \
         i AS ( \
           INSERT INTO realtime_events (account_id, seq, event, data, audience) \
           SELECT nb.account_id, c.last_seq - nb.n + nb.ord, nb.event, nb.data, nb.audience \
           FROM numbered nb JOIN c ON c.account_id = nb.account_id \
           RETURNING account_id, seq, event, data, audience, created_at) \
         SELECT account_id, seq, event, data, audience, created_at FROM i ORDER BY account_id, seq",
    )
    .bind::<BigInt, _>(limit)
    .load::<StoredEvent>(conn)
    .await?)
}

/// Events still waiting in the outbox (none, once the relay has caught up).
pub async fn staged_count(conn: &mut AsyncPgConnection) -> StoreResult<i64> {
    use crate::schema::event_outbox;
    Ok(event_outbox::table.count().get_result(conn).await?)
}

/// Events after `since`, oldest first, within the retention window (at most `limit`).
pub async fn since(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    since: i64,
    window: std::time::Duration,
    limit: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let cutoff = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
    Ok(realtime_events::table
        .filter(realtime_events::account_id.eq(account_id))
        .filter(realtime_events::seq.gt(since))
        .filter(realtime_events::created_at.gt(cutoff))
        .order(realtime_events::seq)
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
        .await?)
}

/// The account's events after `seq`, oldest first, at most `limit`, whatever their age (for
/// readers of the log, whose unread events pruning keeps).
pub async fn after(conn: &mut AsyncPgConnection, account_id: i64, seq: i64, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    Ok(realtime_events::table
        .filter(realtime_events::account_id.eq(account_id))
        .filter(realtime_events::seq.gt(seq))
        .order(realtime_events::seq)
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
        .await?)
}

/// The oldest sequence number still kept for the account, and the newest issued.
pub async fn bounds(conn: &mut AsyncPgConnection, account_id: i64, window: std::time::Duration) -> StoreResult<(Option<i64>, i64)> {
    use crate::schema::event_counters;
    let cutoff = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
    let oldest: Option<i64> = realtime_events::table
        .filter(realtime_events::account_id.eq(account_id))
        .filter(realtime_events::created_at.gt(cutoff))
        .select(diesel::dsl::min(realtime_events::seq))
        .first(conn)
        .await?;
    let newest: Option<i64> = event_counters::table.find(account_id).select(event_counters::last_seq).first(conn).await.optional()?;
    Ok((oldest, newest.unwrap_or(0)))
}

/// Drops events older than the window, and beyond the newest `keep` of each account.
pub async fn prune(conn: &mut AsyncPgConnection, window: std::time::Duration, keep: i64) -> StoreResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
    // In chunks: each statement stays well inside the pool's statement timeout, however much
    // piled up (a busy hour, a long stop), and the sweep always makes progress.
    // Events a reader of the log (the webhook dispatcher) has not read yet are kept, however
    // old: that is what makes a reader lose nothing over a long stop.
    let old = "DELETE FROM realtime_events WHERE ctid = ANY(ARRAY( \
                 SELECT e.ctid FROM realtime_events e WHERE e.created_at <= $1 \
                 AND NOT EXISTS (SELECT 1 FROM event_readers r WHERE r.account_id = e.account_id AND r.seq < e.seq) \
                 ORDER BY e.created_at LIMIT $2))";
    let mut pruned = chunked(conn, || diesel::sql_query(old).into_boxed().bind::<diesel::sql_types::Timestamptz, _>(cutoff)).await?;
    let beyond = "DELETE FROM realtime_events WHERE ctid = ANY(ARRAY( \
                    SELECT e.ctid FROM realtime_events e JOIN event_counters c ON c.account_id = e.account_id \
                    WHERE e.seq <= c.last_seq - $1 \
                    AND NOT EXISTS (SELECT 1 FROM event_readers r WHERE r.account_id = e.account_id AND r.seq < e.seq) LIMIT $2))";
    pruned += chunked(conn, || diesel::sql_query(beyond).into_boxed().bind::<BigInt, _>(keep)).await?;
    Ok(pruned)
}

/// Runs a delete whose last parameter is a row limit until it deletes fewer than
/// `PRUNE_CHUNK`; returns the rows deleted.
async fn chunked(
    conn: &mut AsyncPgConnection,
    query: impl Fn() -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>,
) -> StoreResult<usize> {
    let mut deleted = 0;
    loop {
        let n = query().bind::<BigInt, _>(PRUNE_CHUNK).execute(conn).await?;
        deleted += n;
        if (n as i64) < PRUNE_CHUNK {
            return Ok(deleted);
        }
    }
}

/// Rows one pruning statement deletes at most.
const PRUNE_CHUNK: i64 = 20_000;

// Readers of the log (the webhook dispatcher, the CSAT reply reader): one cursor per account
// and reader in `event_readers`.

/// Starts a reader of the account's log at the account's newest event, unless it reads already:
/// a consumer hears of what happens after it exists.
pub async fn ensure_reader(conn: &mut AsyncPgConnection, account_id: i64, reader: &str) -> StoreResult<()> {
    diesel::sql_query(
        "INSERT INTO event_readers (account_id, reader, seq) \
         SELECT $1, $2, COALESCE((SELECT last_seq FROM event_counters WHERE account_id = $1), 0) \
         ON CONFLICT (account_id, reader) DO NOTHING",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Text, _>(reader)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct AccountRow {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
}

/// Accounts whose log has events this reader has not read.
pub async fn readers_behind(conn: &mut AsyncPgConnection, reader: &str, limit: i64) -> StoreResult<Vec<i64>> {
    let rows: Vec<AccountRow> = diesel::sql_query(
        "SELECT r.account_id FROM event_readers r JOIN event_counters c ON c.account_id = r.account_id \
         WHERE r.reader = $1 AND c.last_seq > r.seq ORDER BY r.account_id LIMIT $2",
    )
    .bind::<Text, _>(reader)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.account_id).collect())
}

#[derive(QueryableByName)]
struct SeqRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// Takes the reader's cursor of the account for this transaction, unless another process holds it.
pub async fn lock_reader(conn: &mut AsyncPgConnection, account_id: i64, reader: &str) -> StoreResult<Option<i64>> {
    let row: Option<SeqRow> =
        diesel::sql_query("SELECT seq FROM event_readers WHERE account_id = $1 AND reader = $2 FOR UPDATE SKIP LOCKED")
            .bind::<BigInt, _>(account_id)
            .bind::<Text, _>(reader)
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.map(|r| r.seq))
}

pub async fn advance_reader(conn: &mut AsyncPgConnection, account_id: i64, reader: &str, seq: i64) -> StoreResult<()> {
    diesel::sql_query("UPDATE event_readers SET seq = $3 WHERE account_id = $1 AND reader = $2")
        .bind::<BigInt, _>(account_id)
        .bind::<Text, _>(reader)
        .bind::<BigInt, _>(seq)
        .execute(conn)
        .await?;
    Ok(())
}
