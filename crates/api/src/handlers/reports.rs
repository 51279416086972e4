//! Reports: `/api/v2/accounts/{account_id}/reports…` and `…/summary_reports/…` (every member;
//! agents see their inboxes' figures), and the reporting events
//! (`/api/v1/accounts/{account_id}/reporting_events` for administrators, and a conversation's).
//! The figures come from `switchboard_core::reports`. Any report is also a CSV download, for
//! administrators: ask with `Accept: text/csv`, or use a `.csv` path.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use switchboard_core::reports::{self, EventQuery, SeriesQuery};
use switchboard_core::state::AppState;
use switchboard_domain::reports::Dim;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;

/// Whether the caller asked for CSV.
fn wants_csv(req: &HttpRequest) -> bool {
    req.path().ends_with(".csv") || req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"))
}

/// JSON, or the same figures as CSV (administrators only).
fn answer<T: Serialize>(req: &HttpRequest, ctx: &AccountCtx, name: &str, body: &T) -> ApiResult<HttpResponse> {
    if !wants_csv(req) {
        return Ok(HttpResponse::Ok().json(body));
    }
    ctx.require_admin()?;
    let value = serde_json::to_value(body).map_err(|e| ApiError::from(switchboard_core::error::CoreError::internal(e)))?;
    let csv = to_csv(&value).map_err(|e| ApiError::from(switchboard_core::error::CoreError::internal(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")))
        .body(csv))
}

/// A cell: text as it is, numbers as JSON writes them, null as empty, nested values as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Flattens one level of nesting (`metric.open`), so the agents' live metrics fit columns.
fn flat(v: &Value) -> Vec<(String, Value)> {
    let Some(obj) = v.as_object() else { return vec![("value".into(), v.clone())] };
    obj.iter()
        .flat_map(|(k, v)| match v.as_object() {
            Some(inner) => inner.iter().map(|(ik, iv)| (format!("{k}.{ik}"), iv.clone())).collect::<Vec<_>>(),
            None => vec![(k.clone(), v.clone())],
        })
        .collect()
}

/// A report's JSON as CSV: a list is a row per item; the inbox-label matrix is a row per
/// inbox and a column per label; an object of objects (per channel type) is a row per key; any
/// other object is one row.
fn to_csv(v: &Value) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(vec![]);
    match v {
        Value::Array(items) => {
            let header: Vec<String> = items.first().map(|i| flat(i).into_iter().map(|(k, _)| k).collect()).unwrap_or_default();
            w.write_record(&header)?;
            for item in items {
                let row = flat(item);
                w.write_record(header.iter().map(|h| row.iter().find(|(k, _)| k == h).map(|(_, v)| cell(v)).unwrap_or_default()))?;
            }
        }
        Value::Object(obj) if obj.contains_key("matrix") => {
            let labels: Vec<String> = obj["labels"].as_array().into_iter().flatten().map(|l| cell(&l["title"])).collect();
            w.write_record(std::iter::once("inbox".to_string()).chain(labels))?;
            let inboxes = obj["inboxes"].as_array().cloned().unwrap_or_default();
            let rows = obj["matrix"].as_array().cloned().unwrap_or_default();
            for (inbox, row) in inboxes.iter().zip(rows) {
                let counts = row.as_array().cloned().unwrap_or_default();
                w.write_record(std::iter::once(cell(&inbox["name"])).chain(counts.iter().map(cell)))?;
            }
        }
        Value::Object(obj) if !obj.is_empty() && obj.values().all(Value::is_object) => {
            let first = obj.values().next().map(flat).unwrap_or_default();
            let header: Vec<String> = first.iter().map(|(k, _)| k.clone()).collect();
            w.write_record(std::iter::once("name".to_string()).chain(header.iter().cloned()))?;
            for (key, inner) in obj {
                let row = flat(inner);
                let cells = header.iter().map(|h| row.iter().find(|(k, _)| k == h).map(|(_, v)| cell(v)).unwrap_or_default());
                w.write_record(std::iter::once(key.clone()).chain(cells))?;
            }
        }
        other => {
            let row = flat(other);
            w.write_record(row.iter().map(|(k, _)| k.as_str()))?;
            w.write_record(row.iter().map(|(_, v)| cell(v)))?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// `business_hours=true` (lenient: anything else is false).
fn business_hours(params: &Params) -> bool {
    params.str("business_hours").is_some_and(|v| matches!(v, "true" | "1"))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn series(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    let q = SeriesQuery {
        metric: params.str("metric"),
        kind: params.str("type"),
        id: params.str("id"),
        since: params.str("since"),
        until: params.str("until"),
        group_by: params.str("group_by"),
        business_hours: business_hours(&params),
        timezone_offset: params.str("timezone_offset"),
    };
    let points = reports::series(&state, &ctx.actor(), &q).await?;
    answer(&req, &ctx, "report", &points)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn summary(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    let s = reports::summary(
        &state,
        &ctx.actor(),
        params.str("type"),
        params.str("id"),
        params.str("since"),
        params.str("until"),
        business_hours(&params),
    )
    .await?;
    answer(&req, &ctx, "summary", &s)
}

/// `reports/conversations`: `type=account` (the default) gives the live counts, `type=agent`
/// each agent's (or `user_id`'s) open and unattended conversations.
#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn conversations(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    match params.str("type").unwrap_or("account") {
        "account" => answer(&req, &ctx, "conversations", &reports::live(&state, &ctx.actor()).await?),
        "agent" => answer(&req, &ctx, "agent_conversations", &reports::live_by_agent(&state, &ctx.actor(), params.str("user_id")).await?),
        _ => Err(switchboard_domain::ValidationError::invalid("type", "must be account or agent").into()),
    }
}

async fn summary_by(
    state: &AppState,
    ctx: &AccountCtx,
    req: &HttpRequest,
    params: &Params,
    dim: Dim,
    name: &str,
) -> ApiResult<HttpResponse> {
    let rows = reports::summary_by(state, &ctx.actor(), dim, params.str("since"), params.str("until"), business_hours(params)).await?;
    answer(req, ctx, name, &rows)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn agent_summary(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    summary_by(&state, &ctx, &req, &params, Dim::Agent, "agents").await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn inbox_summary(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    summary_by(&state, &ctx, &req, &params, Dim::Inbox, "inboxes").await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn team_summary(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    summary_by(&state, &ctx, &req, &params, Dim::Team, "teams").await
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn channel_summary(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    let rows = reports::by_channel(&state, &ctx.actor(), params.str("since"), params.str("until")).await?;
    answer(&req, &ctx, "channels", &rows)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn first_response_distribution(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    req: HttpRequest,
    params: Params,
) -> ApiResult<HttpResponse> {
    let rows = reports::first_response_distribution(&state, &ctx.actor(), params.str("since"), params.str("until")).await?;
    answer(&req, &ctx, "first_response_time_distribution", &rows)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn inbox_label_matrix(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    let inbox_ids = reports::id_list("inbox_ids", &params.list("inbox_ids"))?;
    let label_ids = reports::id_list("label_ids", &params.list("label_ids"))?;
    let m = reports::inbox_label_matrix(&state, &ctx.actor(), params.str("since"), params.str("until"), inbox_ids, label_ids).await?;
    answer(&req, &ctx, "inbox_label_matrix", &m)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn outgoing_messages(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    let rows = reports::outgoing_by(&state, &ctx.actor(), params.str("group_by"), params.str("since"), params.str("until")).await?;
    answer(&req, &ctx, "outgoing_messages_count", &rows)
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn events(state: web::Data<AppState>, ctx: AccountCtx, req: HttpRequest, params: Params) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let q = EventQuery {
        page: params.page(),
        since: params.str("since"),
        until: params.str("until"),
        inbox_id: params.str("inbox_id"),
        user_id: params.str("user_id"),
        name: params.str("name"),
    };
    let page = reports::events(&state, &ctx.actor(), &q).await?;
    if wants_csv(&req) {
        return answer(&req, &ctx, "reporting_events", &page.payload);
    }
    Ok(HttpResponse::Ok().json(page))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn conversation_events(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path.1)?;
    Ok(HttpResponse::Ok().json(reports::of_conversation(&state, &ctx.actor(), id).await?))
}

#[cfg(test)]
mod tests {
    use super::to_csv;
    use serde_json::json;

    #[test]
    fn reports_become_csv() {
        let rows = json!([{"id": 1, "name": "Ann, B", "metric": {"open": 2}}, {"id": 2, "name": "Cy", "metric": {"open": 0}}]);
        assert_eq!(to_csv(&rows).ok().as_deref(), Some("id,metric.open,name\n1,2,\"Ann, B\"\n2,0,Cy\n"));
        let m = json!({"inboxes": [{"id": 1, "name": "Web"}], "labels": [{"id": 3, "title": "vip"}], "matrix": [[4]]});
        assert_eq!(to_csv(&m).ok().as_deref(), Some("inbox,vip\nWeb,4\n"));
        let c = json!({"Channel::Api": {"open": 1, "total": 2}});
        assert_eq!(to_csv(&c).ok().as_deref(), Some("name,open,total\nChannel::Api,1,2\n"));
    }
}
