//! Reporting events, the derivation's memory and inputs, and the roll-ups reports read.
//! The `reports` reader's cursor is `READER` in `event_readers`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Int2, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::reports::{Dim, Range, Sum};

use crate::schema::reporting_events;
use crate::StoreResult;

/// The name of the reports reader's cursor in `event_readers`.
pub const READER: &str = "reports";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = reporting_events)]
pub struct ReportingEvent {
    pub id: i64,
    pub account_id: i64,
    pub seq: i64,
    pub name: String,
    pub value: f64,
    pub value_in_business_hours: f64,
    pub event_start_time: DateTime<Utc>,
    pub event_end_time: DateTime<Utc>,
    pub conversation_id: Option<i64>,
    pub inbox_id: Option<i64>,
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reporting_events)]
pub struct NewReportingEvent {
    pub account_id: i64,
    pub seq: i64,
    pub name: &'static str,
    pub value: f64,
    pub value_in_business_hours: f64,
    pub event_start_time: DateTime<Utc>,
    pub event_end_time: DateTime<Utc>,
    pub conversation_id: Option<i64>,
    pub inbox_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// A derived event already there (a replay) is left as it is.
pub async fn insert_events(conn: &mut AsyncPgConnection, rows: &[NewReportingEvent]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(reporting_events::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

/// Filters of the account's reporting events.
#[derive(Debug, Default)]
pub struct EventFilter<'a> {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub inbox_id: Option<i64>,
    pub user_id: Option<i64>,
    pub name: Option<&'a str>,
}

/// One page of the account's reporting events, newest first, and how many match.
pub async fn page(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    f: &EventFilter<'_>,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<ReportingEvent>, i64)> {
    let filtered = || {
        let mut q = reporting_events::table.filter(reporting_events::account_id.eq(account_id)).into_boxed();
        if let Some(t) = f.since {
            q = q.filter(reporting_events::event_end_time.ge(t));
        }
        if let Some(t) = f.until {
            q = q.filter(reporting_events::event_end_time.lt(t));
        }
        if let Some(i) = f.inbox_id {
            q = q.filter(reporting_events::inbox_id.eq(i));
        }
        if let Some(u) = f.user_id {
            q = q.filter(reporting_events::user_id.eq(u));
        }
        if let Some(n) = f.name {
            q = q.filter(reporting_events::name.eq(n.to_string()));
        }
        q
    };
    let count: i64 = filtered().count().get_result(conn).await?;
    let rows = filtered()
        .order((reporting_events::event_end_time.desc(), reporting_events::id.desc()))
        .limit(per_page)
        .offset((page - 1).max(0) * per_page)
        .select(ReportingEvent::as_select())
        .load(conn)
        .await?;
    Ok((rows, count))
}

/// A conversation's reporting events, oldest first.
pub async fn of_conversation(conn: &mut AsyncPgConnection, account_id: i64, display_id: i64) -> StoreResult<Vec<ReportingEvent>> {
    Ok(reporting_events::table
        .filter(reporting_events::account_id.eq(account_id))
        .filter(reporting_events::conversation_id.eq(display_id))
        .order((reporting_events::event_end_time, reporting_events::id))
        .select(ReportingEvent::as_select())
        .load(conn)
        .await?)
}

/// Every reporting event of the account in derivation order (for comparing rebuilds).
pub async fn all(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<ReportingEvent>> {
    Ok(reporting_events::table
        .filter(reporting_events::account_id.eq(account_id))
        .order((reporting_events::seq, reporting_events::name))
        .select(ReportingEvent::as_select())
        .load(conn)
        .await?)
}

// The derivation's inputs (the log events it reads, kept slim so history can be rebuilt after
// the log itself is pruned) and its memory of each conversation.

#[derive(QueryableByName)]
pub struct Input {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Timestamptz)]
    pub logged_at: DateTime<Utc>,
    #[diesel(sql_type = Jsonb)]
    pub data: Value,
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    logged_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    data: Option<Value>,
}

/// The log events of the derivation after `seq`, in one statement: up to `limit` log events
/// are read, those the derivation reads are slimmed to what it reads (the SQL twin of
/// `domain::reports::slim`; a test holds them equal) and kept in `report_inputs`, one row for
/// the batch. Returns
/// the kept inputs in order, and the last seq read (None when the log has nothing new). The
/// whole payloads never leave the database.
pub async fn take_inputs(conn: &mut AsyncPgConnection, account_id: i64, seq: i64, limit: i64) -> StoreResult<(Vec<Input>, Option<i64>)> {
    let rows: Vec<Taken> = crate::prepared::prepared(
        "WITH batch AS ( \
           SELECT seq, event, created_at, data FROM realtime_events WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3), \
         slim AS ( \
           SELECT seq, event AS name, created_at AS logged_at, \
             CASE WHEN event = 'message.created' THEN jsonb_strip_nulls(jsonb_build_object( \
               'conversation_id', data->'conversation_id', 'inbox_id', data->'inbox_id', 'message_type', data->'message_type', \
               'private', data->'private', 'sender_type', data->'sender_type', 'sender_id', data->'sender_id', \
               'created_at', data->'created_at')) \
               || jsonb_build_object('content_attributes', jsonb_build_object('automation_rule_id', \
                    coalesce(data->'content_attributes'->'automation_rule_id', 'null'::jsonb))) \
             ELSE jsonb_strip_nulls(jsonb_build_object( \
               'id', data->'id', 'inbox_id', data->'inbox_id', 'status', data->'status', 'labels', data->'labels', \
               'created_at', data->'created_at', 'updated_at', data->'updated_at')) \
               || jsonb_build_object('meta', jsonb_build_object( \
                    'assignee', CASE WHEN data->'meta'->'assignee'->'id' IS NULL THEN 'null'::jsonb \
                                     ELSE jsonb_build_object('id', data->'meta'->'assignee'->'id') END, \
                    'team', CASE WHEN data->'meta'->'team'->'id' IS NULL THEN 'null'::jsonb \
                                 ELSE jsonb_build_object('id', data->'meta'->'team'->'id') END)) \
             END AS data \
           FROM batch WHERE event IN ('message.created', 'conversation.created', 'conversation.updated', \
             'conversation.status_changed', 'assignee.changed', 'team.changed', 'conversation.bot_handoff')), \
         kept AS ( \
           INSERT INTO report_inputs (account_id, first_seq, last_seq, inputs) \
           SELECT $1, min(seq), max(seq), jsonb_agg(jsonb_build_array(seq, name, logged_at, data) ORDER BY seq) FROM slim \
           HAVING count(*) > 0 ON CONFLICT DO NOTHING) \
         SELECT b.seq, s.name, s.logged_at, s.data FROM batch b LEFT JOIN slim s ON s.seq = b.seq ORDER BY b.seq",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(seq)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    let last = rows.last().map(|r| r.seq);
    let inputs = rows
        .into_iter()
        .filter_map(|r| match (r.name, r.logged_at, r.data) {
            (Some(name), Some(logged_at), Some(data)) => Some(Input { seq: r.seq, name, logged_at, data }),
            _ => None,
        })
        .collect();
    Ok((inputs, last))
}

/// Kept inputs after `seq`, oldest first: those of the next `batches` kept batches.
pub async fn inputs_after(conn: &mut AsyncPgConnection, account_id: i64, seq: i64, batches: i64) -> StoreResult<Vec<Input>> {
    Ok(crate::prepared::prepared(
        "SELECT (e->>0)::int8 AS seq, e->>1 AS name, (e->>2)::timestamptz AS logged_at, e->3 AS data \
         FROM (SELECT inputs FROM report_inputs WHERE account_id = $1 AND last_seq > $2 ORDER BY last_seq LIMIT $3) r, \
              jsonb_array_elements(r.inputs) e \
         WHERE (e->>0)::int8 > $2 ORDER BY 1",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(seq)
    .bind::<BigInt, _>(batches)
    .load(conn)
    .await?)
}

#[derive(QueryableByName)]
struct TrackedRow {
    #[diesel(sql_type = BigInt)]
    display_id: i64,
    #[diesel(sql_type = Jsonb)]
    state: Value,
}

/// The remembered state of these conversations.
pub async fn tracked(conn: &mut AsyncPgConnection, account_id: i64, display_ids: &[i64]) -> StoreResult<Vec<(i64, Value)>> {
    if display_ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<TrackedRow> =
        crate::prepared::prepared("SELECT display_id, state FROM report_conversations WHERE account_id = $1 AND display_id = ANY($2)")
            .bind::<BigInt, _>(account_id)
            .bind::<Array<BigInt>, _>(display_ids)
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.display_id, r.state)).collect())
}

