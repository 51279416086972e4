//! The reference's filter payload (`POST …/filter`): conditions joined by AND/OR, where AND binds
//! tighter, as in SQL.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    EqualTo,
    NotEqualTo,
    Contains,
    DoesNotContain,
    IsPresent,
    IsNotPresent,
    IsGreaterThan,
    IsLessThan,
    DaysBefore,
}

impl Operator {
    fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        Ok(match raw {
            "equal_to" => Self::EqualTo,
            "not_equal_to" => Self::NotEqualTo,
            "contains" => Self::Contains,
            "does_not_contain" => Self::DoesNotContain,
            "is_present" => Self::IsPresent,
            "is_not_present" => Self::IsNotPresent,
            "is_greater_than" => Self::IsGreaterThan,
            "is_less_than" => Self::IsLessThan,
            "days_before" => Self::DaysBefore,
            _ => return Err(ValidationError::new(field, "inclusion", "is not a known filter operator")),
        })
    }

    fn needs_values(self) -> bool {
        !matches!(self, Self::IsPresent | Self::IsNotPresent)
    }
}

/// What kind of value an attribute holds decides which operators apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Ids: equal or not.
    Number,
    /// Quantities (a custom number, currency or percent attribute): compared as numbers.
    Decimal,
    Date,
    Boolean,
    Labels,
}

/// A checked condition, with its values already typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    None,
    Texts(Vec<String>),
    Numbers(Vec<i64>),
    Decimals(Vec<f64>),
    Date(DateTime<Utc>),
    Days(i64),
    Boolean(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// A known attribute, or `None` for a custom attribute named by `key`.
    pub attribute: Option<&'static str>,
    pub key: String,
    pub kind: Kind,
    pub operator: Operator,
    pub values: Values,
}

#[derive(Debug, Deserialize)]
pub struct RawCondition {
    pub attribute_key: String,
    pub filter_operator: String,
    #[serde(default)]
    pub values: Value,
    #[serde(default)]
    pub query_operator: Option<String>,
}

/// Conditions in OR-groups of AND-ed conditions: `a AND b OR c` is `[[a, b], [c]]`.
pub type Groups = Vec<Vec<Condition>>;

fn texts(v: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // The dashboard sends {id, name} objects for ids (assignee, inbox, team).
        Value::Object(o) => o.get("id").map(|id| match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

fn date(field: &str, raw: &str) -> Result<DateTime<Utc>, ValidationError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| ValidationError::invalid(field, "must be a date (YYYY-MM-DD)"))
}

