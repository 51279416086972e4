//! Scheduled messages: their statuses, the recurrence a message may repeat on, and when its
//! next occurrence is (or that there is none).

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Kept, not scheduled.
    Draft,
    /// Goes out at `scheduled_at`.
    Pending,
    Sent,
    /// Could not go out; the reason is kept.
    Failed,
    /// The contact wrote first (and the message was to be cancelled then).
    Cancelled,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// What a client may ask for: draft or pending.
    pub fn requested(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "draft" => Ok(Self::Draft),
            "pending" => Ok(Self::Pending),
            _ => Err(ValidationError::new(field, "inclusion", "must be draft or pending")),
        }
    }

    pub fn from_stored(raw: &str) -> Self {
        [Self::Draft, Self::Pending, Self::Sent, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == raw)
            .unwrap_or(Self::Failed)
    }

    /// Drafts and pending messages may still be changed or deleted.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Pending)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

/// How a message repeats: every day, week or month, until a date (inclusive) and/or for a
/// number of sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    pub frequency: Frequency,
    pub ends_on: Option<NaiveDate>,
    pub max_sends: Option<i32>,
}

impl Recurrence {
    /// `{"frequency": "daily"|"weekly"|"monthly", "ends_on": "YYYY-MM-DD", "max_sends": n}`;
    /// null is none. Errors name `recurrence.<key>`.
    pub fn parse(raw: &Value) -> Result<Option<Self>, ValidationError> {
        let obj = match raw {
            Value::Null => return Ok(None),
            Value::Object(o) => o,
            _ => return Err(ValidationError::invalid("recurrence", "must be an object {frequency, ends_on, max_sends}")),
        };
        if let Some(k) = obj.keys().find(|k| !["frequency", "ends_on", "max_sends"].contains(&k.as_str())) {
            return Err(ValidationError::invalid(&format!("recurrence.{k}"), "is not a recurrence field"));
        }
        let frequency = match obj.get("frequency").and_then(Value::as_str).map(str::trim) {
            Some("daily") => Frequency::Daily,
            Some("weekly") => Frequency::Weekly,
            Some("monthly") => Frequency::Monthly,
            _ => return Err(ValidationError::new("recurrence.frequency", "inclusion", "must be daily, weekly or monthly")),
        };
        let ends_on = match obj.get("ends_on") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| ValidationError::invalid("recurrence.ends_on", "must be a date (YYYY-MM-DD)"))?,
            ),
            Some(_) => return Err(ValidationError::invalid("recurrence.ends_on", "must be a date (YYYY-MM-DD)")),
        };
        let max_sends = match obj.get("max_sends") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .filter(|n| (1..=1000).contains(n))
                    .map(|n| n as i32)
                    .ok_or_else(|| ValidationError::invalid("recurrence.max_sends", "must be a number from 1 to 1000"))?,
            ),
        };
        Ok(Some(Self { frequency, ends_on, max_sends }))
    }

    pub fn to_json(&self) -> Value {
        let frequency = match self.frequency {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        };
        json!({ "frequency": frequency, "ends_on": self.ends_on.map(|d| d.to_string()), "max_sends": self.max_sends })
    }

    /// After a send at `at` (the `sends`-th), when the next one is, if any.
    pub fn next(&self, at: DateTime<Utc>, sends: i32) -> Option<DateTime<Utc>> {
        if self.max_sends.is_some_and(|max| sends >= max) {
            return None;
        }
        let next = match self.frequency {
            Frequency::Daily => at + chrono::Duration::days(1),
            Frequency::Weekly => at + chrono::Duration::weeks(1),
            // The 31st of a shorter month is its last day.
            Frequency::Monthly => at.checked_add_months(Months::new(1))?,
        };
        match self.ends_on {
            Some(end) if next.date_naive() > end => None,
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn recurrences_repeat_until_their_end() {
        let at = Utc.with_ymd_and_hms(2027, 1, 31, 9, 0, 0).single().unwrap_or_default();
        let monthly = Recurrence::parse(&json!({ "frequency": "monthly", "max_sends": 3 })).ok().flatten().unwrap();
        assert_eq!(monthly.next(at, 1), Utc.with_ymd_and_hms(2027, 2, 28, 9, 0, 0).single(), "the last day of February");
        assert_eq!(monthly.next(at, 3), None, "three sends made");
        let daily = Recurrence::parse(&json!({ "frequency": "daily", "ends_on": "2027-02-01" })).ok().flatten().unwrap();
        assert!(daily.next(at, 1).is_some());
        assert_eq!(daily.next(at + chrono::Duration::days(1), 2), None, "past ends_on");
        assert_eq!(Recurrence::parse(&Value::Null).ok(), Some(None));
    }

    #[test]
    fn bad_recurrences_name_their_field() {
        let field = |v: Value| Recurrence::parse(&v).err().map(|e| e.field);
        assert_eq!(field(json!({ "frequency": "hourly" })), Some("recurrence.frequency".into()));
        assert_eq!(field(json!({ "frequency": "daily", "ends_on": "soon" })), Some("recurrence.ends_on".into()));
        assert_eq!(field(json!({ "frequency": "daily", "max_sends": 0 })), Some("recurrence.max_sends".into()));
        assert_eq!(field(json!({ "frequency": "daily", "every": 2 })), Some("recurrence.every".into()));
        assert_eq!(field(json!("daily")), Some("recurrence".into()));
    }
}
