//! Reports: the reader of the event log that derives the reporting events and rolls them up,
//! its rebuild, and the report use cases, which read the roll-ups (and, for live counts, a few
//! indexed counts of the inbox) and never scan messages.
//!
//! The reader takes an account's cursor, keeps the slim inputs (`domain::reports::slim`, done
//! in SQL by `store::reports::take_inputs`), derives from them, writes events, memory and
//! roll-ups and moves the cursor, all in one transaction: derived exactly once. A rebuild derives the kept inputs again from nothing.
//! Like the rule reader it polls (every second) instead of waking on each log batch, so it never
//! competes with the webhook dispatcher for the freshest events.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_domain::reports::{self as rules, Dim, Grouping, Hours, Logged, Metric, Range, ReportMetric, Sum, Tracked};
use switchboard_domain::ValidationError;
use switchboard_store::inboxes::Visibility;
use switchboard_store::reports::{EventFilter, Increment, Input, NewReportingEvent, Scope, READER};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::reports::{
    AgentLive, AgentLiveMetric, ChannelCounts, EntitySummary, EventMeta, EventPage, EventView, Figures, InboxLabelMatrix, Live, Named,
    OutgoingCount, Point, Summary, Titled,
};

const POLL: Duration = Duration::from_secs(1);
/// Log events read per account and transaction.
const BATCH: i64 = 1000;
const ACCOUNTS: i64 = 64;

pub async fn read_forever(state: Arc<AppState>) {
    loop {
        tokio::time::sleep(POLL).await;
        loop {
            match read_once(&state).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "reporting failed; the events stay unread for the next round");
                    break;
                }
            }
        }
    }
}

/// One round over the accounts whose log the reader is behind on; true when some have more.
pub async fn read_once(state: &AppState) -> CoreResult<bool> {
    let accounts = {
        let mut conn = state.conn().await?;
        switchboard_store::events::readers_behind(&mut conn, READER, ACCOUNTS).await?
    };
    let mut more = false;
    for account_id in accounts {
        let mut conn = state.conn().await?;
        switchboard_store::pool::begin(&mut conn).await?;
        let read = read_account(&mut conn, account_id).await;
        match read {
            Ok(n) => {
                switchboard_store::pool::commit(&mut conn).await?;
                more |= n >= BATCH as usize;
            }
            Err(e) => {
                let _ = switchboard_store::pool::rollback(&mut conn).await;
                return Err(e);
            }
        }
    }
    Ok(more)
}

async fn read_account(conn: &mut AsyncPgConnection, account_id: i64) -> CoreResult<usize> {
    let Some(seq) = switchboard_store::events::lock_reader(conn, account_id, READER).await? else { return Ok(0) };
    let (kept, last) = switchboard_store::reports::take_inputs(conn, account_id, seq, BATCH).await?;
    let Some(last) = last else { return Ok(0) };
    derive_batch(conn, account_id, &kept).await?;
    switchboard_store::events::advance_reader(conn, account_id, READER, last).await?;
    Ok((last - seq) as usize)
}

