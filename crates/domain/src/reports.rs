//! Reports: the reference's reporting events derived from the event log, business hours, and
//! the metrics, dimensions and ranges reports are asked for.
//!
//! `derive` is the whole derivation: it reads one logged event and what was remembered of its
//! conversation (`Tracked`, itself built from earlier log events only) and returns the new memory,
//! the reporting events and the facts the roll-ups count. Because it sees nothing but the log,
//! replaying the log gives the same rows.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::inbox::WorkingDay;
use crate::ValidationError;

/// The reference's reporting event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    FirstResponse,
    ReplyTime,
    ConversationResolved,
    ConversationBotResolved,
    ConversationOpened,
    ConversationBotHandoff,
}

impl EventName {
    pub const ALL: [EventName; 6] = [
        Self::FirstResponse,
        Self::ReplyTime,
        Self::ConversationResolved,
        Self::ConversationBotResolved,
        Self::ConversationOpened,
        Self::ConversationBotHandoff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstResponse => "first_response",
            Self::ReplyTime => "reply_time",
            Self::ConversationResolved => "conversation_resolved",
            Self::ConversationBotResolved => "conversation_bot_resolved",
            Self::ConversationOpened => "conversation_opened",
            Self::ConversationBotHandoff => "conversation_bot_handoff",
        }
    }

    /// The reference also calls the resolution event `resolution` in its filters.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw == "resolution" {
            return Some(Self::ConversationResolved);
        }
        Self::ALL.into_iter().find(|n| n.as_str() == raw)
    }
}

/// What the roll-ups count. The numbers are stored; never reuse one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    Conversations = 1,
    IncomingMessages = 2,
    OutgoingMessages = 3,
    FirstResponse = 4,
    Resolution = 5,
    ReplyTime = 6,
    BotResolution = 7,
    BotHandoff = 8,
    Opened = 9,
    /// First responses within 0–1 h, 1–4 h, 4–8 h, 8–24 h and over 24 h.
    FirstResponseBucket0 = 10,
    FirstResponseBucket1 = 11,
    FirstResponseBucket2 = 12,
    FirstResponseBucket3 = 13,
    FirstResponseBucket4 = 14,
    /// Conversations by their status now, counted at their creation (a status change moves a
    /// conversation from one count to the other; the counts never shrink below what exists).
    StandingOpen = 15,
    StandingResolved = 16,
    StandingPending = 17,
    StandingSnoozed = 18,
    /// Conversations carrying a label now, counted at their creation.
    Labelled = 19,
}

impl Metric {
    pub const BUCKETS: [(Metric, &'static str); 5] = [
        (Self::FirstResponseBucket0, "0-1h"),
        (Self::FirstResponseBucket1, "1-4h"),
        (Self::FirstResponseBucket2, "4-8h"),
        (Self::FirstResponseBucket3, "8-24h"),
        (Self::FirstResponseBucket4, "24h+"),
    ];

    pub const STANDING: [(Metric, &'static str); 4] = [
        (Self::StandingOpen, "open"),
        (Self::StandingResolved, "resolved"),
        (Self::StandingPending, "pending"),
        (Self::StandingSnoozed, "snoozed"),
    ];

    pub fn code(self) -> i16 {
        self as i16
    }

    fn standing(status: &str) -> Option<Metric> {
        Self::STANDING.iter().find(|(_, name)| *name == status).map(|(m, _)| *m)
    }

    fn bucket_of(seconds: f64) -> Metric {
        let hours = seconds / 3600.0;
        match hours {
            h if h < 1.0 => Self::FirstResponseBucket0,
            h if h < 4.0 => Self::FirstResponseBucket1,
            h if h < 8.0 => Self::FirstResponseBucket2,
            h if h < 24.0 => Self::FirstResponseBucket3,
            _ => Self::FirstResponseBucket4,
        }
    }
}

/// What a roll-up row is about. Account rows hold every inbox; an agent's, team's or label's
/// rows are kept per inbox too, so an agent's report can be limited to their inboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Account = 0,
    Agent = 1,
    Inbox = 2,
    Team = 3,
    Label = 4,
}

impl Dim {
    pub fn code(self) -> i16 {
        self as i16
    }

    /// The `type` parameter of the reports API.
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "account" => Ok(Self::Account),
            "agent" => Ok(Self::Agent),
            "inbox" => Ok(Self::Inbox),
            "team" => Ok(Self::Team),
            "label" => Ok(Self::Label),
            _ => Err(ValidationError::invalid(field, "must be one of account, agent, inbox, label, team")),
        }
    }
}

/// The metrics of the reports API, over the roll-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportMetric {
    ConversationsCount,
    IncomingMessagesCount,
    OutgoingMessagesCount,
    AvgFirstResponseTime,
    AvgResolutionTime,
    ReplyTime,
    ResolutionsCount,
    BotResolutionsCount,
    BotHandoffsCount,
}