pub async fn save_tracked(conn: &mut AsyncPgConnection, account_id: i64, rows: &[(i64, Value)]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let states: Vec<&Value> = rows.iter().map(|r| &r.1).collect();
    crate::prepared::prepared(
        "INSERT INTO report_conversations (account_id, display_id, state) SELECT $1, * FROM unnest($2::int8[], $3::jsonb[]) \
         ON CONFLICT (account_id, display_id) DO UPDATE SET state = EXCLUDED.state",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Jsonb>, _>(&states)
    .execute(conn)
    .await?;
    Ok(())
}

/// One roll-up row's increment (already summed over a batch by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct Increment {
    pub dim: Dim,
    pub dim_id: i64,
    pub metric: i16,
    pub inbox_id: i64,
    pub slot: DateTime<Utc>,
    pub sum: Sum,
}

/// Adds the increments to the quarter-hour and the day roll-ups, one statement each.
pub async fn roll_up(conn: &mut AsyncPgConnection, account_id: i64, rows: &[Increment]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let dims: Vec<i16> = rows.iter().map(|r| r.dim.code()).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.dim_id).collect();
    let metrics: Vec<i16> = rows.iter().map(|r| r.metric).collect();
    let inboxes: Vec<i64> = rows.iter().map(|r| r.inbox_id).collect();
    let slots: Vec<DateTime<Utc>> = rows.iter().map(|r| r.slot).collect();
    let counts: Vec<i64> = rows.iter().map(|r| r.sum.count).collect();
    let totals: Vec<f64> = rows.iter().map(|r| r.sum.total).collect();
    let bh: Vec<f64> = rows.iter().map(|r| r.sum.total_bh).collect();
    // Rows go in key order, so two writers of one account (a rebuild and the reader) cannot
    // deadlock; the day rows are the same increments summed per UTC day.
    crate::prepared::prepared(
        "WITH r AS (SELECT * FROM unnest($2::int2[], $3::int8[], $4::int2[], $5::int8[], $6::timestamptz[], $7::int8[], $8::float8[], $9::float8[]) \
                    AS r(dim, dim_id, metric, inbox_id, bucket, count, total, total_bh)), \
         s AS (INSERT INTO report_slots (account_id, dim, dim_id, metric, inbox_id, bucket, count, total, total_bh) \
               SELECT $1, * FROM r ORDER BY 1, 2, 3, 4, 5 \
               ON CONFLICT (account_id, dim, dim_id, metric, inbox_id, bucket) DO UPDATE SET \
                 count = report_slots.count + EXCLUDED.count, total = report_slots.total + EXCLUDED.total, \
                 total_bh = report_slots.total_bh + EXCLUDED.total_bh) \
         INSERT INTO report_days (account_id, dim, dim_id, metric, inbox_id, bucket, count, total, total_bh) \
         SELECT $1, dim, dim_id, metric, inbox_id, date_trunc('day', bucket, 'UTC'), sum(count), sum(total), sum(total_bh) \
         FROM r GROUP BY 2, 3, 4, 5, 6 ORDER BY 2, 3, 4, 5, 6 \
         ON CONFLICT (account_id, dim, dim_id, metric, inbox_id, bucket) DO UPDATE SET \
           count = report_days.count + EXCLUDED.count, total = report_days.total + EXCLUDED.total, \
           total_bh = report_days.total_bh + EXCLUDED.total_bh",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Array<Int2>, _>(&dims)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Int2>, _>(&metrics)
    .bind::<Array<BigInt>, _>(&inboxes)
    .bind::<Array<Timestamptz>, _>(&slots)
    .bind::<Array<BigInt>, _>(&counts)
    .bind::<Array<Double>, _>(&totals)
    .bind::<Array<Double>, _>(&bh)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets everything derived for the account (before a rebuild).
pub async fn forget(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<()> {
    for sql in [
        "DELETE FROM reporting_events WHERE account_id = $1",
        "DELETE FROM report_conversations WHERE account_id = $1",
        "DELETE FROM report_slots WHERE account_id = $1",
        "DELETE FROM report_days WHERE account_id = $1",
    ] {
        diesel::sql_query(sql).bind::<BigInt, _>(account_id).execute(conn).await?;
    }
    Ok(())
}

/// Which roll-up rows a report reads: a dimension, optionally some of its ids, and either the
/// rows over every inbox (`inboxes` None) or those of some inboxes (an agent's).
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub dim: Dim,
    pub ids: Option<&'a [i64]>,
    pub inboxes: Option<&'a [i64]>,
}

impl Scope<'_> {
    /// Account rows exist only over every inbox; an agent's account view is their inboxes' rows.
    fn resolved(&self) -> (Dim, Option<Vec<i64>>, Option<Vec<i64>>) {
        match (self.dim, self.inboxes) {
            (Dim::Account, Some(inboxes)) => (Dim::Inbox, Some(inboxes.to_vec()), Some(inboxes.to_vec())),
            (Dim::Account, None) => (Dim::Account, Some(vec![0]), None),
            (Dim::Inbox, inboxes) => {
                let ids = match (self.ids, inboxes) {
                    (Some(ids), Some(mine)) => ids.iter().copied().filter(|i| mine.contains(i)).collect(),
                    (Some(ids), None) => ids.to_vec(),
                    (None, Some(mine)) => mine.to_vec(),
                    (None, None) => return (Dim::Inbox, None, None),
                };
                (Dim::Inbox, Some(ids.clone()), Some(ids))
            }
            (dim, inboxes) => (dim, self.ids.map(<[i64]>::to_vec), Some(inboxes.map(<[i64]>::to_vec).unwrap_or_else(|| vec![0]))),
        }
    }
}

