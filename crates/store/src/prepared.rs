//! Hand-written SQL that stays prepared. diesel never caches a `sql_query` (it cannot know the
//! text is fixed), so PostgreSQL parses and plans it on every call; on the hot write paths that
//! planning costs more than the work. A `Prepared` statement's text is `'static`, so the
//! connection's statement cache keeps it, and PostgreSQL may settle on a generic plan.

use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{SqlType, Untyped};
use diesel::QueryResult;

/// SQL with `$1`, `$2`, … placeholders, each of which may appear any number of times, and
/// its binds in placeholder order.
pub struct Prepared<'a> {
    sql: &'static str,
    binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'a>>,
}

pub fn prepared(sql: &'static str) -> Prepared<'static> {
    Prepared { sql, binds: Vec::new() }
}

impl<'a> Prepared<'a> {
    /// The value of the next placeholder, as SQL type `ST`.
    pub fn bind<ST, T>(self, value: T) -> Prepared<'a>
    where
        ST: SqlType + diesel::expression::TypedExpressionType,
        T: AsExpression<ST>,
        T::Expression: QueryFragment<Pg> + Send + 'a,
    {
        let mut binds = self.binds;
        binds.push(Box::new(value.as_expression()));
        Prepared { sql: self.sql, binds }
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // diesel numbers placeholders itself as binds are pushed, so the text is cut at each
        // `$n` and the n-th bind pushed there (again, if `$n` repeats).
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                out.push_sql(&rest[..=at]);
                rest = &rest[at + 1..];
                continue;
            }
            out.push_sql(&rest[..at]);
            let n: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
            let bind = n
                .checked_sub(1)
                .and_then(|i| self.binds.get(i))
                .ok_or_else(|| diesel::result::Error::QueryBuilderError(format!("placeholder ${n} has no bind in: {}", self.sql).into()))?;
            bind.walk_ast(out.reborrow())?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{BigInt, Text};

    #[test]
    fn placeholders_become_binds_in_order_and_may_repeat() {
        let q = prepared("SELECT $1::bigint + $2, '$x', $1").bind::<BigInt, _>(1_i64).bind::<Text, _>("a");
        let sql = diesel::debug_query::<Pg, _>(&q).to_string();
        assert!(sql.starts_with("SELECT $1::bigint + $2, '$x', $3"), "{sql}");
        assert!(sql.contains("binds: [1, \"a\", 1]"), "{sql}");
    }

    #[test]
    fn a_placeholder_without_a_bind_is_an_error() {
        let q = prepared("SELECT $2").bind::<BigInt, _>(1_i64);
        assert!(q.to_sql(&mut diesel::pg::PgQueryBuilder::default(), &Pg).is_err());
    }
}