impl ReportMetric {
    pub const ALL: [ReportMetric; 9] = [
        Self::ConversationsCount,
        Self::IncomingMessagesCount,
        Self::OutgoingMessagesCount,
        Self::AvgFirstResponseTime,
        Self::AvgResolutionTime,
        Self::ReplyTime,
        Self::ResolutionsCount,
        Self::BotResolutionsCount,
        Self::BotHandoffsCount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConversationsCount => "conversations_count",
            Self::IncomingMessagesCount => "incoming_messages_count",
            Self::OutgoingMessagesCount => "outgoing_messages_count",
            Self::AvgFirstResponseTime => "avg_first_response_time",
            Self::AvgResolutionTime => "avg_resolution_time",
            Self::ReplyTime => "reply_time",
            Self::ResolutionsCount => "resolutions_count",
            Self::BotResolutionsCount => "bot_resolutions_count",
            Self::BotHandoffsCount => "bot_handoffs_count",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw.trim()).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|m| m.as_str()).collect();
            ValidationError::invalid(field, format!("must be one of {}", names.join(", ")))
        })
    }

    /// The roll-up it reads.
    pub fn metric(self) -> Metric {
        match self {
            Self::ConversationsCount => Metric::Conversations,
            Self::IncomingMessagesCount => Metric::IncomingMessages,
            Self::OutgoingMessagesCount => Metric::OutgoingMessages,
            Self::AvgFirstResponseTime => Metric::FirstResponse,
            Self::AvgResolutionTime => Metric::Resolution,
            Self::ReplyTime => Metric::ReplyTime,
            Self::ResolutionsCount => Metric::Resolution,
            Self::BotResolutionsCount => Metric::BotResolution,
            Self::BotHandoffsCount => Metric::BotHandoff,
        }
    }

    /// Averages (seconds) rather than counts.
    pub fn is_average(self) -> bool {
        matches!(self, Self::AvgFirstResponseTime | Self::AvgResolutionTime | Self::ReplyTime)
    }

    /// Its value from a roll-up sum: a count, or the average in seconds (calendar or business
    /// hours), 0 with nothing to average, as the reference answers.
    pub fn value(self, sum: &Sum, business_hours: bool) -> f64 {
        if !self.is_average() {
            return sum.count as f64;
        }
        if sum.count == 0 {
            return 0.0;
        }
        let total = if business_hours { sum.total_bh } else { sum.total };
        total / sum.count as f64
    }
}

/// Summed roll-up rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum {
    pub count: i64,
    pub total: f64,
    pub total_bh: f64,
}

impl Sum {
    pub fn add(&mut self, o: &Sum) {
        self.count += o.count;
        self.total += o.total;
        self.total_bh += o.total_bh;
    }

    /// The average, None with nothing to average (the summary reports' null).
    pub fn average(&self, business_hours: bool) -> Option<f64> {
        (self.count > 0).then(|| if business_hours { self.total_bh } else { self.total } / self.count as f64)
    }
}

/// `group_by` of the time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Day,
    Week,
    Month,
    Year,
}

impl Grouping {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "" | "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            "year" => Ok(Self::Year),
            _ => Err(ValidationError::invalid(field, "must be one of day, week, month, year")),
        }
    }

    /// The local start of the group holding local date `d` (weeks start on Monday, as
    /// PostgreSQL's and ISO's do).
    pub fn start(self, d: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => d,
            Self::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            Self::Month => d.with_day(1).unwrap_or(d),
            Self::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
        }
    }

    fn next(self, d: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => d + Duration::days(1),
            Self::Week => d + Duration::days(7),
            Self::Month => {
                let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
                NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d + Duration::days(31))
            }
            Self::Year => NaiveDate::from_ymd_opt(d.year() + 1, 1, 1).unwrap_or(d + Duration::days(366)),
        }
    }

    /// Every group's local start date from the one holding `since` to the one holding the
    /// last instant before `until`, in a fixed offset: the series answers each, zero or not.
    pub fn periods(self, range: &Range, offset_seconds: i32) -> Vec<NaiveDate> {
        let local = |t: DateTime<Utc>| (t + Duration::seconds(i64::from(offset_seconds))).date_naive();
        let first = self.start(local(range.since));
        let last = local(range.until - Duration::seconds(1));
        let mut out = vec![];
        let mut d = first;
        while d <= last {
            out.push(d);
            d = self.next(d);
        }
        out
    }
}

/// Longest range a report answers.
pub const MAX_RANGE_DAYS: i64 = 731;

/// A report's range, `since` inclusive and `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Range {
    /// From the `since` and `until` parameters (Unix seconds). A missing `until` is now; a
    /// missing `since` is 30 days before `until`. Rejects unreadable values, a `since` not
    /// before `until` and ranges longer than `max_days`, naming the parameter.
    pub fn parse(since: Option<&str>, until: Option<&str>, now: DateTime<Utc>, max_days: i64) -> Result<Self, ValidationError> {
        let read = |field: &str, raw: Option<&str>| -> Result<Option<DateTime<Utc>>, ValidationError> {
            match raw.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => {
                    let secs: f64 = s.parse().map_err(|_| ValidationError::invalid(field, "must be a Unix timestamp in seconds"))?;
                    if !secs.is_finite() {
                        return Err(ValidationError::invalid(field, "must be a Unix timestamp in seconds"));
                    }
                    DateTime::from_timestamp(secs.floor() as i64, 0)
                        .filter(|t| t.year() >= 1970 && t.year() < 10000)
                        .map(Some)
                        .ok_or_else(|| ValidationError::invalid(field, "is out of range"))
                }
            }
        };
        let until = read("until", until)?.unwrap_or(now);
        let since = read("since", since)?.unwrap_or(until - Duration::days(30));
        if since >= until {
            return Err(ValidationError::invalid("since", "must be before until"));
        }
        if until - since > Duration::days(max_days) {
            return Err(ValidationError::invalid("until", format!("the range must be at most {max_days} days")));
        }
        Ok(Self { since, until })
    }

    /// The same length just before: the summary's `previous`.
    pub fn previous(&self) -> Self {
        Self { since: self.since - (self.until - self.since), until: self.since }
    }

    /// The whole UTC days inside the range as `[from, to)`, with `from <= to`; the rest of the
    /// range is read from the quarter-hour roll-ups. With no whole day both are one instant.
    pub fn whole_days(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |t: DateTime<Utc>| t.date_naive().and_time(NaiveTime::MIN).and_utc();
        let first = if midnight(self.since) == self.since { self.since } else { midnight(self.since) + Duration::days(1) };
        let last = midnight(self.until);
        if first >= last {
            let at = first.min(self.until);
            (at, at)
        } else {
            (first, last)
        }
    }
}

