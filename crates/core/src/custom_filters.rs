//! Saved filters: a user's own conversation, contact and report filters, whose `query` is the
//! filter API's payload (`{"payload": [conditions]}`), checked when saved and when run.

use serde_json::Value;
use switchboard_domain::custom_attributes::Model;
use switchboard_domain::filters::{Groups, RawCondition};
use switchboard_domain::text::optional_text;
use switchboard_domain::ValidationError;
use switchboard_store::AsyncPgConnection;

use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::custom_filters::FilterView;

/// The model a filter of this type names (a report filter's query is kept as given).
fn model(filter_type: &str) -> Option<Model> {
    match filter_type {
        "conversation" => Some(Model::Conversation),
        "contact" => Some(Model::Contact),
        _ => None,
    }
}

fn filter_type(raw: &str) -> CoreResult<&'static str> {
    ["conversation", "contact", "report"]
        .into_iter()
        .find(|t| *t == raw.trim())
        .ok_or_else(|| ValidationError::invalid("type", "must be conversation, contact or report").into())
}

/// The query's conditions, parsed against what the type knows; errors name `query.payload[i]…`.
async fn groups(conn: &mut AsyncPgConnection, account_id: i64, filter_type: &str, query: &Value) -> CoreResult<Option<Groups>> {
    let Some(model) = model(filter_type) else { return Ok(None) };
    let raw: Vec<RawCondition> = query
        .get("payload")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|_| {
            ValidationError::invalid(
                "query.payload",
                "must be a list of conditions {attribute_key, filter_operator, values, query_operator}",
            )
        })?
        .ok_or_else(|| ValidationError::blank("query.payload"))?;
    match crate::custom_attributes::parse_conditions(conn, account_id, model, &raw).await {
        Ok(groups) => Ok(Some(groups)),
        Err(CoreError::Invalid(mut e)) => {
            e.field = format!("query.{}", e.field);
            Err(e.into())
        }
        Err(e) => Err(e),
    }
}

pub async fn list(state: &AppState, account_id: i64, user_id: i64, filter_type: Option<&str>) -> CoreResult<Vec<FilterView>> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::custom_filters::list(&mut conn, account_id, user_id, filter_type)
        .await?
        .into_iter()
        .map(FilterView::from)
        .collect())
}

pub async fn show(state: &AppState, account_id: i64, user_id: i64, id: i64) -> CoreResult<FilterView> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::custom_filters::find(&mut conn, account_id, user_id, id).await?.ok_or(CoreError::NotFound)?.into())
}

/// Creates (`id` None) or replaces the given fields of one of the user's filters.
pub async fn save(
    state: &AppState,
    account_id: i64,
    user_id: i64,
    id: Option<i64>,
    name: Option<&str>,
    kind: Option<&str>,
    query: Option<Value>,
) -> CoreResult<FilterView> {
    let mut conn = state.conn().await?;
    let current = match id {
        Some(id) => Some(switchboard_store::custom_filters::find(&mut conn, account_id, user_id, id).await?.ok_or(CoreError::NotFound)?),
        None => None,
    };
    let name = match name {
        Some(n) => optional_text("name", Some(n), 255)?.ok_or_else(|| ValidationError::blank("name"))?,
        None => current.as_ref().map(|c| c.name.clone()).ok_or_else(|| ValidationError::blank("name"))?,
    };
    let kind = match kind {
        Some(k) => filter_type(k)?,
        None => current.as_ref().map(|c| filter_type(&c.filter_type)).transpose()?.ok_or_else(|| ValidationError::blank("type"))?,
    };
    let query = match query {
        Some(q @ Value::Object(_)) => q,
        Some(_) => return Err(ValidationError::invalid("query", "must be an object").into()),
        None => current.as_ref().map(|c| c.query.clone()).ok_or_else(|| ValidationError::blank("query"))?,
    };
    if query.to_string().len() > 64 * 1024 {
        return Err(ValidationError::too_long("query", 64 * 1024).into());
    }
    groups(&mut conn, account_id, kind, &query).await?;
    let saved = match current {
        Some(c) => switchboard_store::custom_filters::update(&mut conn, &c, &name, kind, &query).await?,
        None => switchboard_store::custom_filters::create(&mut conn, account_id, user_id, &name, kind, &query).await?,
    };
    Ok(saved.into())
}

pub async fn delete(state: &AppState, account_id: i64, user_id: i64, id: i64) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    if !switchboard_store::custom_filters::delete(&mut conn, account_id, user_id, id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

/// The conditions of the user's saved filter `id`, to run as the filter endpoint would. Another
/// user's or account's filter is a 404; a filter of another type, or whose query no longer
/// validates, is a 422 naming `custom_filter_id` or the condition.
pub async fn conditions(state: &AppState, account_id: i64, user_id: i64, id: i64, expected: &str) -> CoreResult<Groups> {
    let mut conn = state.conn().await?;
    let f = switchboard_store::custom_filters::find(&mut conn, account_id, user_id, id).await?.ok_or(CoreError::NotFound)?;
    if f.filter_type != expected {
        return Err(ValidationError::invalid("custom_filter_id", format!("is not a {expected} filter")).into());
    }
    groups(&mut conn, account_id, &f.filter_type, &f.query)
        .await?
        .ok_or_else(|| ValidationError::invalid("custom_filter_id", "has no conditions").into())
}
