//! Outgoing webhooks: endpoints (an account's, and API inboxes' callbacks), the log reader's
//! cursor, deliveries and their attempts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int4, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::jobs::{BackgroundJob, DeliverWebhook};
use crate::models::{Webhook, WebhookAttempt, WebhookDelivery};
use crate::schema::{webhook_attempts, webhook_deliveries, webhooks};
use crate::StoreResult;

/// The name of the webhook dispatcher's cursor in `event_readers`.
pub const READER: &str = "outbound";

pub struct NewWebhook<'a> {
    pub account_id: i64,
    pub name: Option<&'a str>,
    pub url: &'a str,
    pub subscriptions: &'a [String],
    pub secret: &'a str,
}

/// An account webhook, and the account's reader.
pub async fn create(conn: &mut AsyncPgConnection, w: &NewWebhook<'_>) -> StoreResult<Webhook> {
    crate::events::ensure_reader(conn, w.account_id, READER).await?;
    Ok(diesel::insert_into(webhooks::table)
        .values((
            webhooks::account_id.eq(w.account_id),
            webhooks::name.eq(w.name),
            webhooks::url.eq(w.url),
            webhooks::subscriptions.eq(w.subscriptions),
            webhooks::secret.eq(w.secret),
        ))
        .returning(Webhook::as_returning())
        .get_result(conn)
        .await?)
}