/// `timezone_offset` (hours, possibly fractional) in seconds; lenient: unreadable is UTC.
pub fn offset_seconds(raw: Option<&str>) -> Result<i32, ValidationError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(0) };
    let hours: f64 = s.parse().map_err(|_| ValidationError::invalid("timezone_offset", "must be a number of hours"))?;
    if !hours.is_finite() || !(-14.0..=14.0).contains(&hours) {
        return Err(ValidationError::invalid("timezone_offset", "must be between -14 and 14"));
    }
    Ok((hours * 3600.0).round() as i32)
}

/// Where the roll-ups cut time finely: every timezone's offset is a multiple of it.
pub const SLOT_SECONDS: i64 = 15 * 60;

/// The quarter-hour holding `t`.
pub fn slot_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp();
    DateTime::from_timestamp(s - s.rem_euclid(SLOT_SECONDS), 0).unwrap_or(t)
}

/// The UTC day holding `t`.
pub fn day_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// An inbox's business hours, as the derivation uses them.
#[derive(Debug, Clone)]
pub struct Hours {
    pub enabled: bool,
    pub days: Vec<WorkingDay>,
    pub zone: chrono_tz::Tz,
}

impl Hours {
    /// From the inbox's columns; an unknown zone name counts as UTC.
    pub fn new(enabled: bool, working_hours: &Value, timezone: &str) -> Self {
        let days = serde_json::from_value(working_hours.clone()).unwrap_or_default();
        let zone = timezone.trim().parse().unwrap_or(chrono_tz::UTC);
        Self { enabled, days, zone }
    }

    /// Seconds of `[from, to)` inside working hours, in the inbox's zone. As the reference,
    /// 0 when the inbox does not keep working hours.
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        if !self.enabled || to <= from {
            return 0.0;
        }
        let zone = self.zone;
        let start_day = from.with_timezone(&zone).date_naive() - Duration::days(1);
        let end_day = to.with_timezone(&zone).date_naive();
        // A span of years is walked day by day at most this far: a bound on the work, not a
        // rule (no conversation waits ten years).
        let end_day = end_day.min(start_day + Duration::days(3700));
        let local = |d: NaiveDate, t: NaiveTime| -> Option<DateTime<Utc>> {
            use chrono::offset::LocalResult;
            match zone.from_local_datetime(&d.and_time(t)) {
                LocalResult::Single(x) => Some(x.with_timezone(&Utc)),
                LocalResult::Ambiguous(x, _) => Some(x.with_timezone(&Utc)),
                // In a spring-forward gap: the first instant after it.
                LocalResult::None => {
                    zone.from_local_datetime(&(d.and_time(t) + Duration::hours(1))).earliest().map(|x| x.with_timezone(&Utc))
                }
            }
        };
        let mut total = 0i64;
        let mut d = start_day;
        while d <= end_day {
            let weekday = d.weekday().num_days_from_sunday() as u8;
            if let Some(w) = self.days.iter().find(|w| w.day_of_week == weekday).filter(|w| !w.closed_all_day) {
                let (open, close) = if w.open_all_day {
                    (local(d, NaiveTime::MIN), local(d + Duration::days(1), NaiveTime::MIN))
                } else {
                    let at =
                        |h: Option<u8>, m: Option<u8>| NaiveTime::from_hms_opt(u32::from(h.unwrap_or(0)), u32::from(m.unwrap_or(0)), 0);
                    match (at(w.open_hour, w.open_minutes), at(w.close_hour, w.close_minutes)) {
                        (Some(o), Some(c)) => (local(d, o), local(d, c)),
                        _ => (None, None),
                    }
                };
                if let (Some(open), Some(close)) = (open, close) {
                    let (a, b) = (open.max(from), close.min(to));
                    if b > a {
                        total += (b - a).num_seconds();
                    }
                }
            }
            d += Duration::days(1);
        }
        total as f64
    }
}

/// What the reader remembers of a conversation, from the log alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tracked {
    pub inbox_id: i64,
    /// None when the conversation began before the log that is kept: then its first response
    /// and resolution times are unknown and not reported.
    pub created_at: Option<DateTime<Utc>>,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub labels: Vec<String>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub last_resolved_at: Option<DateTime<Utc>>,
    pub human_replied: bool,
    pub bot_spoke: bool,
}