/// Derives a batch of inputs in order and writes what they give.
async fn derive_batch(conn: &mut AsyncPgConnection, account_id: i64, inputs: &[Input]) -> CoreResult<()> {
    let mut ids: Vec<i64> =
        inputs.iter().filter_map(|i| rules::conversation_of(&Logged { name: &i.name, data: &i.data, logged_at: i.logged_at })).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut memory: HashMap<i64, Tracked> = switchboard_store::reports::tracked(conn, account_id, &ids)
        .await?
        .into_iter()
        .filter_map(|(id, v)| serde_json::from_value(v).ok().map(|t| (id, t)))
        .collect();
    let labels: HashMap<String, i64> =
        switchboard_store::labels::list(conn, account_id).await?.into_iter().map(|l| (l.title, l.id)).collect();
    let mut hours: HashMap<i64, Hours> = HashMap::new();
    let mut events = vec![];
    let mut increments: BTreeMap<(Dim, i64, i16, i64, DateTime<Utc>), Sum> = BTreeMap::new();
    let mut changed: Vec<i64> = vec![];
    for Input { seq, name, logged_at, data } in inputs {
        let logged = Logged { name, data, logged_at: *logged_at };
        let Some(display_id) = rules::conversation_of(&logged) else { continue };
        let before = memory.get(&display_id);
        let inbox_id = before.map(|t| t.inbox_id).or_else(|| data.get("inbox_id").and_then(Value::as_i64)).unwrap_or(0);
        if let std::collections::hash_map::Entry::Vacant(slot) = hours.entry(inbox_id) {
            let h = match switchboard_store::inboxes::find(conn, account_id, inbox_id, Visibility::All).await? {
                Some(i) => Hours::new(i.working_hours_enabled, &i.working_hours, &i.timezone),
                None => Hours::new(false, &Value::Null, "UTC"),
            };
            slot.insert(h);
        }
        let Some(h) = hours.get(&inbox_id) else { continue };
        let derived = rules::derive(before, &logged, h);
        for r in derived.events {
            events.push(NewReportingEvent {
                account_id,
                seq: *seq,
                name: r.name.as_str(),
                value: r.value,
                value_in_business_hours: r.value_in_business_hours,
                event_start_time: r.start,
                event_end_time: r.end,
                conversation_id: Some(display_id),
                inbox_id: derived.tracked.as_ref().map(|t| t.inbox_id).filter(|i| *i > 0),
                user_id: r.user_id,
            });
        }
        for f in derived.facts {
            let slot = rules::slot_of(f.at);
            let sum = Sum { count: f.weight, total: f.value, total_bh: f.value_bh };
            let mut add = |dim: Dim, id: i64, inbox: i64| increments.entry((dim, id, f.metric.code(), inbox, slot)).or_default().add(&sum);
            if f.totals {
                add(Dim::Account, 0, 0);
                add(Dim::Inbox, f.inbox_id, f.inbox_id);
            }
            let by = f.by.iter().copied().chain(f.labels.iter().filter_map(|l| labels.get(l).map(|id| (Dim::Label, *id))));
            for (dim, id) in by {
                add(dim, id, f.inbox_id);
                add(dim, id, 0);
            }
        }
        // A state the event left as it was is not written again (a contact's second message
        // while already waiting changes nothing).
        if let Some(t) = derived.tracked.filter(|t| Some(t) != memory.get(&display_id)) {
            memory.insert(display_id, t);
            changed.push(display_id);
        }
    }
    changed.sort_unstable();
    changed.dedup();
    let states: Vec<(i64, Value)> =
        changed.iter().filter_map(|id| memory.get(id).and_then(|t| serde_json::to_value(t).ok()).map(|v| (*id, v))).collect();
    let rows: Vec<Increment> = increments
        .into_iter()
        .map(|((dim, dim_id, metric, inbox_id, slot), sum)| Increment { dim, dim_id, metric, inbox_id, slot, sum })
        .collect();
    switchboard_store::reports::insert_events(conn, &events).await?;
    switchboard_store::reports::save_tracked(conn, account_id, &states).await?;
    switchboard_store::reports::roll_up(conn, account_id, &rows).await?;
    Ok(())
}