#[derive(QueryableByName)]
struct SumRow {
    #[diesel(sql_type = Int2)]
    metric: i16,
    #[diesel(sql_type = BigInt)]
    dim_id: i64,
    #[diesel(sql_type = BigInt)]
    inbox_id: i64,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = Double)]
    total: f64,
    #[diesel(sql_type = Double)]
    total_bh: f64,
}

/// Sums of these metrics over the range, per id of the scope's dimension and inbox row (0 for
/// rows over every inbox): whole UTC days from the day roll-ups, the rest from the quarter-hours.
pub async fn sums(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    scope: &Scope<'_>,
    metrics: &[i16],
    range: &Range,
) -> StoreResult<Vec<(i16, i64, i64, Sum)>> {
    let (dim, ids, inboxes) = scope.resolved();
    let (from, to) = range.whole_days();
    // Planned with its values each time (not kept prepared): a generic plan cannot use which
    // of the optional filters are given, and would read every object's rows.
    let rows: Vec<SumRow> = diesel::sql_query(
        "SELECT metric, dim_id, inbox_id, sum(count)::int8 AS count, sum(total) AS total, sum(total_bh) AS total_bh FROM ( \
           SELECT metric, dim_id, inbox_id, count, total, total_bh FROM report_days \
           WHERE account_id = $1 AND dim = $2 AND metric = ANY($3) AND bucket >= $6 AND bucket < $7 \
             AND ($4::int8[] IS NULL OR dim_id = ANY($4)) AND ($5::int8[] IS NULL OR inbox_id = ANY($5)) \
           UNION ALL \
           SELECT metric, dim_id, inbox_id, count, total, total_bh FROM report_slots \
           WHERE account_id = $1 AND dim = $2 AND metric = ANY($3) \
             AND ((bucket >= $8 AND bucket < $6) OR (bucket >= $7 AND bucket < $9)) \
             AND ($4::int8[] IS NULL OR dim_id = ANY($4)) AND ($5::int8[] IS NULL OR inbox_id = ANY($5)) \
         ) x GROUP BY metric, dim_id, inbox_id",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Int2, _>(dim.code())
    .bind::<Array<Int2>, _>(metrics)
    .bind::<Nullable<Array<BigInt>>, _>(ids)
    .bind::<Nullable<Array<BigInt>>, _>(inboxes)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Timestamptz, _>(range.since)
    .bind::<Timestamptz, _>(range.until)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.metric, r.dim_id, r.inbox_id, Sum { count: r.count, total: r.total, total_bh: r.total_bh })).collect())
}