/// One reporting event, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Reporting {
    pub name: EventName,
    pub value: f64,
    pub value_in_business_hours: f64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub user_id: Option<i64>,
}

/// One thing the roll-ups count. `totals` puts it in the account's and the inbox's rows; each
/// of `by` puts it in that agent's, team's or label's rows (per inbox and overall).
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub metric: Metric,
    pub at: DateTime<Utc>,
    /// 1, or -1 for a conversation leaving a standing count.
    pub weight: i64,
    pub value: f64,
    pub value_bh: f64,
    pub inbox_id: i64,
    pub totals: bool,
    pub by: Vec<(Dim, i64)>,
    /// Labels by title; the reader turns them into `by` entries for the account's labels.
    pub labels: Vec<String>,
}

/// A logged event as the derivation reads it.
pub struct Logged<'a> {
    pub name: &'a str,
    pub data: &'a Value,
    pub logged_at: DateTime<Utc>,
}

/// What one logged event gives.
#[derive(Debug, Default)]
pub struct Derived {
    pub tracked: Option<Tracked>,
    pub events: Vec<Reporting>,
    pub facts: Vec<Fact>,
}

/// The conversation's public id an event is about, when it is about one.
pub fn conversation_of(e: &Logged) -> Option<i64> {
    match e.name {
        "message.created" => e.data.get("conversation_id").and_then(Value::as_i64),
        "conversation.created"
        | "conversation.updated"
        | "conversation.status_changed"
        | "assignee.changed"
        | "team.changed"
        | "conversation.bot_handoff" => e.data.get("id").and_then(Value::as_i64),
        _ => None,
    }
}

/// What the derivation reads of a logged event, or None when it reads nothing of it. The
/// reader keeps this (not the whole payload) and derives from it, so a rebuild from the kept
/// inputs sees exactly what the first reading saw.
pub fn slim(name: &str, data: &Value) -> Option<Value> {
    let pick = |keys: &[&str]| -> serde_json::Map<String, Value> {
        keys.iter().filter_map(|k| data.get(*k).map(|v| ((*k).to_string(), v.clone()))).collect()
    };
    match name {
        "message.created" => {
            let mut m = pick(&["conversation_id", "inbox_id", "message_type", "private", "sender_type", "sender_id", "created_at"]);
            let rule = data.get("content_attributes").and_then(|a| a.get("automation_rule_id")).cloned().unwrap_or(Value::Null);
            m.insert("content_attributes".into(), serde_json::json!({ "automation_rule_id": rule }));
            Some(Value::Object(m))
        }
        "conversation.created"
        | "conversation.updated"
        | "conversation.status_changed"
        | "assignee.changed"
        | "team.changed"
        | "conversation.bot_handoff" => {
            let mut m = pick(&["id", "inbox_id", "status", "labels", "created_at", "updated_at"]);
            let id_of = |k: &str| data.get("meta").and_then(|x| x.get(k)).and_then(|x| x.get("id")).cloned();
            m.insert(
                "meta".into(),
                serde_json::json!({
                    "assignee": id_of("assignee").map(|id| serde_json::json!({ "id": id })),
                    "team": id_of("team").map(|id| serde_json::json!({ "id": id })),
                }),
            );
            Some(Value::Object(m))
        }
        _ => None,
    }
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_i64).and_then(|s| DateTime::from_timestamp(s, 0))
}

/// The conversation's current facts from a conversation payload.
fn refresh(t: &mut Tracked, data: &Value) {
    if let Some(inbox) = data.get("inbox_id").and_then(Value::as_i64) {
        t.inbox_id = inbox;
    }
    if let Some(s) = data.get("status").and_then(Value::as_str) {
        t.status = s.to_string();
    }
    let meta = data.get("meta");
    if let Some(meta) = meta {
        t.assignee_id = meta.get("assignee").and_then(|a| a.get("id")).and_then(Value::as_i64);
        t.team_id = meta.get("team").and_then(|a| a.get("id")).and_then(Value::as_i64);
    }
    if let Some(labels) = data.get("labels").and_then(Value::as_array) {
        t.labels = labels.iter().filter_map(Value::as_str).map(str::to_string).collect();
    }
}

impl Tracked {
    /// The dimensions a fact about the conversation as it stands is counted in.
    fn by(&self, agent: Option<i64>) -> Vec<(Dim, i64)> {
        let mut by = vec![];
        if let Some(a) = agent {
            by.push((Dim::Agent, a));
        }
        if let Some(t) = self.team_id {
            by.push((Dim::Team, t));
        }
        by
    }

    fn fact(&self, metric: Metric, at: DateTime<Utc>, agent: Option<i64>, value: f64, value_bh: f64) -> Fact {
        Fact {
            metric,
            at,
            weight: 1,
            value,
            value_bh,
            inbox_id: self.inbox_id,
            totals: true,
            by: self.by(agent),
            labels: self.labels.clone(),
        }
    }
}