/// The account's webhooks (not its API inboxes' callbacks), oldest first.
pub async fn list(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<Webhook>> {
    Ok(webhooks::table
        .filter(webhooks::account_id.eq(account_id))
        .filter(webhooks::inbox_id.is_null())
        .filter(webhooks::automation_rule_id.is_null())
        .filter(webhooks::macro_id.is_null())
        .order(webhooks::id)
        .select(Webhook::as_select())
        .load(conn)
        .await?)
}

/// One endpoint of the account, either kind (an automation rule's are the rule's own).
pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<Webhook>> {
    Ok(webhooks::table
        .filter(webhooks::account_id.eq(account_id))
        .filter(webhooks::automation_rule_id.is_null())
        .filter(webhooks::macro_id.is_null())
        .filter(webhooks::id.eq(id))
        .select(Webhook::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// These inboxes' callback endpoints (not their bots'): one query for a page of inboxes.
pub async fn of_inboxes(conn: &mut AsyncPgConnection, inbox_ids: &[i64]) -> StoreResult<Vec<Webhook>> {
    if inbox_ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(webhooks::table
        .filter(webhooks::inbox_id.eq_any(inbox_ids))
        .filter(webhooks::agent_bot_id.is_null())
        .select(Webhook::as_select())
        .load(conn)
        .await?)
}

#[derive(Debug, Default)]
pub struct WebhookChanges {
    pub name: Option<Option<String>>,
    pub url: Option<String>,
    pub subscriptions: Option<Vec<String>>,
    /// `true` enables a disabled endpoint: its parked deliveries are queued again, in order.
    pub enabled: Option<bool>,
}

/// Updates an account webhook.
pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, id: i64, c: &WebhookChanges) -> StoreResult<Option<Webhook>> {
    let Some(current) = find(conn, account_id, id).await?.filter(|w| w.inbox_id.is_none()) else { return Ok(None) };
    let target = webhooks::table.find(current.id);
    if let Some(name) = &c.name {
        diesel::update(target).set(webhooks::name.eq(name)).execute(conn).await?;
    }
    if let Some(url) = &c.url {
        diesel::update(target).set(webhooks::url.eq(url)).execute(conn).await?;
    }
    if let Some(subscriptions) = &c.subscriptions {
        diesel::update(target).set(webhooks::subscriptions.eq(subscriptions)).execute(conn).await?;
    }
    match c.enabled {
        Some(true) if !current.enabled => enable(conn, current.id).await?,
        Some(false) if current.enabled => disable(conn, current.id, "disabled by an administrator").await?,
        _ => {}
    }
    Ok(diesel::update(target)
        .set(webhooks::updated_at.eq(diesel::dsl::now))
        .returning(Webhook::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Enables an endpoint and queues its parked deliveries (pending, with no job), oldest first.
pub async fn enable(conn: &mut AsyncPgConnection, webhook_id: i64) -> StoreResult<()> {
    diesel::update(webhooks::table.find(webhook_id))
        .set((
            webhooks::enabled.eq(true),
            webhooks::disabled_reason.eq(None::<String>),
            webhooks::disabled_at.eq(None::<DateTime<Utc>>),
            webhooks::failing_since.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    requeue_pending(conn, webhook_id, None).await
}

/// Queues a job for the endpoint's pending deliveries that have none (or only `delivery_id`).
async fn requeue_pending(conn: &mut AsyncPgConnection, webhook_id: i64, delivery_id: Option<i64>) -> StoreResult<()> {
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload) \
         SELECT $2, jsonb_build_object('delivery_id', d.id) FROM webhook_deliveries d \
         WHERE d.webhook_id = $1 AND d.status = 'pending' AND ($3::int8 IS NULL OR d.id = $3) \
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = $2 AND (j.payload ->> 'delivery_id')::bigint = d.id) \
         ORDER BY d.id",
    )
    .bind::<BigInt, _>(webhook_id)
    .bind::<Text, _>(DeliverWebhook::KIND)
    .bind::<Nullable<BigInt>, _>(delivery_id)
    .execute(conn)
    .await?;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(crate::jobs::CHANNEL)
        .bind::<Text, _>(DeliverWebhook::KIND)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stops deliveries to the endpoint, saying why; they wait, pending, for it to be enabled.
pub async fn disable(conn: &mut AsyncPgConnection, webhook_id: i64, reason: &str) -> StoreResult<()> {
    diesel::update(webhooks::table.find(webhook_id))
        .set((webhooks::enabled.eq(false), webhooks::disabled_reason.eq(reason), webhooks::disabled_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn rotate_secret(conn: &mut AsyncPgConnection, account_id: i64, id: i64, secret: &str) -> StoreResult<Option<Webhook>> {
    Ok(diesel::update(
        webhooks::table.filter(webhooks::account_id.eq(account_id)).filter(webhooks::id.eq(id)).filter(webhooks::inbox_id.is_null()),
    )
    .set((webhooks::secret.eq(secret), webhooks::updated_at.eq(diesel::dsl::now)))
    .returning(Webhook::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Deletes an account webhook and its delivery log.
pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    let n = diesel::delete(
        webhooks::table.filter(webhooks::account_id.eq(account_id)).filter(webhooks::id.eq(id)).filter(webhooks::inbox_id.is_null()),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Keeps an API inbox's callback endpoint in step with its `webhook_url` (None: it has none).
pub async fn sync_inbox_callback(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    inbox_id: i64,
    url: Option<&str>,
    secret: &str,
    subscriptions: &[String],
) -> StoreResult<()> {
    let Some(url) = url else {
        diesel::delete(webhooks::table.filter(webhooks::inbox_id.eq(inbox_id)).filter(webhooks::agent_bot_id.is_null()))
            .execute(conn)
            .await?;
        return Ok(());
    };
    crate::events::ensure_reader(conn, account_id, READER).await?;
    diesel::sql_query(
        "INSERT INTO webhooks (account_id, inbox_id, url, subscriptions, secret) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (inbox_id) WHERE inbox_id IS NOT NULL AND agent_bot_id IS NULL \
         DO UPDATE SET url = EXCLUDED.url, subscriptions = EXCLUDED.subscriptions, secret = EXCLUDED.secret, updated_at = now()",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(inbox_id)
    .bind::<Text, _>(url)
    .bind::<Array<Text>, _>(subscriptions)
    .bind::<Text, _>(secret)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every endpoint of the account, enabled or not (a disabled one's deliveries wait for it).
pub async fn targets(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<Webhook>> {
    Ok(webhooks::table
        .filter(webhooks::account_id.eq(account_id))
        .filter(webhooks::automation_rule_id.is_null())
        .filter(webhooks::macro_id.is_null())
        .order(webhooks::id)
        .select(Webhook::as_select())
        .load(conn)
        .await?)
}

pub struct NewDelivery {
    pub account_id: i64,
    pub webhook_id: i64,
    pub seq: i64,
    pub event: String,
    pub ordering_key: Option<String>,
    pub body: String,
    /// Its endpoint is enabled: queue it now (else it waits, parked).
    pub queue: bool,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Writes deliveries in one statement and queues the jobs of those whose endpoint is enabled;
/// an event already delivered to an endpoint (read twice) is skipped. Returns how many are new.
pub async fn insert_deliveries(conn: &mut AsyncPgConnection, rows: &[NewDelivery]) -> StoreResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&NewDelivery) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
    let events: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
    let keys: Vec<Option<&str>> = rows.iter().map(|r| r.ordering_key.as_deref()).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
    let queue: Vec<bool> = rows.iter().map(|r| r.queue).collect();
    let queued: Vec<IdRow> = diesel::sql_query(
        "WITH i AS ( \
           INSERT INTO webhook_deliveries (account_id, webhook_id, seq, event, ordering_key, body) \
           SELECT a, w, s, e, k, b FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[]) \
             WITH ORDINALITY AS t(a, w, s, e, k, b, ord) ORDER BY ord \
           ON CONFLICT (webhook_id, seq) DO NOTHING RETURNING id, webhook_id, seq) \
         SELECT i.id FROM i JOIN unnest($2::int8[], $3::int8[], $7::bool[]) AS q(w, s, go) ON q.w = i.webhook_id AND q.s = i.seq \
         WHERE q.go ORDER BY i.id",
    )
    .bind::<Array<BigInt>, _>(col(|r| r.account_id))
    .bind::<Array<BigInt>, _>(col(|r| r.webhook_id))
    .bind::<Array<BigInt>, _>(col(|r| r.seq))
    .bind::<Array<Text>, _>(&events)
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .bind::<Array<Text>, _>(&bodies)
    .bind::<Array<diesel::sql_types::Bool>, _>(&queue)
    .load(conn)
    .await?;
    let jobs: Vec<DeliverWebhook> = queued.iter().map(|r| DeliverWebhook { delivery_id: r.id }).collect();
    crate::jobs::enqueue_many(conn, &jobs).await?;
    Ok(queued.len())
}

/// What an attempt needs, in one query: the delivery, its endpoint, and whether an earlier
/// delivery of its key to the same endpoint is still pending (and when that one is next tried).
#[derive(Debug, Clone, QueryableByName)]
pub struct AttemptContext {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub webhook_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub ordering_key: Option<String>,
    #[diesel(sql_type = Text)]
    pub uuid: String,
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub enabled: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub failing_since: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub blocked: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub blocker_next: Option<DateTime<Utc>>,
    /// This caller holds the delivery's attempt for `lease`: it may send it. False when it must
    /// not be sent now (not pending, disabled, blocked) or another attempt of it is under way.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub taken: bool,
}

/// The attempt's context, and the delivery's attempt taken for `lease` when it may be sent and
/// no other attempt of it is under way (its job can be woken while a worker still runs it), in
/// one statement.
pub async fn attempt_context(
    conn: &mut AsyncPgConnection,
    delivery_id: i64,
    lease: std::time::Duration,
) -> StoreResult<Option<AttemptContext>> {
    Ok(crate::prepared::prepared(
        "WITH ctx AS ( \
           SELECT d.id, d.webhook_id, d.ordering_key, d.uuid, d.event, d.body, d.status, d.attempts, d.created_at, \
                  w.url, w.secret, w.enabled, w.failing_since, (b.id IS NOT NULL) AS blocked, b.next_attempt_at AS blocker_next \
           FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
           LEFT JOIN LATERAL (SELECT e.id, e.next_attempt_at FROM webhook_deliveries e \
             WHERE d.ordering_key IS NOT NULL AND e.webhook_id = d.webhook_id AND e.ordering_key = d.ordering_key \
               AND e.status = 'pending' AND e.id < d.id ORDER BY e.id LIMIT 1) b ON true \
           WHERE d.id = $1), \
         take AS ( \
           UPDATE webhook_deliveries t SET attempt_until = now() + $2 FROM ctx \
           WHERE t.id = ctx.id AND ctx.enabled AND NOT ctx.blocked AND t.status = 'pending' \
             AND (t.attempt_until IS NULL OR t.attempt_until < now()) \
           RETURNING t.id) \
         SELECT ctx.*, EXISTS (SELECT 1 FROM take) AS taken FROM ctx",
    )
    .bind::<BigInt, _>(delivery_id)
    .bind::<diesel::sql_types::Interval, _>(interval(lease))
    .get_result(conn)
    .await
    .optional()?)
}

fn interval(d: std::time::Duration) -> diesel::pg::data_types::PgInterval {
    diesel::pg::data_types::PgInterval::from_microseconds(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// A delivery that must wait for an earlier one of its key: its job sleeps `wait`, unless the
/// earlier one finished meanwhile, in which case it is due now. The earlier ones are read with
/// a share lock: a settle under way is waited for and its outcome read, so either this sees it
/// delivered, or the settle's wake-up comes after this postponement and undoes it. No wake-up
/// is lost to the race between the two.
pub async fn wait_behind(conn: &mut AsyncPgConnection, job_id: i64, c: &AttemptContext, wait: std::time::Duration) -> StoreResult<()> {
    crate::prepared::prepared(
        "UPDATE jobs SET run_at = CASE WHEN EXISTS ( \
           SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = $2 AND e.ordering_key = $3 AND e.status = 'pending' AND e.id < $4 \
           FOR SHARE) \
         THEN now() + $5 ELSE now() END WHERE id = $1",
    )
    .bind::<BigInt, _>(job_id)
    .bind::<BigInt, _>(c.webhook_id)
    .bind::<Nullable<Text>, _>(c.ordering_key.as_deref())
    .bind::<BigInt, _>(c.id)
    .bind::<diesel::sql_types::Interval, _>(interval(wait))
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery the receiver took.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub delivery_id: i64,
    pub job_id: i64,
    pub webhook_id: i64,
    pub ordering_key: Option<String>,
    /// The endpoint was failing until now.
    pub was_failing: bool,
    pub status_code: i32,
    pub duration_ms: i32,
}

/// Settles deliveries the receivers took, any number in one statement (one commit): each
/// attempt logged, each delivery marked delivered, its job done, the next delivery of its key
/// woken, and the endpoints no longer failing. The next of a key cannot be in the same batch:
/// it is only attempted once this one is no longer pending.
pub async fn delivered_many(conn: &mut AsyncPgConnection, rows: &[Delivered]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.delivery_id).collect();
    let jobs: Vec<i64> = rows.iter().map(|r| r.job_id).collect();
    let codes: Vec<i32> = rows.iter().map(|r| r.status_code).collect();
    let ms: Vec<i32> = rows.iter().map(|r| r.duration_ms).collect();
    let hooks: Vec<i64> = rows.iter().map(|r| r.webhook_id).collect();
    let keys: Vec<Option<&str>> = rows.iter().map(|r| r.ordering_key.as_deref()).collect();
    let failing: Vec<bool> = rows.iter().map(|r| r.was_failing).collect();
    crate::prepared::prepared(
        "WITH t AS (SELECT * FROM unnest($1::int8[], $2::int8[], $3::int4[], $4::int4[], $5::int8[], $6::text[], $7::bool[]) \
                      AS t(id, job, code, ms, webhook, key, failing)), \
         a AS (INSERT INTO webhook_attempts (delivery_id, status_code, duration_ms) SELECT id, code, ms FROM t), \
         d AS (UPDATE webhook_deliveries w SET attempts = w.attempts + 1, status = 'delivered', last_status_code = t.code, \
               last_duration_ms = t.ms, last_error = NULL, next_attempt_at = NULL, delivered_at = now(), attempt_until = NULL \
               FROM t WHERE w.id = t.id), \
         j AS (DELETE FROM jobs WHERE id IN (SELECT job FROM t)), \
         f AS (UPDATE webhooks SET failing_since = NULL WHERE id IN (SELECT webhook FROM t WHERE failing) AND failing_since IS NOT NULL), \
         n AS (UPDATE jobs SET run_at = now() WHERE kind = 'webhook.deliver' AND dead_at IS NULL AND run_at > now() \
               AND (payload ->> 'delivery_id')::bigint IN ( \
                 SELECT (SELECT e.id FROM webhook_deliveries e WHERE e.webhook_id = t.webhook AND e.ordering_key = t.key \
                         AND e.status = 'pending' AND e.id > t.id ORDER BY e.id LIMIT 1) \
                 FROM t WHERE t.key IS NOT NULL)) \
         SELECT 1",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<BigInt>, _>(&jobs)
    .bind::<Array<Int4>, _>(&codes)
    .bind::<Array<Int4>, _>(&ms)
    .bind::<Array<BigInt>, _>(&hooks)
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .bind::<Array<diesel::sql_types::Bool>, _>(&failing)
    .execute(conn)
    .await?;
    Ok(())
}

/// One attempt, as the delivery log shows it.
pub struct AttemptRecord<'a> {
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<&'a str>,
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// Records an attempt and the delivery's new state (`pending` with `next_retry_at`, or
/// `delivered`/`failed`), in the caller's transaction.
pub async fn record(conn: &mut AsyncPgConnection, delivery_id: i64, a: &AttemptRecord<'_>, status: &str) -> StoreResult<()> {
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(delivery_id),
            webhook_attempts::status_code.eq(a.status_code),
            webhook_attempts::duration_ms.eq(a.duration_ms),
            webhook_attempts::error.eq(a.error),
            webhook_attempts::next_retry_at.eq(a.next_retry_at),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $2, last_status_code = $3, last_duration_ms = $4, \
         last_error = $5, next_attempt_at = $6, delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END, \
         attempt_until = NULL WHERE id = $1",
    )
    .bind::<BigInt, _>(delivery_id)
    .bind::<Text, _>(status)
    .bind::<Nullable<Int4>, _>(a.status_code)
    .bind::<Int4, _>(a.duration_ms)
    .bind::<Nullable<Text>, _>(a.error)
    .bind::<Nullable<Timestamptz>, _>(a.next_retry_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The endpoint failed: since when it has been failing (now, if it was not).
pub async fn failed(conn: &mut AsyncPgConnection, webhook_id: i64) -> StoreResult<DateTime<Utc>> {
    Ok(diesel::update(webhooks::table.find(webhook_id))
        .set(webhooks::failing_since.eq(diesel::dsl::sql::<Nullable<Timestamptz>>("COALESCE(failing_since, now())")))
        .returning(webhooks::failing_since)
        .get_result::<Option<DateTime<Utc>>>(conn)
        .await?
        .unwrap_or_else(Utc::now))
}

/// Brings the next waiting delivery of the key forward, now that the one before it is done.
pub async fn wake_next(conn: &mut AsyncPgConnection, webhook_id: i64, ordering_key: Option<&str>, delivery_id: i64) -> StoreResult<()> {
    let Some(key) = ordering_key else { return Ok(()) };
    diesel::sql_query(
        "UPDATE jobs SET run_at = now() WHERE kind = $4 AND dead_at IS NULL AND run_at > now() \
         AND (payload ->> 'delivery_id')::bigint = ( \
           SELECT id FROM webhook_deliveries WHERE webhook_id = $1 AND ordering_key = $2 AND status = 'pending' AND id > $3 \
           ORDER BY id LIMIT 1)",
    )
    .bind::<BigInt, _>(webhook_id)
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(delivery_id)
    .bind::<Text, _>(DeliverWebhook::KIND)
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of the endpoint's deliveries, newest first, and how many there are.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    webhook_id: i64,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<WebhookDelivery>, i64)> {
    let rows = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(per_page)
        .offset((page - 1).max(0) * per_page)
        .select(WebhookDelivery::as_select())
        .load(conn)
        .await?;
    let count = webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(webhook_id)).count().get_result(conn).await?;
    Ok((rows, count))
}

/// The attempts of these deliveries, oldest first: one query for a page.
pub async fn attempts_of(conn: &mut AsyncPgConnection, delivery_ids: &[i64]) -> StoreResult<Vec<WebhookAttempt>> {
    Ok(webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
        .order(webhook_attempts::id)
        .select(WebhookAttempt::as_select())
        .load(conn)
        .await?)
}

/// Sends a delivery again: pending, due now, with a job (unless one is queued already).
pub async fn redeliver(conn: &mut AsyncPgConnection, webhook_id: i64, delivery_id: i64) -> StoreResult<Option<WebhookDelivery>> {
    let found: Option<WebhookDelivery> = diesel::update(
        webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(webhook_id)).filter(webhook_deliveries::id.eq(delivery_id)),
    )
    .set((webhook_deliveries::status.eq("pending"), webhook_deliveries::next_attempt_at.eq(Some(Utc::now()))))
    .returning(WebhookDelivery::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    if found.is_some() {
        requeue_pending(conn, webhook_id, Some(delivery_id)).await?;
    }
    Ok(found)
}

/// Forgets finished deliveries older than `before` (their attempts go with them).
pub async fn prune(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> StoreResult<usize> {
    Ok(diesel::sql_query(
        "DELETE FROM webhook_deliveries WHERE id = ANY(ARRAY( \
           SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1 LIMIT 20000))",
    )
    .bind::<Timestamptz, _>(before)
    .execute(conn)
    .await?)
}
