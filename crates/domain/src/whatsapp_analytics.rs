//! The BSP's conversation analytics and phone-number details as we serve them: the period asked
//! for (read leniently, as query parameters are), and the BSP's data points normalized into our
//! own JSON with totals. The BSP's wire format lives in the `channels` crate.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// How finely the BSP buckets conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    HalfHour,
    Daily,
    Monthly,
}

impl Granularity {
    /// Lenient: `half_hour`, `HALF_HOUR`, `30m`, `day`, `month`…; anything else is daily.
    pub fn lenient(raw: Option<&str>) -> Self {
        let raw = raw.unwrap_or_default().trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match raw.as_str() {
            "half_hour" | "halfhour" | "30m" | "30min" | "hour" | "hourly" => Self::HalfHour,
            "monthly" | "month" => Self::Monthly,
            _ => Self::Daily,
        }
    }
    /// The BSP's name for it.
    pub fn as_bsp(self) -> &'static str {
        match self {
            Self::HalfHour => "HALF_HOUR",
            Self::Daily => "DAILY",
            Self::Monthly => "MONTHLY",
        }
    }
}

/// The conversation types and directions the BSP filters on (its manual's lists).
pub const CONVERSATION_TYPES: [&str; 4] = ["UNKNOWN", "FREE_ENTRY_POINT", "FREE_TIER", "REGULAR"];
pub const CONVERSATION_DIRECTIONS: [&str; 3] = ["UNKNOWN", "USER_INITIATED", "BUSINESS_INITIATED"];

/// What to ask the BSP for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub granularity: Granularity,
    /// ISO country codes, upper case; empty is every country.
    pub country_codes: Vec<String>,
    pub conversation_types: Vec<String>,
    pub conversation_directions: Vec<String>,
}

/// The query parameters as given; every one may be missing or malformed.
#[derive(Debug, Default, Clone)]
pub struct Asked<'a> {
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub granularity: Option<&'a str>,
    pub country_codes: Option<&'a str>,
    pub conversation_types: Option<&'a str>,
    pub conversation_directions: Option<&'a str>,
}

/// How far back the period reaches when `start` is not given.
pub const DEFAULT_DAYS: i64 = 7;

impl Query {
    /// Reads the parameters leniently: an unreadable `end` is now, an unreadable `start` is
    /// seven days before `end`, unknown filter values are dropped. Only a period that ends
    /// before it starts is refused, since no default could say what was meant.
    pub fn lenient(asked: &Asked<'_>, now: DateTime<Utc>) -> Result<Self, ValidationError> {
        let end = asked.end.and_then(|raw| time(raw, true)).unwrap_or(now);
        let start = asked.start.and_then(|raw| time(raw, false)).unwrap_or(end - Duration::days(DEFAULT_DAYS));
        if start > end {
            return Err(ValidationError::invalid("start", "must not be after end"));
        }
        let list = |raw: Option<&str>, known: Option<&[&str]>| -> Vec<String> {
            let mut out: Vec<String> = raw
                .unwrap_or_default()
                .split(',')
                .map(|v| v.trim().to_ascii_uppercase())
                .filter(|v| !v.is_empty())
                .filter(|v| match known {
                    Some(known) => known.contains(&v.as_str()),
                    None => v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic()),
                })
                .collect();
            out.dedup();
            out
        };
        Ok(Self {
            start,
            end,
            granularity: Granularity::lenient(asked.granularity),
            country_codes: list(asked.country_codes, None),
            conversation_types: list(asked.conversation_types, Some(&CONVERSATION_TYPES)),
            conversation_directions: list(asked.conversation_directions, Some(&CONVERSATION_DIRECTIONS)),
        })
    }
}

/// A time as a person or a client would write it: epoch seconds, RFC 3339, `yyyy-mm-dd
/// hh:mm:ss` (UTC) or a bare date, which is the start of that day, or its end for `end_of_day`.
pub fn time(raw: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit()) {
        return raw.parse::<i64>().ok().and_then(|s| Utc.timestamp_opt(s, 0).single());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = bsp_time(raw) {
        return Some(t);
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let at = if end_of_day { day.and_hms_opt(23, 59, 59)? } else { day.and_hms_opt(0, 0, 0)? };
    Some(Utc.from_utc_datetime(&at))
}

/// The BSP's `yyyy-mm-dd hh:mm:ss`, which its manual gives no zone for: read as UTC.
pub fn bsp_time(raw: &str) -> Option<DateTime<Utc>> {
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw.trim(), f).ok())
        .map(|t| Utc.from_utc_datetime(&t))
}