/// The derivation: what `e` gives, knowing `before` of its conversation and the business
/// hours of the conversation's inbox.
pub fn derive(before: Option<&Tracked>, e: &Logged, hours: &Hours) -> Derived {
    let mut out = Derived::default();
    match e.name {
        "conversation.created" => {
            let mut t = before.cloned().unwrap_or_default();
            refresh(&mut t, e.data);
            let created = time(e.data.get("created_at")).unwrap_or(e.logged_at);
            t.created_at = Some(created);
            t.waiting_since = Some(created);
            out.facts.push(Fact { by: vec![], labels: vec![], ..t.fact(Metric::Conversations, created, None, 0.0, 0.0) });
            // Assigned, placed in a team or labelled from the start: those count it too.
            for (dim, id) in t.by(t.assignee_id) {
                out.facts.push(Fact {
                    totals: false,
                    by: vec![(dim, id)],
                    labels: vec![],
                    ..t.fact(Metric::Conversations, created, None, 0.0, 0.0)
                });
            }
            if !t.labels.is_empty() {
                out.facts.push(Fact { totals: false, by: vec![], ..t.fact(Metric::Conversations, created, None, 0.0, 0.0) });
            }
            out.tracked = Some(t);
        }
        "message.created" => {
            let mut t = before.cloned().unwrap_or_else(|| Tracked {
                inbox_id: e.data.get("inbox_id").and_then(Value::as_i64).unwrap_or(0),
                status: "open".into(),
                ..Default::default()
            });
            let at = time(e.data.get("created_at")).unwrap_or(e.logged_at);
            let private = e.data.get("private").and_then(Value::as_bool).unwrap_or(false);
            let sender_type = e.data.get("sender_type").and_then(Value::as_str);
            let sender = e.data.get("sender_id").and_then(Value::as_i64);
            let automated = e.data.get("content_attributes").and_then(|a| a.get("automation_rule_id")).is_some_and(|v| !v.is_null());
            match e.data.get("message_type").and_then(Value::as_i64) {
                Some(0) if !private => {
                    out.facts.push(t.fact(Metric::IncomingMessages, at, t.assignee_id, 0.0, 0.0));
                    t.waiting_since = t.waiting_since.or(Some(at));
                }
                Some(1) if !private => {
                    let human = sender_type == Some("User") && !automated;
                    out.facts.push(t.fact(Metric::OutgoingMessages, at, sender.filter(|_| human), 0.0, 0.0));
                    if sender_type == Some("AgentBot") {
                        t.bot_spoke = true;
                    }
                    if human {
                        if t.first_reply_at.is_none() {
                            if let Some(start) = t.created_at {
                                let value = (at - start).num_seconds().max(0) as f64;
                                let bh = hours.seconds_between(start, at);
                                out.events.push(Reporting {
                                    name: EventName::FirstResponse,
                                    value,
                                    value_in_business_hours: bh,
                                    start,
                                    end: at,
                                    user_id: sender,
                                });
                                out.facts.push(t.fact(Metric::FirstResponse, at, sender, value, bh));
                                out.facts.push(t.fact(Metric::bucket_of(value), at, sender, value, bh));
                            }
                            t.first_reply_at = Some(at);
                        } else if let Some(start) = t.waiting_since {
                            let value = (at - start).num_seconds().max(0) as f64;
                            let bh = hours.seconds_between(start, at);
                            out.events.push(Reporting {
                                name: EventName::ReplyTime,
                                value,
                                value_in_business_hours: bh,
                                start,
                                end: at,
                                user_id: sender,
                            });
                            out.facts.push(t.fact(Metric::ReplyTime, at, sender, value, bh));
                        }
                        t.waiting_since = None;
                        t.human_replied = true;
                    }
                }
                _ => {}
            }
            out.tracked = Some(t);
        }
        "conversation.status_changed" => {
            let mut t = before.cloned().unwrap_or_default();
            let was = t.status.clone();
            refresh(&mut t, e.data);
            let at = time(e.data.get("updated_at")).unwrap_or(e.logged_at);
            if t.status == "resolved" && was != "resolved" {
                if let Some(start) = t.created_at {
                    let value = (at - start).num_seconds().max(0) as f64;
                    let bh = hours.seconds_between(start, at);
                    out.events.push(Reporting {
                        name: EventName::ConversationResolved,
                        value,
                        value_in_business_hours: bh,
                        start,
                        end: at,
                        user_id: t.assignee_id,
                    });
                    out.facts.push(t.fact(Metric::Resolution, at, t.assignee_id, value, bh));
                    // As the reference: a bot resolved it when a bot spoke and no agent did.
                    if t.assignee_id.is_none() && t.bot_spoke && !t.human_replied {
                        out.events.push(Reporting {
                            name: EventName::ConversationBotResolved,
                            value,
                            value_in_business_hours: bh,
                            start,
                            end: at,
                            user_id: None,
                        });
                        out.facts.push(t.fact(Metric::BotResolution, at, None, value, bh));
                    }
                }
                t.last_resolved_at = Some(at);
            } else if t.status == "open" && was != "open" && !was.is_empty() {
                let (start, value, bh) = match t.last_resolved_at {
                    Some(r) => (r, (at - r).num_seconds().max(0) as f64, hours.seconds_between(r, at)),
                    None => (t.created_at.unwrap_or(at), 0.0, 0.0),
                };
                out.events.push(Reporting {
                    name: EventName::ConversationOpened,
                    value,
                    value_in_business_hours: bh,
                    start,
                    end: at,
                    user_id: t.assignee_id,
                });
                out.facts.push(t.fact(Metric::Opened, at, t.assignee_id, value, bh));
                // A reopened conversation waits for its next reply again.
                t.human_replied = false;
            }
            out.tracked = Some(t);
        }
        "conversation.bot_handoff" => {
            let mut t = before.cloned().unwrap_or_default();
            refresh(&mut t, e.data);
            let at = time(e.data.get("updated_at")).unwrap_or(e.logged_at);
            let start = t.created_at.unwrap_or(at);
            let value = (at - start).num_seconds().max(0) as f64;
            let bh = hours.seconds_between(start, at);
            out.events.push(Reporting {
                name: EventName::ConversationBotHandoff,
                value,
                value_in_business_hours: bh,
                start,
                end: at,
                user_id: None,
            });
            out.facts.push(t.fact(Metric::BotHandoff, at, None, value, bh));
            out.tracked = Some(t);
        }
        "assignee.changed" | "team.changed" | "conversation.updated" => {
            let mut t = before.cloned().unwrap_or_default();
            let (agent, team, labels) = (t.assignee_id, t.team_id, t.labels.clone());
            refresh(&mut t, e.data);
            let at = time(e.data.get("updated_at")).unwrap_or(e.logged_at);
            let count = |by: Vec<(Dim, i64)>, labels: Vec<String>| Fact {
                metric: Metric::Conversations,
                at,
                weight: 1,
                value: 0.0,
                value_bh: 0.0,
                inbox_id: t.inbox_id,
                totals: false,
                by,
                labels,
            };
            // An agent's, team's or label's conversations are those given to it in the range.
            if let Some(a) = t.assignee_id.filter(|a| Some(*a) != agent) {
                out.facts.push(count(vec![(Dim::Agent, a)], vec![]));
            }
            if let Some(x) = t.team_id.filter(|x| Some(*x) != team) {
                out.facts.push(count(vec![(Dim::Team, x)], vec![]));
            }
            let added: Vec<String> = t.labels.iter().filter(|l| !labels.contains(l)).cloned().collect();
            if !added.is_empty() {
                out.facts.push(count(vec![], added));
            }
            out.tracked = Some(t);
        }
        _ => {}
    }
    if let Some(after) = &out.tracked {
        let standing = standing(before, after);
        out.facts.extend(standing);
    }
    out
}