#[derive(QueryableByName)]
struct PeriodRow {
    #[diesel(sql_type = Date)]
    period: NaiveDate,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = Double)]
    total: f64,
    #[diesel(sql_type = Double)]
    total_bh: f64,
}

/// One metric's sums per local period (`unit`: day, week, month or year) in a fixed offset,
/// from the quarter-hours: a period's local start date and its sum, periods with nothing left out.
pub async fn series(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    scope: &Scope<'_>,
    metric: i16,
    range: &Range,
    offset_seconds: i32,
    unit: &'static str,
) -> StoreResult<Vec<(NaiveDate, Sum)>> {
    let (dim, ids, inboxes) = scope.resolved();
    // Planned with its values, as `sums`.
    let rows: Vec<PeriodRow> = diesel::sql_query(
        "SELECT date_trunc($8, (bucket AT TIME ZONE 'UTC') + make_interval(secs => $7))::date AS period, \
                sum(count)::int8 AS count, sum(total) AS total, sum(total_bh) AS total_bh \
         FROM report_slots \
         WHERE account_id = $1 AND dim = $2 AND metric = $3 AND bucket >= $5 AND bucket < $6 \
           AND ($4::int8[] IS NULL OR dim_id = ANY($4)) AND ($9::int8[] IS NULL OR inbox_id = ANY($9)) \
         GROUP BY 1 ORDER BY 1",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Int2, _>(dim.code())
    .bind::<Int2, _>(metric)
    .bind::<Nullable<Array<BigInt>>, _>(ids)
    .bind::<Timestamptz, _>(range.since)
    .bind::<Timestamptz, _>(range.until)
    .bind::<Double, _>(f64::from(offset_seconds))
    .bind::<Text, _>(unit)
    .bind::<Nullable<Array<BigInt>>, _>(inboxes)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.period, Sum { count: r.count, total: r.total, total_bh: r.total_bh })).collect())
}