/// The BSP's format for times it is sent.
pub fn to_bsp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// One bucket of the BSP's answer, normalized: times in RFC 3339, a number for the count,
/// lower-case type and direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataPoint {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub conversations: u64,
    pub country: Option<String>,
    pub phone_number: Option<String>,
    pub conversation_type: Option<String>,
    pub conversation_direction: Option<String>,
}

/// A data point as the BSP wrote it, every field text.
#[derive(Debug, Clone, Default)]
pub struct RawPoint<'a> {
    pub start: &'a str,
    pub end: &'a str,
    pub conversation: &'a str,
    pub country: Option<&'a str>,
    pub phone_number: Option<&'a str>,
    pub conversation_type: Option<&'a str>,
    pub conversation_direction: Option<&'a str>,
}

impl DataPoint {
    /// None when its times or count are unreadable: such a point is left out, not guessed.
    pub fn normalize(raw: &RawPoint<'_>) -> Option<Self> {
        let text = |v: Option<&str>, lower: bool| {
            v.map(str::trim).filter(|v| !v.is_empty()).map(|v| if lower { v.to_ascii_lowercase() } else { v.to_string() })
        };
        let count = raw.conversation.trim();
        let conversations = count.parse::<u64>().ok().or_else(|| count.parse::<f64>().ok().filter(|f| *f >= 0.0).map(|f| f as u64))?;
        Some(Self {
            start: bsp_time(raw.start)?,
            end: bsp_time(raw.end)?,
            conversations,
            country: text(raw.country, false).map(|c| c.to_ascii_uppercase()),
            phone_number: text(raw.phone_number, false),
            conversation_type: text(raw.conversation_type, true),
            conversation_direction: text(raw.conversation_direction, true),
        })
    }
}

/// Conversation counts over the whole period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub conversations: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_direction: BTreeMap<String, u64>,
    pub by_country: BTreeMap<String, u64>,
}

/// The analytics of one inbox's number, as `GET …/whatsapp_analytics` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub inbox_id: i64,
    pub waba_id: String,
    pub phone_number: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub granularity: Granularity,
    pub totals: Totals,
    pub data_points: Vec<DataPoint>,
}

impl Report {
    /// Orders the points by time (the BSP lists them newest first, or in no order) and adds
    /// them up.
    pub fn new(inbox_id: i64, waba_id: &str, phone_number: Option<&str>, query: &Query, mut points: Vec<DataPoint>) -> Self {
        points.sort_by(|a, b| {
            (a.start, &a.phone_number, &a.country, &a.conversation_type, &a.conversation_direction).cmp(&(
                b.start,
                &b.phone_number,
                &b.country,
                &b.conversation_type,
                &b.conversation_direction,
            ))
        });
        let mut totals = Totals::default();
        for p in &points {
            totals.conversations += p.conversations;
            let unknown = || "unknown".to_string();
            *totals.by_type.entry(p.conversation_type.clone().unwrap_or_else(unknown)).or_default() += p.conversations;
            *totals.by_direction.entry(p.conversation_direction.clone().unwrap_or_else(unknown)).or_default() += p.conversations;
            *totals.by_country.entry(p.country.clone().unwrap_or_else(unknown)).or_default() += p.conversations;
        }
        Self {
            inbox_id,
            waba_id: waba_id.to_string(),
            phone_number: phone_number.map(str::to_string),
            start: query.start,
            end: query.end,
            granularity: query.granularity,
            totals,
            data_points: points,
        }
    }
}

/// A number of the WABA as getPhoneNumbers lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberDetails {
    pub id: Option<String>,
    pub verified_name: Option<String>,
    pub display_phone_number: Option<String>,
    pub quality_rating: Option<String>,
    pub code_verification_status: Option<String>,
}

/// What we know of an inbox's number from the BSP, and when and how the last look went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberCheck {
    #[serde(flatten)]
    pub details: NumberDetails,
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the last look failed; the details are then those of the last look that worked.
    pub error: Option<String>,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The inbox's number among the WABA's: the one whose digits are the inbox's, or the only one
