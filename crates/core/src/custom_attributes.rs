//! Custom attribute definitions (members read, administrators write), and the check every
//! write of contacts' and conversations' `custom_attributes` makes against them.

use serde_json::Value;
use switchboard_domain::custom_attributes::{check as check_value, key, pattern, Definition, DisplayType, Model};
use switchboard_domain::text::optional_text;
use switchboard_domain::ValidationError;
use switchboard_store::models::{AttributeDefinition, AttributeDefinitionFields};
use switchboard_store::AsyncPgConnection;

use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::custom_attributes::DefinitionView;

/// A definition as submitted; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct DefinitionInput {
    pub display_name: Option<String>,
    pub key: Option<String>,
    pub description: Option<Option<String>>,
    pub display_type: Option<Value>,
    pub model: Option<Value>,
    pub values: Option<Vec<String>>,
    pub regex_pattern: Option<Option<String>>,
    pub regex_cue: Option<Option<String>>,
    pub default_value: Option<Option<Value>>,
}

fn fields(input: DefinitionInput) -> CoreResult<AttributeDefinitionFields> {
    let display_name = input
        .display_name
        .map(|n| optional_text("attribute_display_name", Some(&n), 255)?.ok_or_else(|| ValidationError::blank("attribute_display_name")))
        .transpose()?;
    let regex_pattern = match input.regex_pattern {
        Some(Some(p)) if !p.trim().is_empty() => {
            pattern("regex_pattern", &p)?;
            Some(Some(p))
        }
        Some(_) => Some(None),
        None => None,
    };
    let values = match input.values {
        Some(v) if v.len() > 200 => return Err(ValidationError::invalid("attribute_values", "at most 200 values").into()),
        Some(v) => Some(Value::Array(v.into_iter().map(|s| Value::String(s.trim().to_string())).filter(|s| s != "").collect())),
        None => None,
    };
    Ok(AttributeDefinitionFields {
        attribute_display_name: display_name,
        attribute_key: input.key.map(|k| key("attribute_key", &k)).transpose()?,
        attribute_description: input.description.map(|d| optional_text("attribute_description", d.as_deref(), 2000)).transpose()?,
        attribute_display_type: input
            .display_type
            .map(|t| DisplayType::parse("attribute_display_type", &t).map(|t| t.as_str().to_string()))
            .transpose()?,
        attribute_model: input.model.map(|m| Model::parse("attribute_model", &m).map(|m| m.as_str().to_string())).transpose()?,
        attribute_values: values,
        regex_pattern,
        regex_cue: input.regex_cue.map(|c| optional_text("regex_cue", c.as_deref(), 255)).transpose()?,
        default_value: input.default_value,
    })
}

/// A list must have values to choose from.
fn complete(f: &AttributeDefinitionFields, current: Option<&AttributeDefinition>) -> CoreResult<()> {
    let kind = f.attribute_display_type.as_deref().or(current.map(|c| c.attribute_display_type.as_str()));
    let values = f.attribute_values.as_ref().or(current.map(|c| &c.attribute_values));
    if kind == Some("list") && values.and_then(Value::as_array).is_none_or(Vec::is_empty) {
        return Err(ValidationError::blank("attribute_values").into());
    }
    Ok(())
}

pub async fn list(state: &AppState, account_id: i64, model: Option<Model>) -> CoreResult<Vec<DefinitionView>> {
    let mut conn = state.conn().await?;
    let rows = switchboard_store::custom_attributes::list(&mut conn, account_id, model.map(Model::as_str)).await?;
    Ok(rows.into_iter().map(DefinitionView::from).collect())
}

pub async fn show(state: &AppState, account_id: i64, id: i64) -> CoreResult<DefinitionView> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::custom_attributes::find(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?.into())
}

pub async fn create(state: &AppState, account_id: i64, input: DefinitionInput) -> CoreResult<DefinitionView> {
    let f = fields(input)?;
    for (field, missing) in [
        ("attribute_display_name", f.attribute_display_name.is_none()),
        ("attribute_key", f.attribute_key.is_none()),
        ("attribute_display_type", f.attribute_display_type.is_none()),
        ("attribute_model", f.attribute_model.is_none()),
    ] {
        if missing {
            return Err(ValidationError::blank(field).into());
        }
    }
    complete(&f, None)?;
    let mut conn = state.conn().await?;
    Ok(switchboard_store::custom_attributes::create(&mut conn, account_id, &f).await?.into())
}

pub async fn update(state: &AppState, account_id: i64, id: i64, input: DefinitionInput) -> CoreResult<DefinitionView> {
    let f = fields(input)?;
    let mut conn = state.conn().await?;
    let current = switchboard_store::custom_attributes::find(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?;
    complete(&f, Some(&current))?;
    Ok(switchboard_store::custom_attributes::update(&mut conn, account_id, id, &f).await?.ok_or(CoreError::NotFound)?.into())
}

pub async fn delete(state: &AppState, account_id: i64, id: i64) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    if !switchboard_store::custom_attributes::delete(&mut conn, account_id, id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

/// Checks the defined keys among `values` (one query): the type, the list's values, the
/// regex. The first failure is a 422 naming `custom_attributes.<key>`.
pub async fn check(conn: &mut AsyncPgConnection, account_id: i64, model: Model, values: &Value) -> CoreResult<()> {
    let Some(obj) = values.as_object().filter(|o| !o.is_empty()) else { return Ok(()) };
    let defs = switchboard_store::custom_attributes::list(conn, account_id, Some(model.as_str())).await?;
    for d in &defs {
        let Some(value) = obj.get(&d.attribute_key) else { continue };
        let empty = Vec::new();
        let definition = Definition {
            key: &d.attribute_key,
            display_type: DisplayType::from_stored(&d.attribute_display_type),
            values: d.attribute_values.as_array().unwrap_or(&empty),
            regex: d.regex_pattern.as_deref(),
            regex_cue: d.regex_cue.as_deref(),
        };
        check_value(&definition, value)?;
    }
    Ok(())
}

/// `check` on its own connection, for a handler about to write through another operation.
pub async fn check_in(state: &AppState, account_id: i64, model: Model, values: &Value) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    check(&mut conn, account_id, model, values).await
}

/// The filter kinds of the account's defined custom attributes of `model` (both models when
/// None), so the filters compare numbers as numbers and dates as dates.
pub async fn filter_kinds(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    model: Option<Model>,
) -> CoreResult<Vec<(String, switchboard_domain::filters::Kind)>> {
    let defined = switchboard_store::custom_attributes::list(conn, account_id, model.map(Model::as_str)).await?;
    Ok(defined.into_iter().map(|d| (d.attribute_key, DisplayType::from_stored(&d.attribute_display_type).filter_kind())).collect())
}

/// Filter conditions of `model`, parsed against its known attributes and the account's
/// defined custom attributes.
pub async fn parse_conditions(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    model: Model,
    raw: &[switchboard_domain::filters::RawCondition],
) -> CoreResult<switchboard_domain::filters::Groups> {
    let known = match model {
        Model::Conversation => switchboard_store::filters::CONVERSATION_KINDS,
        Model::Contact => switchboard_store::filters::CONTACT_KINDS,
    };
    let custom = filter_kinds(conn, account_id, Some(model)).await?;
    Ok(switchboard_domain::filters::parse_with(raw, known, &custom)?)
}