// Live figures, from the inbox itself (small, indexed counts, as the reference's).

#[derive(QueryableByName)]
pub struct LiveCounts {
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub unattended: i64,
    #[diesel(sql_type = BigInt)]
    pub unassigned: i64,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
}

/// Open, unattended (open and never answered, or waiting for a reply), unassigned (open) and
/// pending conversations, in some inboxes (None: all).
pub async fn live_counts(conn: &mut AsyncPgConnection, account_id: i64, inboxes: Option<&[i64]>) -> StoreResult<LiveCounts> {
    Ok(crate::prepared::prepared(
        "SELECT count(*) FILTER (WHERE status = 'open')::int8 AS open, \
                count(*) FILTER (WHERE status = 'open' AND (first_reply_created_at IS NULL OR waiting_since IS NOT NULL))::int8 AS unattended, \
                count(*) FILTER (WHERE status = 'open' AND assignee_id IS NULL)::int8 AS unassigned, \
                count(*) FILTER (WHERE status = 'pending')::int8 AS pending \
         FROM conversations WHERE account_id = $1 AND status IN ('open', 'pending') AND ($2::int8[] IS NULL OR inbox_id = ANY($2))",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Nullable<Array<BigInt>>, _>(inboxes)
    .get_result(conn)
    .await?)
}

#[derive(QueryableByName)]
pub struct AgentLive {
    #[diesel(sql_type = BigInt)]
    pub assignee_id: i64,
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub unattended: i64,
}

/// Open and unattended conversations per assignee, in some inboxes (None: all).
pub async fn live_by_agent(conn: &mut AsyncPgConnection, account_id: i64, inboxes: Option<&[i64]>) -> StoreResult<Vec<AgentLive>> {
    Ok(crate::prepared::prepared(
        "SELECT assignee_id, count(*)::int8 AS open, \
                count(*) FILTER (WHERE first_reply_created_at IS NULL OR waiting_since IS NOT NULL)::int8 AS unattended \
         FROM conversations WHERE account_id = $1 AND status = 'open' AND assignee_id IS NOT NULL \
           AND ($2::int8[] IS NULL OR inbox_id = ANY($2)) GROUP BY assignee_id",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Nullable<Array<BigInt>>, _>(inboxes)
    .load(conn)
    .await?)
}