/// Derives the account's reporting events and roll-ups again from the kept inputs (after a
/// fix to the derivation, or to an inbox's working hours), in one transaction, holding the
/// reader's cursor so the reader waits. Returns how many inputs were read.
pub async fn rebuild(db: &switchboard_store::DbPool, account_id: i64) -> CoreResult<usize> {
    let mut conn = db.get().await?;
    switchboard_store::pool::begin(&mut conn).await?;
    let result = async {
        let mut seq = None;
        for _ in 0..50 {
            seq = switchboard_store::events::lock_reader(&mut conn, account_id, READER).await?;
            if seq.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let Some(cursor) = seq else { return Err(CoreError::Unavailable) };
        switchboard_store::reports::forget(&mut conn, account_id).await?;
        let (mut after, mut read) = (0, 0);
        loop {
            let kept = switchboard_store::reports::inputs_after(&mut conn, account_id, after, 4).await?;
            let kept: Vec<_> = kept.into_iter().filter(|i| i.seq <= cursor).collect();
            let Some(last) = kept.last().map(|i| i.seq) else { break };
            derive_batch(&mut conn, account_id, &kept).await?;
            read += kept.len();
            after = last;
        }
        CoreResult::Ok(read)
    }
    .await;
    match result {
        Ok(n) => {
            switchboard_store::pool::commit(&mut conn).await?;
            Ok(n)
        }
        Err(e) => {
            let _ = switchboard_store::pool::rollback(&mut conn).await;
            Err(e)
        }
    }
}

// The report use cases.

/// The inboxes whose figures the actor sees: None for an administrator (the account's rows).
async fn seen_inboxes(conn: &mut AsyncPgConnection, actor: &Actor) -> CoreResult<Option<Vec<i64>>> {
    if matches!(actor.visibility, Visibility::All) {
        return Ok(None);
    }
    Ok(Some(switchboard_store::inboxes::list(conn, actor.account_id, actor.visibility).await?.into_iter().map(|i| i.id).collect()))
}

/// The object `type` and `id` name, checked: the account's, and an inbox the actor sees.
async fn subject(conn: &mut AsyncPgConnection, actor: &Actor, dim: Dim, id: Option<&str>) -> CoreResult<Option<i64>> {
    if dim == Dim::Account {
        return Ok(None);
    }
    let Some(raw) = id.map(str::trim).filter(|s| !s.is_empty()) else { return Err(ValidationError::blank("id").into()) };
    let id: i64 = raw.parse().map_err(|_| ValidationError::invalid("id", "must be a number"))?;
    let a = actor.account_id;
    let found = match dim {
        Dim::Inbox => switchboard_store::inboxes::find(conn, a, id, actor.visibility).await?.is_some(),
        Dim::Agent => switchboard_store::account_users::membership(conn, a, id).await?.is_some(),
        Dim::Team => switchboard_store::teams::find(conn, a, id, actor.user_id).await?.is_some(),
        Dim::Label => switchboard_store::labels::find(conn, a, id).await?.is_some(),
        Dim::Account => true,
    };
    if !found {
        return Err(CoreError::NotFound);
    }
    Ok(Some(id))
}

/// The parameters of a time series.
pub struct SeriesQuery<'a> {
    pub metric: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub id: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub group_by: Option<&'a str>,
    pub business_hours: bool,
    pub timezone_offset: Option<&'a str>,
}

fn dim_of(kind: Option<&str>) -> Result<Dim, ValidationError> {
    Dim::parse("type", kind.unwrap_or("account"))
}

