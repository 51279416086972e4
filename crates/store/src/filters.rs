//! Turns parsed filter conditions into a WHERE clause. Attribute expressions come from a fixed
//! table per resource; every value, and a custom attribute's key, is a bound parameter.

use chrono::{DateTime, Utc};
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Double, Text, Timestamptz};
use switchboard_domain::filters::{Condition, Groups, Kind, Operator, Values};

/// `%`, `_` and `\` in a search are literal characters, not patterns.
pub fn like_pattern(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(Debug, Clone)]
enum Part {
    Sql(&'static str),
    Text(String),
    Texts(Vec<String>),
    BigInts(Vec<i64>),
    BigInt(i64),
    Doubles(Vec<f64>),
    Double(f64),
    Time(DateTime<Utc>),
    Bool(bool),
}

/// A boolean SQL expression assembled at run time from trusted SQL and bound values.
#[derive(Debug, Clone, Default)]
pub struct Where {
    parts: Vec<Part>,
}

impl Where {
    fn sql(&mut self, s: &'static str) -> &mut Self {
        self.parts.push(Part::Sql(s));
        self
    }
    fn bind(&mut self, p: Part) -> &mut Self {
        self.parts.push(p);
        self
    }
}

impl Expression for Where {
    type SqlType = Bool;
}
impl<QS> AppearsOnTable<QS> for Where {}
impl<QS> SelectableExpression<QS> for Where {}
impl ValidGrouping<()> for Where {
    type IsAggregate = is_aggregate::Never;
}
impl QueryId for Where {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Where {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(s) => out.push_sql(s),
                Part::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Part::Texts(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Part::BigInts(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Part::BigInt(v) => out.push_bind_param::<BigInt, _>(v)?,
                Part::Doubles(v) => out.push_bind_param::<Array<Double>, _>(v)?,
                Part::Double(v) => out.push_bind_param::<Double, _>(v)?,
                Part::Time(v) => out.push_bind_param::<Timestamptz, _>(v)?,
                Part::Bool(v) => out.push_bind_param::<Bool, _>(v)?,
            }
        }
        Ok(())
    }
}

/// Where a resource keeps each known attribute, and its jsonb of custom attributes.
pub struct Columns {
    pub known: &'static [(&'static str, &'static str)],
    pub custom: &'static str,
}

fn push_expr(w: &mut Where, c: &Condition, cols: &Columns) {
    match c.attribute.and_then(|a| cols.known.iter().find(|(k, _)| *k == a)) {
        Some((_, expr)) => {
            w.sql(expr);
        }
        // A defined custom attribute of a typed kind is read through a cast that gives NULL
        // for a value written before its definition (see migration 000024).
        None => {
            let cast = match c.kind {
                Kind::Decimal => "sb_try_float",
                Kind::Date => "sb_try_timestamptz",
                Kind::Boolean => "sb_try_bool",
                _ => "",
            };
            w.sql(cast).sql("(").sql(cols.custom).sql(" ->> ").bind(Part::Text(c.key.clone())).sql(")");
        }
    }
}

fn condition(w: &mut Where, c: &Condition, cols: &Columns) {
    let first_text = || match &c.values {
        Values::Texts(v) => v.first().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let texts_lower = || match &c.values {
        Values::Texts(v) => v.iter().map(|s| s.to_lowercase()).collect(),
        _ => vec![],
    };
    w.sql("(");
    match (c.kind, c.operator, &c.values) {
        (Kind::Labels, Operator::EqualTo, Values::Texts(v)) => {
            push_expr(w, c, cols);
            w.sql(" && ").bind(Part::Texts(v.clone()));
        }
        (Kind::Labels, Operator::NotEqualTo, Values::Texts(v)) => {
            w.sql("NOT (");
            push_expr(w, c, cols);
            w.sql(" && ").bind(Part::Texts(v.clone())).sql(")");
        }
        (Kind::Labels, Operator::IsPresent, _) => {
            w.sql("cardinality(");
            push_expr(w, c, cols);
            w.sql(") > 0");
        }
        (Kind::Labels, _, _) => {
            w.sql("cardinality(");
            push_expr(w, c, cols);
            w.sql(") = 0");
        }
        (_, Operator::IsPresent, _) => {
            push_expr(w, c, cols);
            w.sql(" IS NOT NULL");
            if c.kind == Kind::Text {
                w.sql(" AND ");
                push_expr(w, c, cols);
                w.sql(" <> ''");
            }
        }
        (_, Operator::IsNotPresent, _) => {
            push_expr(w, c, cols);
            w.sql(" IS NULL");
            if c.kind == Kind::Text {
                w.sql(" OR ");
                push_expr(w, c, cols);
                w.sql(" = ''");
            }
        }
        (Kind::Number, op, Values::Numbers(v)) => {
            if op == Operator::NotEqualTo {
                push_expr(w, c, cols);
                w.sql(" IS NULL OR NOT (");
            }
            push_expr(w, c, cols);
            w.sql(" = ANY(").bind(Part::BigInts(v.clone())).sql(")");
            if op == Operator::NotEqualTo {
                w.sql(")");
            }
        }
        (Kind::Decimal, op, Values::Decimals(v)) => match (op, v.first()) {
            (Operator::IsGreaterThan, Some(x)) => {
                push_expr(w, c, cols);
                w.sql(" > ").bind(Part::Double(*x));
            }
            (Operator::IsLessThan, Some(x)) => {
                push_expr(w, c, cols);
                w.sql(" < ").bind(Part::Double(*x));
            }
            (Operator::NotEqualTo, _) => {
                push_expr(w, c, cols);
                w.sql(" IS NULL OR NOT (");
                push_expr(w, c, cols);
                w.sql(" = ANY(").bind(Part::Doubles(v.clone())).sql("))");
            }
            _ => {
                push_expr(w, c, cols);
                w.sql(" = ANY(").bind(Part::Doubles(v.clone())).sql(")");
            }
        },
        (Kind::Boolean, op, Values::Boolean(b)) => {
            push_expr(w, c, cols);
            w.sql(if op == Operator::NotEqualTo { " IS DISTINCT FROM " } else { " = " }).bind(Part::Bool(*b));
        }
        (Kind::Date, Operator::DaysBefore, Values::Days(n)) => {
            push_expr(w, c, cols);
            w.sql(" < now() - (").bind(Part::BigInt(*n)).sql(" * interval '1 day')");
        }
        (Kind::Date, op, Values::Date(t)) => match op {
            Operator::IsGreaterThan => {
                push_expr(w, c, cols);
                w.sql(" > ").bind(Part::Time(*t));
            }
            Operator::IsLessThan => {
                push_expr(w, c, cols);
                w.sql(" < ").bind(Part::Time(*t));
            }
            _ => {
                // The same day.
                if op == Operator::NotEqualTo {
                    w.sql("NOT (");
                }
                push_expr(w, c, cols);
                w.sql(" >= ").bind(Part::Time(*t)).sql(" AND ");
                push_expr(w, c, cols);
                w.sql(" < ").bind(Part::Time(*t + chrono::Duration::days(1)));
                if op == Operator::NotEqualTo {
                    w.sql(")");
                }
            }
        },
        (_, Operator::EqualTo, _) => {
            w.sql("lower(");
            push_expr(w, c, cols);
            w.sql(") = ANY(").bind(Part::Texts(texts_lower())).sql(")");
        }
        (_, Operator::NotEqualTo, _) => {
            push_expr(w, c, cols);
            w.sql(" IS NULL OR NOT (lower(");
            push_expr(w, c, cols);
            w.sql(") = ANY(").bind(Part::Texts(texts_lower())).sql("))");
        }
        (_, Operator::Contains, _) => {
            push_expr(w, c, cols);
            w.sql(" ILIKE ").bind(Part::Text(like_pattern(&first_text())));
        }
        (_, Operator::DoesNotContain, _) => {
            push_expr(w, c, cols);
            w.sql(" IS NULL OR ");
            push_expr(w, c, cols);
            w.sql(" NOT ILIKE ").bind(Part::Text(like_pattern(&first_text())));
        }
        // Combinations the parser refuses; never match rather than guess.
        _ => {
            w.sql("FALSE");
        }
    }
    w.sql(")");
}

/// `(a AND b) OR (c)` for the groups.
pub fn where_clause(groups: &Groups, cols: &Columns) -> Where {
    let mut w = Where::default();
    w.sql("(");
    for (gi, group) in groups.iter().enumerate() {
        if gi > 0 {
            w.sql(" OR ");
        }
        w.sql("(");
        for (ci, c) in group.iter().enumerate() {
            if ci > 0 {
                w.sql(" AND ");
            }
            condition(&mut w, c, cols);
        }
        if group.is_empty() {
            w.sql("TRUE");
        }
        w.sql(")");
    }
    w.sql(")");
    w
}

pub const CONTACT_COLUMNS: Columns = Columns {
    known: &[
        ("name", "contacts.name"),
        ("email", "contacts.email"),
        ("phone_number", "contacts.phone_number"),
        ("identifier", "contacts.identifier"),
        ("city", "(contacts.additional_attributes ->> 'city')"),
        ("country_code", "(contacts.additional_attributes ->> 'country_code')"),
        ("company", "(contacts.additional_attributes ->> 'company_name')"),
        ("created_at", "contacts.created_at"),
        ("last_activity_at", "contacts.last_activity_at"),
        ("labels", "contacts.labels"),
        ("blocked", "contacts.blocked"),
    ],
    custom: "contacts.custom_attributes",
};

pub const CONTACT_KINDS: &[(&str, Kind)] = &[
    ("name", Kind::Text),
    ("email", Kind::Text),
    ("phone_number", Kind::Text),
    ("identifier", Kind::Text),
    ("city", Kind::Text),
    ("country_code", Kind::Text),
    ("company", Kind::Text),
    ("created_at", Kind::Date),
    ("last_activity_at", Kind::Date),
    ("labels", Kind::Labels),
    ("blocked", Kind::Boolean),
];

pub const CONVERSATION_COLUMNS: Columns = Columns {
    known: &[
        ("status", "conversations.status"),
        ("priority", "conversations.priority"),
        ("assignee_id", "conversations.assignee_id"),
        ("inbox_id", "conversations.inbox_id"),
        ("team_id", "conversations.team_id"),
        ("contact_id", "conversations.contact_id"),
        ("display_id", "conversations.display_id"),
        ("labels", "conversations.labels"),
        ("created_at", "conversations.created_at"),
        ("last_activity_at", "conversations.last_activity_at"),
        ("browser_language", "(conversations.additional_attributes ->> 'browser_language')"),
        ("referer", "(conversations.additional_attributes ->> 'referer')"),
        ("group_type", "conversations.group_type"),
    ],
    custom: "conversations.custom_attributes",
};

pub const CONVERSATION_KINDS: &[(&str, Kind)] = &[
    ("status", Kind::Text),
    ("priority", Kind::Text),
    ("assignee_id", Kind::Number),
    ("inbox_id", Kind::Number),
    ("team_id", Kind::Number),
    ("contact_id", Kind::Number),
    ("display_id", Kind::Number),
    ("labels", Kind::Labels),
    ("created_at", Kind::Date),
    ("last_activity_at", Kind::Date),
    ("browser_language", Kind::Text),
    ("referer", Kind::Text),
    ("group_type", Kind::Text),
];