/// How a change moves the conversation between the standing counts (by status now, and by
/// label now), which are kept at its creation time. Nothing for a conversation whose creation
/// the kept log does not hold.
fn standing(before: Option<&Tracked>, after: &Tracked) -> Vec<Fact> {
    let Some(created) = after.created_at else { return vec![] };
    let empty = Tracked::default();
    let was = before.filter(|b| b.created_at.is_some()).unwrap_or(&empty);
    let fact = |metric: Metric, weight: i64, labels: Vec<String>| Fact {
        metric,
        at: created,
        weight,
        value: 0.0,
        value_bh: 0.0,
        inbox_id: after.inbox_id,
        totals: labels.is_empty(),
        by: vec![],
        labels,
    };
    let mut out = vec![];
    if was.status != after.status {
        out.extend(Metric::standing(&was.status).map(|m| fact(m, -1, vec![])));
        out.extend(Metric::standing(&after.status).map(|m| fact(m, 1, vec![])));
    }
    let removed: Vec<String> = was.labels.iter().filter(|l| !after.labels.contains(l)).cloned().collect();
    let added: Vec<String> = after.labels.iter().filter(|l| !was.labels.contains(l)).cloned().collect();
    if !removed.is_empty() {
        out.push(fact(Metric::Labelled, -1, removed));
    }
    if !added.is_empty() {
        out.push(fact(Metric::Labelled, 1, added));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        // A bad literal is the epoch, which no assertion expects.
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    fn weekdays_9_to_17(zone: &str) -> Hours {
        Hours::new(true, &serde_json::to_value(crate::inbox::default_working_hours()).unwrap_or_default(), zone)
    }

    #[test]
    fn business_hours_skip_the_weekend_in_the_inbox_zone() {
        // Bogotá is UTC-5 all year. Friday 2026-11-27 16:00 local (21:00 UTC) to Monday
        // 2026-11-30 10:00 local (15:00 UTC): one hour on Friday, one on Monday.
        let h = weekdays_9_to_17("America/Bogota");
        assert_eq!(h.seconds_between(at("2026-11-27T21:00:00Z"), at("2026-11-30T15:00:00Z")), 7200.0);
        // The same instants read in UTC hours: Friday 21:00 is closed, Monday 15:00 is 6 hours in.
        let utc = weekdays_9_to_17("UTC");
        assert_eq!(utc.seconds_between(at("2026-11-27T21:00:00Z"), at("2026-11-30T15:00:00Z")), 6.0 * 3600.0);
        // Disabled working hours give 0, as the reference's.
        let off = Hours::new(false, &json!([]), "UTC");
        assert_eq!(off.seconds_between(at("2026-11-27T21:00:00Z"), at("2026-11-30T15:00:00Z")), 0.0);
        // An unknown zone is UTC.
        assert_eq!(weekdays_9_to_17("Mars/Olympus").zone, chrono_tz::UTC);
        // All-day days count whole.
        let mut week = crate::inbox::default_working_hours();
        week[6].closed_all_day = false;
        week[6].open_all_day = true;
        let sat = Hours::new(true, &serde_json::to_value(week).unwrap_or_default(), "UTC");
        assert_eq!(sat.seconds_between(at("2026-11-28T00:00:00Z"), at("2026-11-29T12:00:00Z")), 86400.0);
    }

    #[test]
    fn business_hours_follow_daylight_saving() {
        // New York leaves daylight time on Sunday 2026-11-01. Friday 2026-10-30 9:00 EDT is
        // 13:00 UTC; Monday 2026-11-02 9:00 EST is 14:00 UTC. Friday's 8 hours, then Monday's
        // first hour ends at 15:00 UTC.
        let h = weekdays_9_to_17("America/New_York");
        assert_eq!(h.seconds_between(at("2026-10-30T13:00:00Z"), at("2026-11-02T15:00:00Z")), 9.0 * 3600.0);
    }

    fn conversation(id: i64, status: &str, created: i64, updated: i64, assignee: Option<i64>, labels: &[&str]) -> Value {
        json!({
            "id": id, "inbox_id": 7, "status": status, "labels": labels,
            "created_at": created, "updated_at": updated,
            "meta": { "assignee": assignee.map(|a| json!({"id": a})), "team": null },
        })
    }

    fn message(id: i64, kind: i64, sender_type: &str, sender: i64, created: i64) -> Value {
        json!({ "id": id, "conversation_id": 1, "inbox_id": 7, "message_type": kind, "private": false,
                "sender_type": sender_type, "sender_id": sender, "created_at": created, "content_attributes": {} })
    }

    /// Runs a sequence through `slim` and `derive` as the reader does.
    fn replay(events: &[(&str, Value)], hours: &Hours) -> (Vec<Reporting>, Vec<Fact>, Option<Tracked>) {
        let (mut state, mut reporting, mut facts) = (None::<Tracked>, vec![], vec![]);
        for (name, data) in events {
            let Some(data) = slim(name, data) else { continue };
            let d = derive(state.as_ref(), &Logged { name, data: &data, logged_at: at("2026-12-01T00:00:00Z") }, hours);
            state = d.tracked.or(state);
            reporting.extend(d.events);
            facts.extend(d.facts);
        }
        (reporting, facts, state)
    }

    #[test]
    fn a_conversation_with_known_times_gives_exact_figures() {
        // Bogotá hours. Created Friday 2026-11-27 16:30 local (21:30 UTC); the contact writes at
        // once; agent 5 answers Monday 9:15 local (14:15 UTC); the contact writes again at 10:00
        // local, agent 5 answers 10:20; resolved 11:00 local (16:00 UTC).
        let h = weekdays_9_to_17("America/Bogota");
        let created = at("2026-11-27T21:30:00Z").timestamp();
        let first = at("2026-11-30T14:15:00Z").timestamp();
        let again = at("2026-11-30T15:00:00Z").timestamp();
        let reply = at("2026-11-30T15:20:00Z").timestamp();
        let resolved = at("2026-11-30T16:00:00Z").timestamp();
        let (events, facts, state) = replay(
            &[
                ("conversation.created", conversation(1, "open", created, created, None, &[])),
                ("message.created", message(1, 0, "Contact", 9, created)),
                ("assignee.changed", conversation(1, "open", created, first - 60, Some(5), &["vip"])),
                ("message.created", message(2, 1, "User", 5, first)),
                ("message.created", message(3, 0, "Contact", 9, again)),
                ("message.created", message(4, 1, "User", 5, reply)),
                ("conversation.status_changed", conversation(1, "resolved", created, resolved, Some(5), &["vip"])),
                ("conversation.status_changed", conversation(1, "open", created, resolved + 600, Some(5), &["vip"])),
            ],
            &h,
        );
        let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["first_response", "reply_time", "conversation_resolved", "conversation_opened"]);
        // First response: 2 days 16 h 45 min in calendar time = 233,100 s; in business hours
        // 30 min on Friday (16:30–17:00) and 15 min on Monday (9:00–9:15) = 2,700 s.
        assert_eq!((events[0].value, events[0].value_in_business_hours), (233_100.0, 2_700.0));
        assert_eq!(events[0].user_id, Some(5));
        // Reply time: 20 minutes, all in business hours.
        assert_eq!((events[1].value, events[1].value_in_business_hours), (1_200.0, 1_200.0));
        // Resolution: 2 days 18 h 30 min = 239,400 s; 30 min Friday + 2 h Monday = 9,000 s.
        assert_eq!((events[2].value, events[2].value_in_business_hours), (239_400.0, 9_000.0));
        assert_eq!(events[2].user_id, Some(5));
        // Reopened 10 minutes after the resolution.
        assert_eq!((events[3].value, events[3].start.timestamp()), (600.0, resolved));
        // Counted facts: one conversation, two incoming and two outgoing messages, the
        // assignment to agent 5 and the label.
        let count = |m: Metric| facts.iter().filter(|f| f.metric == m).count();
        let standing = |m: Metric| facts.iter().filter(|f| f.metric == m).map(|f| f.weight).sum::<i64>();
        // Open at creation, resolved, open again: counted once, as open, at its creation.
        assert_eq!((standing(Metric::StandingOpen), standing(Metric::StandingResolved)), (1, 0));
        assert!(facts.iter().filter(|f| f.metric == Metric::StandingOpen).all(|f| f.at.timestamp() == created));
        assert_eq!(standing(Metric::Labelled), 1);
        assert_eq!(count(Metric::IncomingMessages), 2);
        assert_eq!(count(Metric::OutgoingMessages), 2);
        assert_eq!(count(Metric::Conversations), 3);
        assert_eq!(count(Metric::FirstResponseBucket4), 1);
        let outgoing = facts.iter().find(|f| f.metric == Metric::OutgoingMessages).map(|f| (f.by.clone(), f.labels.clone()));
        assert_eq!(outgoing, Some((vec![(Dim::Agent, 5)], vec!["vip".to_string()])));
        assert_eq!(state.map(|s| s.status), Some("open".into()));
    }

    #[test]
    fn bots_private_notes_and_unknown_starts() {
        let h = Hours::new(false, &json!([]), "UTC");
        let mut note = message(2, 1, "User", 5, 200);
        note["private"] = json!(true);
        let (events, facts, _) = replay(
            &[
                ("conversation.created", conversation(1, "pending", 100, 100, None, &[])),
                ("message.created", message(1, 1, "AgentBot", 3, 150)),
                ("message.created", note),
                ("conversation.status_changed", conversation(1, "resolved", 100, 400, None, &[])),
            ],
            &h,
        );
        let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["conversation_resolved", "conversation_bot_resolved"]);
        assert_eq!(events[0].value_in_business_hours, 0.0);
        assert!(facts.iter().all(|f| f.metric != Metric::FirstResponse));
        // A message of a conversation that began before the kept log: counted, but no
        // first-response time is invented.
        let (events, facts, _) = replay(&[("message.created", message(1, 1, "User", 5, 150))], &h);
        assert!(events.is_empty());
        assert_eq!(facts.len(), 1);
        // The handoff: pending to open by the bot.
        let (events, _, _) = replay(
            &[
                ("conversation.created", conversation(1, "pending", 100, 100, None, &[])),
                ("conversation.status_changed", conversation(1, "open", 100, 160, None, &[])),
                ("conversation.bot_handoff", conversation(1, "open", 100, 160, None, &[])),
            ],
            &h,
        );
        let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["conversation_opened", "conversation_bot_handoff"]);
        assert_eq!(events[1].value, 60.0);
    }

    #[test]
    fn ranges_and_periods() {
        let now = at("2026-12-01T12:00:00Z");
        let r = Range::parse(Some("1764547200"), Some("1764633600"), now, MAX_RANGE_DAYS);
        assert_eq!(r.as_ref().ok().map(|r| r.until - r.since), Some(Duration::days(1)));
        assert_eq!(r.as_ref().ok().map(|r| r.previous().until), r.as_ref().ok().map(|r| r.since));
        assert_eq!(Range::parse(Some("x"), None, now, 30).unwrap_err().field, "since");
        assert_eq!(Range::parse(Some("200"), Some("100"), now, 30).unwrap_err().field, "since");
        assert_eq!(Range::parse(Some("0"), Some("100000000"), now, 30).unwrap_err().field, "until");
        assert_eq!(Range::parse(None, None, now, 30).ok().map(|r| r.since), Some(now - Duration::days(30)));
        // Whole days: 2026-11-30 10:00 to 2026-12-03 05:00 holds Dec 1 and 2.
        let r = Range { since: at("2026-11-30T10:00:00Z"), until: at("2026-12-03T05:00:00Z") };
        assert_eq!(r.whole_days(), (at("2026-12-01T00:00:00Z"), at("2026-12-03T00:00:00Z")));
        let short = Range { since: at("2026-11-30T10:00:00Z"), until: at("2026-11-30T11:00:00Z") };
        assert_eq!(short.whole_days(), (at("2026-11-30T11:00:00Z"), at("2026-11-30T11:00:00Z")));
        // Weeks start on Monday; the series has each period, in the caller's offset.
        let r = Range { since: at("2026-11-01T05:00:00Z"), until: at("2026-12-01T05:00:00Z") };
        let days = Grouping::Day.periods(&r, -5 * 3600);
        assert_eq!((days.len(), days.first().copied()), (30, NaiveDate::from_ymd_opt(2026, 11, 1)));
        let weeks = Grouping::Week.periods(&r, -5 * 3600);
        assert_eq!(weeks.first().copied(), NaiveDate::from_ymd_opt(2026, 10, 26));
        assert_eq!(Grouping::Month.periods(&r, 0).len(), 2);
        assert_eq!(offset_seconds(Some("5.5")).ok(), Some(19_800));
        assert_eq!(offset_seconds(Some("x")).unwrap_err().field, "timezone_offset");
        assert_eq!(slot_of(at("2026-11-30T10:14:59Z")), at("2026-11-30T10:00:00Z"));
        assert_eq!(ReportMetric::parse("metric", "nope").unwrap_err().field, "metric");
        assert_eq!(ReportMetric::AvgFirstResponseTime.value(&Sum { count: 2, total: 30.0, total_bh: 10.0 }, true), 5.0);
    }
}