pub async fn series(state: &AppState, actor: &Actor, q: &SeriesQuery<'_>) -> CoreResult<Vec<Point>> {
    let metric = ReportMetric::parse("metric", q.metric.unwrap_or(""))?;
    let dim = dim_of(q.kind)?;
    let range = Range::parse(q.since, q.until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    let grouping = Grouping::parse("group_by", q.group_by.unwrap_or("day"))?;
    let offset = rules::offset_seconds(q.timezone_offset)?;
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let id = subject(&mut conn, actor, dim, q.id).await?;
    let inboxes = seen_inboxes(&mut conn, actor).await?;
    let ids = id.map(|i| vec![i]);
    let scope = Scope { dim, ids: ids.as_deref(), inboxes: inboxes.as_deref() };
    let unit = match grouping {
        Grouping::Day => "day",
        Grouping::Week => "week",
        Grouping::Month => "month",
        Grouping::Year => "year",
    };
    let rows =
        switchboard_store::reports::series(&mut conn, actor.account_id, &scope, metric.metric().code(), &range, offset, unit).await?;
    let found: HashMap<chrono::NaiveDate, Sum> = rows.into_iter().collect();
    Ok(grouping
        .periods(&range, offset)
        .into_iter()
        .map(|d| {
            let sum = found.get(&d).copied().unwrap_or_default();
            // The period's start in UTC: local midnight minus the offset.
            let timestamp = d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() - i64::from(offset);
            Point { value: metric.value(&sum, q.business_hours), timestamp, count: metric.is_average().then_some(sum.count) }
        })
        .collect())
}

const SUMMARY_METRICS: [Metric; 8] = [
    Metric::Conversations,
    Metric::IncomingMessages,
    Metric::OutgoingMessages,
    Metric::FirstResponse,
    Metric::Resolution,
    Metric::ReplyTime,
    Metric::BotResolution,
    Metric::BotHandoff,
];

fn figures(sums: &HashMap<Metric, Sum>, business_hours: bool) -> Figures {
    let get = |m: Metric| sums.get(&m).copied().unwrap_or_default();
    Figures {
        avg_first_response_time: ReportMetric::AvgFirstResponseTime.value(&get(Metric::FirstResponse), business_hours),
        avg_resolution_time: ReportMetric::AvgResolutionTime.value(&get(Metric::Resolution), business_hours),
        reply_time: ReportMetric::ReplyTime.value(&get(Metric::ReplyTime), business_hours),
        conversations_count: get(Metric::Conversations).count,
        incoming_messages_count: get(Metric::IncomingMessages).count,
        outgoing_messages_count: get(Metric::OutgoingMessages).count,
        resolutions_count: get(Metric::Resolution).count,
        bot_resolutions_count: get(Metric::BotResolution).count,
        bot_handoffs_count: get(Metric::BotHandoff).count,
    }
}

/// The summary's metric stored as `code`.
fn metric_of(code: i16) -> Option<Metric> {
    SUMMARY_METRICS.into_iter().find(|m| m.code() == code)
}

pub async fn summary(
    state: &AppState,
    actor: &Actor,
    kind: Option<&str>,
    id: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
    business_hours: bool,
) -> CoreResult<Summary> {
    let dim = dim_of(kind)?;
    let range = Range::parse(since, until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let id = subject(&mut conn, actor, dim, id).await?;
    let inboxes = seen_inboxes(&mut conn, actor).await?;
    let ids = id.map(|i| vec![i]);
    let scope = Scope { dim, ids: ids.as_deref(), inboxes: inboxes.as_deref() };
    let codes: Vec<i16> = SUMMARY_METRICS.iter().map(|m| m.code()).collect();
    let over = |rows: Vec<(i16, i64, i64, Sum)>| {
        let mut sums: HashMap<Metric, Sum> = HashMap::new();
        for (code, _, _, s) in rows {
            if let Some(m) = metric_of(code) {
                sums.entry(m).or_default().add(&s);
            }
        }
        figures(&sums, business_hours)
    };
    let current = over(switchboard_store::reports::sums(&mut conn, actor.account_id, &scope, &codes, &range).await?);
    let previous = over(switchboard_store::reports::sums(&mut conn, actor.account_id, &scope, &codes, &range.previous()).await?);
    Ok(Summary { current, previous })
}

/// Summary per agent, inbox or team over the range: every one the actor sees, figures or not.
pub async fn summary_by(
    state: &AppState,
    actor: &Actor,
    dim: Dim,
    since: Option<&str>,
    until: Option<&str>,
    business_hours: bool,
) -> CoreResult<Vec<EntitySummary>> {
    let range = Range::parse(since, until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let inboxes = seen_inboxes(&mut conn, actor).await?;
    let a = actor.account_id;
    let ids: Vec<i64> = match dim {
        // An agent's inboxes are already known; an administrator's are all of them.
        Dim::Inbox => match &inboxes {
            Some(mine) => mine.clone(),
            None => switchboard_store::inboxes::list(&mut conn, a, actor.visibility).await?.into_iter().map(|i| i.id).collect(),
        },
        Dim::Agent => switchboard_store::account_users::list(&mut conn, a).await?.into_iter().map(|x| x.user.id).collect(),
        Dim::Team => switchboard_store::teams::list(&mut conn, a, actor.user_id).await?.into_iter().map(|(t, _)| t.id).collect(),
        Dim::Label => switchboard_store::labels::list(&mut conn, a).await?.into_iter().map(|l| l.id).collect(),
        Dim::Account => vec![0],
    };
    // The ids are given: a range of every object's rows is read per object, never all of them.
    let scope = Scope { dim, ids: Some(&ids), inboxes: inboxes.as_deref() };
    let codes = [Metric::Conversations, Metric::Resolution, Metric::FirstResponse, Metric::ReplyTime].map(Metric::code);
    let rows = switchboard_store::reports::sums(&mut conn, a, &scope, &codes, &range).await?;
    let mut by: HashMap<(i64, i16), Sum> = HashMap::new();
    for (code, id, _, s) in rows {
        by.entry((id, code)).or_default().add(&s);
    }
    let get = |id: i64, m: Metric| by.get(&(id, m.code())).copied().unwrap_or_default();
    Ok(ids
        .into_iter()
        .map(|id| EntitySummary {
            id,
            conversations_count: get(id, Metric::Conversations).count,
            resolved_conversations_count: get(id, Metric::Resolution).count,
            avg_resolution_time: get(id, Metric::Resolution).average(business_hours),
            avg_first_response_time: get(id, Metric::FirstResponse).average(business_hours),
            avg_reply_time: get(id, Metric::ReplyTime).average(business_hours),
        })
        .collect())
}

pub async fn live(state: &AppState, actor: &Actor) -> CoreResult<Live> {
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let inboxes = seen_inboxes(&mut conn, actor).await?;
    let c = switchboard_store::reports::live_counts(&mut conn, actor.account_id, inboxes.as_deref()).await?;
    Ok(Live { open: c.open, unattended: c.unattended, unassigned: c.unassigned, pending: c.pending })
}

/// Each agent's open and unattended conversations now (optionally one agent's).
pub async fn live_by_agent(state: &AppState, actor: &Actor, user_id: Option<&str>) -> CoreResult<Vec<AgentLive>> {
    let only = match user_id.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| ValidationError::invalid("user_id", "must be a number"))?),
        None => None,
    };
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let inboxes = seen_inboxes(&mut conn, actor).await?;
    let counts: HashMap<i64, (i64, i64)> = switchboard_store::reports::live_by_agent(&mut conn, actor.account_id, inboxes.as_deref())
        .await?
        .into_iter()
        .map(|r| (r.assignee_id, (r.open, r.unattended)))
        .collect();
    let agents = switchboard_store::account_users::list(&mut conn, actor.account_id).await?;
    if let Some(id) = only {
        if !agents.iter().any(|a| a.user.id == id) {
            return Err(CoreError::NotFound);
        }
    }
    Ok(agents
        .into_iter()
        .filter(|a| only.is_none_or(|id| a.user.id == id))
        .map(|a| {
            let (open, unattended) = counts.get(&a.user.id).copied().unwrap_or_default();
            AgentLive {
                id: a.user.id,
                name: a.user.name.clone(),
                email: a.user.email.clone(),
                thumbnail: String::new(),
                availability: a.member.availability.clone(),
                metric: AgentLiveMetric { open, unattended },
            }
        })
        .collect())
}