/// Parses the payload against the attributes a resource knows (`known`: key and kind).
/// Keys that are not known are custom attributes (text).
pub fn parse(raw: &[RawCondition], known: &[(&'static str, Kind)]) -> Result<Groups, ValidationError> {
    parse_with(raw, known, &[])
}

/// `parse`, with the kinds of the account's defined custom attributes (`custom`): a number
/// compares as a number, a date as a date. Other custom keys are text.
pub fn parse_with(raw: &[RawCondition], known: &[(&'static str, Kind)], custom: &[(String, Kind)]) -> Result<Groups, ValidationError> {
    if raw.is_empty() {
        return Err(ValidationError::blank("payload"));
    }
    let mut groups: Groups = vec![vec![]];
    for (i, c) in raw.iter().enumerate() {
        let at = |what: &str| format!("payload[{i}].{what}");
        let key = c.attribute_key.trim();
        if key.is_empty() || key.len() > 255 {
            return Err(ValidationError::invalid(&at("attribute_key"), "must name an attribute"));
        }
        let operator = Operator::parse(&at("filter_operator"), c.filter_operator.trim())?;
        let (attribute, kind) = match known.iter().find(|(k, _)| *k == key) {
            Some((k, kind)) => (Some(*k), *kind),
            None => (None, custom.iter().find(|(k, _)| k == key).map_or(Kind::Text, |(_, kind)| *kind)),
        };
        let allowed = match kind {
            Kind::Text => !matches!(operator, Operator::IsGreaterThan | Operator::IsLessThan | Operator::DaysBefore),
            Kind::Number | Kind::Labels => {
                matches!(operator, Operator::EqualTo | Operator::NotEqualTo | Operator::IsPresent | Operator::IsNotPresent)
            }
            Kind::Decimal => !matches!(operator, Operator::Contains | Operator::DoesNotContain | Operator::DaysBefore),
            Kind::Boolean => matches!(operator, Operator::EqualTo | Operator::NotEqualTo),
            Kind::Date => !matches!(operator, Operator::Contains | Operator::DoesNotContain),
        };
        if !allowed {
            return Err(ValidationError::invalid(&at("filter_operator"), format!("does not apply to {key}")));
        }
        let raw_values = texts(&c.values);
        if operator.needs_values() && raw_values.is_empty() {
            return Err(ValidationError::blank(&at("values")));
        }
        let values = if !operator.needs_values() {
            Values::None
        } else {
            match (kind, operator) {
                (Kind::Number, _) => Values::Numbers(
                    raw_values
                        .iter()
                        .map(|v| v.trim().parse::<i64>().map_err(|_| ValidationError::invalid(&at("values"), "must be ids")))
                        .collect::<Result<_, _>>()?,
                ),
                (Kind::Decimal, _) => Values::Decimals(
                    raw_values
                        .iter()
                        .map(|v| v.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| ValidationError::invalid(&at("values"), "must be numbers"))?,
                ),
                (Kind::Boolean, _) => Values::Boolean(matches!(raw_values[0].trim(), "true" | "1" | "yes")),
                (Kind::Date, Operator::DaysBefore) => Values::Days(
                    raw_values[0]
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|d| (0..=36_500).contains(d))
                        .ok_or_else(|| ValidationError::invalid(&at("values"), "must be a number of days"))?,
                ),
                (Kind::Date, _) => Values::Date(date(&at("values"), raw_values[0].trim())?),
                (Kind::Labels, _) => Values::Texts(raw_values.iter().map(|v| v.trim().to_lowercase()).collect()),
                (Kind::Text, _) => Values::Texts(raw_values),
            }
        };
        let condition = Condition { attribute, key: key.to_string(), kind, operator, values };
        if let Some(group) = groups.last_mut() {
            group.push(condition);
        }
        let is_last = i + 1 == raw.len();
        match c.query_operator.as_deref().map(|q| q.trim().to_ascii_uppercase()) {
            Some(op) if op == "OR" && !is_last => groups.push(vec![]),
            Some(op) if op == "AND" || op == "OR" || op.is_empty() => {}
            None => {}
            Some(_) => return Err(ValidationError::new(at("query_operator"), "inclusion", "must be AND or OR")),
        }
    }
    Ok(groups)
}

/// An attribute's value as a condition sees it, for conditions checked in memory (automation
/// rules) rather than in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    Missing,
    Text(String),
    Number(i64),
    Decimal(f64),
    Date(DateTime<Utc>),
    Boolean(bool),
    Labels(Vec<String>),
}

impl Fact {
    /// A JSON value (a custom attribute) read as `kind`; what does not read is missing.
    pub fn from_json(v: Option<&Value>, kind: Kind) -> Self {
        let Some(v) = v.filter(|v| !v.is_null()) else { return Self::Missing };
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match kind {
            Kind::Decimal => text.trim().parse::<f64>().map_or(Self::Missing, Self::Decimal),
            Kind::Number => text.trim().parse::<i64>().map_or(Self::Missing, Self::Number),
            Kind::Date => date("", text.trim()).map_or(Self::Missing, Self::Date),
            Kind::Boolean => match text.trim() {
                "true" => Self::Boolean(true),
                "false" => Self::Boolean(false),
                _ => Self::Missing,
            },
            Kind::Labels => Self::Labels(texts(v)),
            Kind::Text => Self::Text(text),
        }
    }
}

/// Whether the facts (`fact` gives each condition's) satisfy the groups, with the same
/// meaning the SQL of the filter endpoints gives them: text compares without case, `contains`
/// looks for the first value, a date `equal_to` is the same day, and a missing value is neither
/// equal nor present.
pub fn matches(groups: &Groups, now: DateTime<Utc>, fact: impl Fn(&Condition) -> Fact) -> bool {
    groups.iter().any(|group| group.iter().all(|c| holds(c, &fact(c), now)))
}

fn holds(c: &Condition, fact: &Fact, now: DateTime<Utc>) -> bool {
    let present = match fact {
        Fact::Missing => false,
        Fact::Text(s) => !s.is_empty(),
        Fact::Labels(l) => !l.is_empty(),
        _ => true,
    };
    match c.operator {
        Operator::IsPresent => return present,
        Operator::IsNotPresent => return !present,
        _ => {}
    }
    let negated = matches!(c.operator, Operator::NotEqualTo | Operator::DoesNotContain);
    let positive = match (fact, &c.values) {
        (Fact::Missing, _) => false,
        (Fact::Labels(have), Values::Texts(want)) => have.iter().any(|l| want.iter().any(|w| w.eq_ignore_ascii_case(l))),
        (Fact::Number(n), Values::Numbers(want)) => want.contains(n),
        (Fact::Decimal(x), Values::Decimals(want)) => match c.operator {
            Operator::IsGreaterThan => want.first().is_some_and(|w| x > w),
            Operator::IsLessThan => want.first().is_some_and(|w| x < w),
            _ => want.iter().any(|w| (x - w).abs() < 1e-9),
        },
        (Fact::Boolean(b), Values::Boolean(want)) => b == want,
        (Fact::Date(t), Values::Days(n)) => *t < now - chrono::Duration::days(*n),
        (Fact::Date(t), Values::Date(d)) => match c.operator {
            Operator::IsGreaterThan => t > d,
            Operator::IsLessThan => t < d,
            _ => *t >= *d && *t < *d + chrono::Duration::days(1),
        },
        (Fact::Text(s), Values::Texts(want)) => match c.operator {
            Operator::Contains | Operator::DoesNotContain => want.first().is_some_and(|w| s.to_lowercase().contains(&w.to_lowercase())),
            _ => want.iter().any(|w| w.to_lowercase() == s.to_lowercase()),
        },
        // A number or boolean compared with text (an id written as a custom attribute, say).
        (Fact::Number(n), Values::Texts(want)) => want.iter().any(|w| w.trim() == n.to_string()),
        _ => false,
    };
    if negated {
        !positive
    } else {
        positive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KNOWN: &[(&str, Kind)] =
        &[("name", Kind::Text), ("inbox_id", Kind::Number), ("created_at", Kind::Date), ("labels", Kind::Labels)];

    fn raw(v: Value) -> Vec<RawCondition> {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let groups = parse(
            &raw(json!([
                { "attribute_key": "name", "filter_operator": "contains", "values": ["a"], "query_operator": "AND" },
                { "attribute_key": "inbox_id", "filter_operator": "equal_to", "values": [{ "id": 3, "name": "x" }], "query_operator": "OR" },
                { "attribute_key": "plan", "filter_operator": "equal_to", "values": "gold", "query_operator": null }
            ])),
            KNOWN,
        )
        .unwrap_or_default();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), 2);
        assert_eq!(groups[0][1].values, Values::Numbers(vec![3]));
        assert_eq!(groups[1][0].attribute, None, "unknown keys are custom attributes");
        assert_eq!(groups[1][0].key, "plan");
    }

    #[test]
    fn bad_conditions_name_their_place() {
        let field = |v: Value| parse(&raw(v), KNOWN).err().map(|e| e.field);
        assert_eq!(
            field(json!([{ "attribute_key": "name", "filter_operator": "resembles", "values": ["a"] }])),
            Some("payload[0].filter_operator".into())
        );
        assert_eq!(
            field(json!([{ "attribute_key": "name", "filter_operator": "equal_to", "values": [] }])),
            Some("payload[0].values".into())
        );
        assert_eq!(
            field(json!([{ "attribute_key": "inbox_id", "filter_operator": "equal_to", "values": ["x"] }])),
            Some("payload[0].values".into())
        );
        assert_eq!(
            field(json!([{ "attribute_key": "inbox_id", "filter_operator": "contains", "values": ["1"] }])),
            Some("payload[0].filter_operator".into())
        );
        assert_eq!(
            field(json!([{ "attribute_key": "created_at", "filter_operator": "is_greater_than", "values": ["soon"] }])),
            Some("payload[0].values".into())
        );
        assert_eq!(field(json!([])), Some("payload".into()));
        assert!(parse(&raw(json!([{ "attribute_key": "created_at", "filter_operator": "days_before", "values": ["3"] }])), KNOWN).is_ok());
        assert!(parse(&raw(json!([{ "attribute_key": "name", "filter_operator": "is_present" }])), KNOWN).is_ok());
    }

    #[test]
    fn defined_custom_attributes_take_their_kind() {
        let custom = [("seats".to_string(), Kind::Decimal), ("renews".to_string(), Kind::Date)];
        let one = |v: Value| parse_with(&raw(v), KNOWN, &custom);
        let g = one(json!([{ "attribute_key": "seats", "filter_operator": "is_greater_than", "values": ["9.5"] }])).unwrap_or_default();
        assert_eq!(g[0][0].values, Values::Decimals(vec![9.5]));
        assert!(one(json!([{ "attribute_key": "seats", "filter_operator": "is_greater_than", "values": ["many"] }])).is_err());
        assert!(one(json!([{ "attribute_key": "seats", "filter_operator": "contains", "values": ["1"] }])).is_err());
        assert!(one(json!([{ "attribute_key": "renews", "filter_operator": "is_less_than", "values": ["2027-01-01"] }])).is_ok());
        // Undefined keys stay text: greater-than does not apply.
        assert!(one(json!([{ "attribute_key": "shoe", "filter_operator": "is_greater_than", "values": ["9"] }])).is_err());
    }

    #[test]
    fn facts_match_as_the_sql_does() {
        let now = Utc::now();
        let custom = [("seats".to_string(), Kind::Decimal)];
        let groups = parse_with(
            &raw(json!([
                { "attribute_key": "name", "filter_operator": "contains", "values": ["HELP"], "query_operator": "AND" },
                { "attribute_key": "seats", "filter_operator": "is_greater_than", "values": [10], "query_operator": "OR" },
                { "attribute_key": "labels", "filter_operator": "equal_to", "values": ["vip"] }
            ])),
            KNOWN,
            &custom,
        )
        .unwrap_or_default();
        let facts = |name: &str, seats: Value, labels: &[&str]| {
            let (name, labels) = (name.to_string(), labels.iter().map(|l| l.to_string()).collect::<Vec<_>>());
            move |c: &Condition| match c.key.as_str() {
                "name" => Fact::Text(name.clone()),
                "seats" => Fact::from_json(Some(&seats), Kind::Decimal),
                "labels" => Fact::Labels(labels.clone()),
                _ => Fact::Missing,
            }
        };
        assert!(matches(&groups, now, facts("I need help", json!("12"), &[])));
        assert!(!matches(&groups, now, facts("I need help", json!(9), &[])), "9 is not more than 10, as a number");
        assert!(!matches(&groups, now, facts("I need help", json!("lots"), &[])), "what does not read is missing");
        assert!(matches(&groups, now, facts("hello", json!(null), &["vip"])), "the OR group");
        let not = parse(&raw(json!([{ "attribute_key": "name", "filter_operator": "not_equal_to", "values": ["a"] }])), KNOWN)
            .unwrap_or_default();
        assert!(matches(&not, now, |_| Fact::Missing), "a missing value is not equal");
    }
}
