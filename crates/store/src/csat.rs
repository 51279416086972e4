//! CSAT survey responses: one per survey message (a second answer updates it), the filtered
//! list and the metrics of a range.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::{Conversation, CsatResponse, Message};
use crate::schema::{csat_survey_responses as csat, messages};
use crate::StoreResult;

/// Records the contact's answer to a survey message, or replaces its earlier one.
pub async fn answer(
    conn: &mut AsyncPgConnection,
    c: &Conversation,
    survey: &Message,
    rating: i16,
    feedback: Option<&str>,
) -> StoreResult<CsatResponse> {
    Ok(diesel::insert_into(csat::table)
        .values((
            csat::account_id.eq(c.account_id),
            csat::inbox_id.eq(c.inbox_id),
            csat::conversation_id.eq(c.id),
            csat::message_id.eq(survey.id),
            csat::contact_id.eq(c.contact_id),
            csat::assigned_agent_id.eq(c.assignee_id),
            csat::rating.eq(rating),
            csat::feedback_message.eq(feedback),
        ))
        .on_conflict(csat::message_id)
        .do_update()
        .set((csat::rating.eq(rating), csat::feedback_message.eq(feedback), csat::updated_at.eq(diesel::dsl::now)))
        .returning(CsatResponse::as_returning())
        .get_result(conn)
        .await?)
}

/// The answer to one survey message, if any.
pub async fn of_message(conn: &mut AsyncPgConnection, message_id: i64) -> StoreResult<Option<CsatResponse>> {
    Ok(csat::table.filter(csat::message_id.eq(message_id)).select(CsatResponse::as_select()).first(conn).await.optional()?)
}

/// What the list and the metrics are narrowed by; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct CsatFilter {
    pub account_id: i64,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub inbox_id: Option<i64>,
    pub agent_ids: Vec<i64>,
    pub ratings: Vec<i16>,
}

fn filtered(f: &CsatFilter) -> csat::BoxedQuery<'static, Pg> {
    let mut q = csat::table.filter(csat::account_id.eq(f.account_id)).into_boxed();
    if let Some(t) = f.since {
        q = q.filter(csat::created_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(csat::created_at.lt(t));
    }
    if let Some(id) = f.inbox_id {
        q = q.filter(csat::inbox_id.eq(id));
    }
    if !f.agent_ids.is_empty() {
        q = q.filter(csat::assigned_agent_id.eq_any(f.agent_ids.clone()));
    }
    if !f.ratings.is_empty() {
        q = q.filter(csat::rating.eq_any(f.ratings.clone()));
    }
    q
}

/// A page of responses, newest first, and how many match.
pub async fn page(conn: &mut AsyncPgConnection, f: &CsatFilter, page: i64, per_page: i64) -> StoreResult<(Vec<CsatResponse>, i64)> {
    let rows = filtered(f)
        .order(csat::created_at.desc())
        .then_order_by(csat::id.desc())
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .select(CsatResponse::as_select())
        .load(conn)
        .await?;
    let count = filtered(f).count().get_result(conn).await?;
    Ok((rows, count))
}

#[derive(QueryableByName)]
struct RatingCount {
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    rating: i16,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Responses per rating (1–5) in the filter: one grouped query.
pub async fn ratings(conn: &mut AsyncPgConnection, f: &CsatFilter) -> StoreResult<Vec<(i16, i64)>> {
    use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Timestamptz};
    let rows: Vec<RatingCount> = diesel::sql_query(
        "SELECT rating, count(*) AS n FROM csat_survey_responses WHERE account_id = $1 \
           AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3) \
           AND ($4::int8 IS NULL OR inbox_id = $4) AND (cardinality($5::int8[]) = 0 OR assigned_agent_id = ANY($5)) \
           AND (cardinality($6::int2[]) = 0 OR rating = ANY($6)) GROUP BY rating ORDER BY rating",
    )
    .bind::<BigInt, _>(f.account_id)
    .bind::<Nullable<Timestamptz>, _>(f.since)
    .bind::<Nullable<Timestamptz>, _>(f.until)
    .bind::<Nullable<BigInt>, _>(f.inbox_id)
    .bind::<Array<BigInt>, _>(&f.agent_ids)
    .bind::<Array<SmallInt>, _>(&f.ratings)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.rating, r.n)).collect())
}

/// Surveys sent in the filter's range and inbox (for the response rate).
pub async fn sent(conn: &mut AsyncPgConnection, f: &CsatFilter) -> StoreResult<i64> {
    let mut q = messages::table.filter(messages::account_id.eq(f.account_id)).filter(messages::content_type.eq("input_csat")).into_boxed();
    if let Some(t) = f.since {
        q = q.filter(messages::created_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(messages::created_at.lt(t));
    }
    if let Some(id) = f.inbox_id {
        q = q.filter(messages::inbox_id.eq(id));
    }
    Ok(q.count().get_result(conn).await?)
}