/// The reference limits the channel summary to six months and answers 400 beyond.
pub const CHANNEL_SUMMARY_MAX_DAYS: i64 = 183;

/// Conversations created in the range, by their inbox's channel type and their status now:
/// the standing counts of the roll-ups.
pub async fn by_channel(
    state: &AppState,
    actor: &Actor,
    since: Option<&str>,
    until: Option<&str>,
) -> CoreResult<BTreeMap<String, ChannelCounts>> {
    let range = Range::parse(since, until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    if range.until - range.since > chrono::Duration::days(CHANNEL_SUMMARY_MAX_DAYS) {
        return Err(CoreError::BadRequest("the date range must be at most 6 months".into()));
    }
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let inboxes = switchboard_store::inboxes::list(&mut conn, actor.account_id, actor.visibility).await?;
    let ids: Vec<i64> = inboxes.iter().map(|i| i.id).collect();
    let channel: HashMap<i64, &'static str> = inboxes.iter().map(|i| (i.id, i.channel_type.reference_name())).collect();
    let scope = Scope { dim: Dim::Inbox, ids: Some(&ids), inboxes: Some(&ids) };
    let codes = Metric::STANDING.map(|s| s.0.code());
    let mut out: BTreeMap<String, ChannelCounts> = BTreeMap::new();
    for (code, inbox, _, s) in switchboard_store::reports::sums(&mut conn, actor.account_id, &scope, &codes, &range).await? {
        let (Some(kind), Some((_, status))) = (channel.get(&inbox), Metric::STANDING.iter().find(|m| m.0.code() == code)) else { continue };
        let c = out.entry(kind.to_string()).or_default();
        match *status {
            "open" => c.open += s.count,
            "resolved" => c.resolved += s.count,
            "pending" => c.pending += s.count,
            _ => c.snoozed += s.count,
        }
        c.total += s.count;
    }
    Ok(out)
}

/// First responses in the range per channel type, in the reference's hour buckets.
pub async fn first_response_distribution(
    state: &AppState,
    actor: &Actor,
    since: Option<&str>,
    until: Option<&str>,
) -> CoreResult<BTreeMap<String, BTreeMap<&'static str, i64>>> {
    let range = Range::parse(since, until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let inboxes = switchboard_store::inboxes::list(&mut conn, actor.account_id, actor.visibility).await?;
    let ids: Vec<i64> = inboxes.iter().map(|i| i.id).collect();
    let scope = Scope { dim: Dim::Inbox, ids: Some(&ids), inboxes: Some(&ids) };
    let codes = Metric::BUCKETS.map(|b| b.0.code());
    let rows = switchboard_store::reports::sums(&mut conn, actor.account_id, &scope, &codes, &range).await?;
    let channel: HashMap<i64, &'static str> = inboxes.iter().map(|i| (i.id, i.channel_type.reference_name())).collect();
    let mut out: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for i in &inboxes {
        let entry = out.entry(channel.get(&i.id).copied().unwrap_or_default().to_string()).or_default();
        for (_, name) in Metric::BUCKETS {
            entry.entry(name).or_insert(0);
        }
    }
    for (code, inbox, _, s) in rows {
        let Some(name) = Metric::BUCKETS.iter().find(|b| b.0.code() == code).map(|b| b.1) else { continue };
        let Some(kind) = channel.get(&inbox) else { continue };
        *out.entry(kind.to_string()).or_default().entry(name).or_insert(0) += s.count;
    }
    Ok(out)
}

/// A list of ids from a query parameter (`1,2` or repeated); lenient: what is not a number is
/// a 422 naming the parameter.
pub fn id_list(field: &str, raw: &[String]) -> Result<Option<Vec<i64>>, ValidationError> {
    let parts: Vec<&str> = raw.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        return Ok(None);
    }
    parts
        .iter()
        .map(|p| p.parse::<i64>().map_err(|_| ValidationError::invalid(field, "must be a list of numbers")))
        .collect::<Result<_, _>>()
        .map(Some)
}