/// when the WABA has a single number (the BSP may show it masked, `+57 324XXXXXXX`).
pub fn pick_number<'a>(listed: &'a [NumberDetails], inbox_number: &str) -> Option<&'a NumberDetails> {
    let ours = digits(inbox_number);
    listed.iter().find(|n| n.display_phone_number.as_deref().is_some_and(|d| !ours.is_empty() && digits(d) == ours)).or(match listed {
        [only] => Some(only),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn at(raw: &str) -> DateTime<Utc> {
        bsp_time(raw).unwrap_or_default()
    }

    #[test]
    fn the_period_is_read_leniently() -> TestResult {
        let now = at("2022-09-21 12:00:00");
        let q = Query::lenient(
            &Asked { start: Some("2022-09-20"), end: Some("2022-09-20"), granularity: Some("HALF_HOUR"), ..Asked::default() },
            now,
        )?;
        assert_eq!((q.start, q.end, q.granularity), (at("2022-09-20 00:00:00"), at("2022-09-20 23:59:59"), Granularity::HalfHour));
        let q = Query::lenient(
            &Asked { start: Some("yesterday"), end: Some("1663718400"), granularity: Some("weekly"), ..Asked::default() },
            now,
        )?;
        assert_eq!((q.start, q.end, q.granularity), (at("2022-09-14 00:00:00"), at("2022-09-21 00:00:00"), Granularity::Daily));
        let q = Query::lenient(&Asked { start: Some("2022-09-20T10:00:00-05:00"), ..Asked::default() }, now)?;
        assert_eq!((q.start, q.end), (at("2022-09-20 15:00:00"), now));
        let backwards = Query::lenient(&Asked { start: Some("2022-09-21"), end: Some("2022-09-20"), ..Asked::default() }, now);
        assert_eq!(backwards.err().map(|e| e.field), Some("start".to_string()));
        Ok(())
    }

    #[test]
    fn unknown_filter_values_are_dropped() -> TestResult {
        let asked = Asked {
            country_codes: Some("co, pe,,Colombia,GT"),
            conversation_types: Some("regular,free_tier,paid"),
            conversation_directions: Some("user_initiated,sideways"),
            ..Asked::default()
        };
        let q = Query::lenient(&asked, Utc::now())?;
        assert_eq!(q.country_codes, vec!["CO", "PE", "GT"]);
        assert_eq!(q.conversation_types, vec!["REGULAR", "FREE_TIER"]);
        assert_eq!(q.conversation_directions, vec!["USER_INITIATED"]);
        assert_eq!(Granularity::lenient(Some("month")).as_bsp(), "MONTHLY");
        Ok(())
    }

    #[test]
    fn points_are_normalized_ordered_and_added_up() -> TestResult {
        fn raw<'a>(start: &'a str, count: &'a str, country: &'a str, direction: &'a str) -> RawPoint<'a> {
            RawPoint {
                start,
                end: "2022-09-20 23:59:59",
                conversation: count,
                country: Some(country),
                phone_number: Some("57319XXXXXXX"),
                conversation_type: Some("REGULAR"),
                conversation_direction: Some(direction),
            }
        }
        let points: Vec<DataPoint> = [
            raw("2022-09-20 18:00:00", "1", "CO", "USER_INITIATED"),
            raw("2022-09-20 14:30:00", "2", "ve", "BUSINESS_INITIATED"),
            raw("not a time", "1", "CO", "USER_INITIATED"),
            raw("2022-09-20 16:00:00", "many", "CO", "USER_INITIATED"),
            raw("2022-09-20 16:00:00", "3.0", "CO", "USER_INITIATED"),
        ]
        .iter()
        .filter_map(DataPoint::normalize)
        .collect();
        assert_eq!(points.len(), 3);
        let q = Query::lenient(&Asked { start: Some("2022-09-20"), end: Some("2022-09-20"), ..Asked::default() }, Utc::now())?;
        let report = Report::new(1, "236928178367012", Some("573195679433"), &q, points);
        let starts: Vec<String> = report.data_points.iter().map(|p| p.start.format("%H:%M").to_string()).collect();
        assert_eq!(starts, vec!["14:30", "16:00", "18:00"]);
        assert_eq!(report.totals.conversations, 6);
        assert_eq!(report.totals.by_country.get("VE"), Some(&2));
        assert_eq!(report.totals.by_direction.get("user_initiated"), Some(&4));
        assert_eq!(report.totals.by_type.get("regular"), Some(&6));
        let json = serde_json::to_value(&report)?;
        assert_eq!(json["granularity"], "daily");
        assert_eq!(json["data_points"][0]["start"], "2022-09-20T14:30:00Z");
        assert_eq!(json["data_points"][0]["conversation_direction"], "business_initiated");
        Ok(())
    }

    #[test]
    fn the_inbox_number_is_found_by_its_digits() {
        let n = |id: &str, display: &str| NumberDetails {
            id: Some(id.into()),
            display_phone_number: Some(display.into()),
            ..Default::default()
        };
        let listed = vec![n("1", "+57 324 555 0001"), n("2", "+57 324 555 0002")];
        assert_eq!(pick_number(&listed, "+573245550002").and_then(|x| x.id.as_deref()), Some("2"));
        assert_eq!(pick_number(&listed, "+573245550009"), None);
        let masked = vec![n("3", "+57 324XXXXXXX")];
        assert_eq!(pick_number(&masked, "+573245550009").and_then(|x| x.id.as_deref()), Some("3"));
    }
}