pub async fn inbox_label_matrix(
    state: &AppState,
    actor: &Actor,
    since: Option<&str>,
    until: Option<&str>,
    inbox_ids: Option<Vec<i64>>,
    label_ids: Option<Vec<i64>>,
) -> CoreResult<InboxLabelMatrix> {
    let range = Range::parse(since, until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let inboxes: Vec<_> = switchboard_store::inboxes::list(&mut conn, actor.account_id, actor.visibility)
        .await?
        .into_iter()
        .filter(|i| inbox_ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
        .collect();
    let labels: Vec<_> = switchboard_store::labels::list(&mut conn, actor.account_id)
        .await?
        .into_iter()
        .filter(|l| label_ids.as_ref().is_none_or(|ids| ids.contains(&l.id)))
        .collect();
    let ids: Vec<i64> = inboxes.iter().map(|i| i.id).collect();
    let label_ids: Vec<i64> = labels.iter().map(|l| l.id).collect();
    let scope = Scope { dim: Dim::Label, ids: Some(&label_ids), inboxes: Some(&ids) };
    let counts: HashMap<(i64, i64), i64> =
        switchboard_store::reports::sums(&mut conn, actor.account_id, &scope, &[Metric::Labelled.code()], &range)
            .await?
            .into_iter()
            .map(|(_, label, inbox, s)| ((inbox, label), s.count))
            .collect();
    let matrix = inboxes.iter().map(|i| labels.iter().map(|l| counts.get(&(i.id, l.id)).copied().unwrap_or(0)).collect()).collect();
    Ok(InboxLabelMatrix {
        inboxes: inboxes.into_iter().map(|i| Named { id: i.id, name: i.name }).collect(),
        labels: labels.into_iter().map(|l| Titled { id: l.id, title: l.title }).collect(),
        matrix,
    })
}

/// Outgoing messages in the range per agent (sent by them; bots' excluded), team, inbox or label.
pub async fn outgoing_by(
    state: &AppState,
    actor: &Actor,
    group_by: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
) -> CoreResult<Vec<OutgoingCount>> {
    let dim = match group_by.map(str::trim) {
        Some("agent") => Dim::Agent,
        Some("team") => Dim::Team,
        Some("inbox") => Dim::Inbox,
        Some("label") => Dim::Label,
        Some(_) => return Err(ValidationError::invalid("group_by", "must be one of agent, team, inbox, label").into()),
        None => return Err(ValidationError::blank("group_by").into()),
    };
    let range = Range::parse(since, until, Utc::now(), rules::MAX_RANGE_DAYS)?;
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let a = actor.account_id;
    let inboxes = seen_inboxes(&mut conn, actor).await?;
    let named: Vec<(i64, String)> = match dim {
        Dim::Agent => switchboard_store::account_users::list(&mut conn, a).await?.into_iter().map(|x| (x.user.id, x.user.name)).collect(),
        Dim::Team => switchboard_store::teams::list(&mut conn, a, actor.user_id).await?.into_iter().map(|(t, _)| (t.id, t.name)).collect(),
        Dim::Inbox => switchboard_store::inboxes::list(&mut conn, a, actor.visibility).await?.into_iter().map(|i| (i.id, i.name)).collect(),
        _ => switchboard_store::labels::list(&mut conn, a).await?.into_iter().map(|l| (l.id, l.title)).collect(),
    };
    let scope = Scope { dim, ids: None, inboxes: inboxes.as_deref() };
    let counts: HashMap<i64, i64> = switchboard_store::reports::sums(&mut conn, a, &scope, &[Metric::OutgoingMessages.code()], &range)
        .await?
        .into_iter()
        .fold(HashMap::new(), |mut m, (_, id, _, s)| {
            *m.entry(id).or_default() += s.count;
            m
        });
    Ok(named
        .into_iter()
        .map(|(id, name)| OutgoingCount { id, name, outgoing_messages_count: counts.get(&id).copied().unwrap_or(0) })
        .collect())
}

pub const EVENTS_PER_PAGE: i64 = 25;

pub struct EventQuery<'a> {
    pub page: i64,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub inbox_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// The account's reporting events (administrators), newest first, 25 a page.
pub async fn events(state: &AppState, actor: &Actor, q: &EventQuery<'_>) -> CoreResult<EventPage> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let time = |field: &str, raw: Option<&str>| -> Result<Option<DateTime<Utc>>, ValidationError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .and_then(|n| DateTime::from_timestamp(n, 0))
                .map(Some)
                .ok_or_else(|| ValidationError::invalid(field, "must be a Unix timestamp in seconds")),
        }
    };
    let number = |field: &str, raw: Option<&str>| -> Result<Option<i64>, ValidationError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| ValidationError::invalid(field, "must be a number")),
        }
    };
    let (since, until) = (time("since", q.since)?, time("until", q.until)?);
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(ValidationError::invalid("since", "must be before until").into());
        }
    }
    let name = match q.name.map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => {
            Some(rules::EventName::parse(n).ok_or_else(|| ValidationError::invalid("name", "is not a reporting event name"))?.as_str())
        }
        None => None,
    };
    let filter = EventFilter { since, until, inbox_id: number("inbox_id", q.inbox_id)?, user_id: number("user_id", q.user_id)?, name };
    let page = q.page.max(1);
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    let (rows, count) = switchboard_store::reports::page(&mut conn, actor.account_id, &filter, page, EVENTS_PER_PAGE).await?;
    Ok(EventPage {
        meta: EventMeta { count, current_page: page, total_pages: (count + EVENTS_PER_PAGE - 1) / EVENTS_PER_PAGE },
        payload: rows.into_iter().map(EventView::from).collect(),
    })
}

/// A conversation's reporting events, oldest first, for anyone who sees the conversation.
pub async fn of_conversation(state: &AppState, actor: &Actor, display_id: i64) -> CoreResult<Vec<EventView>> {
    let _turn = state.report_budget.admit(actor.account_id).await?;
    let mut conn = state.conn().await?;
    crate::conversations::visible(&mut conn, actor, display_id).await?;
    Ok(switchboard_store::reports::of_conversation(&mut conn, actor.account_id, display_id)
        .await?
        .into_iter()
        .map(EventView::from)
        .collect())
}
