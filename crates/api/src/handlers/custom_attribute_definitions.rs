//! `/api/v1/accounts/{account_id}/custom_attribute_definitions`: members read (`?attribute_model=`
//! narrows, leniently), administrators write. The work is `switchboard_core::custom_attributes`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_core::custom_attributes::{self, DefinitionInput};
use switchboard_core::state::AppState;
use switchboard_domain::custom_attributes::Model;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Params, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionPayload {
    attribute_display_name: Option<String>,
    attribute_key: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    attribute_description: Option<Option<String>>,
    /// A name (text, number, …) or the reference's number (0–7).
    attribute_display_type: Option<Value>,
    /// conversation_attribute (0) or contact_attribute (1).
    attribute_model: Option<Value>,
    attribute_values: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    regex_pattern: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    regex_cue: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    default_value: Option<Option<Value>>,
}
impl Payload for DefinitionPayload {
    const WRAPPER: Option<&'static str> = Some("custom_attribute_definition");
}

impl From<DefinitionPayload> for DefinitionInput {
    fn from(p: DefinitionPayload) -> Self {
        Self {
            display_name: p.attribute_display_name,
            key: p.attribute_key,
            description: p.attribute_description,
            display_type: p.attribute_display_type,
            model: p.attribute_model,
            values: p.attribute_values,
            regex_pattern: p.regex_pattern,
            regex_cue: p.regex_cue,
            default_value: p.default_value,
        }
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(state: web::Data<AppState>, ctx: AccountCtx, params: Params) -> ApiResult<HttpResponse> {
    let model = params.str("attribute_model").and_then(|m| Model::parse("attribute_model", &json!(m)).ok());
    Ok(HttpResponse::Ok().json(custom_attributes::list(&state, ctx.account_id, model).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn show(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(custom_attributes::show(&state, ctx.account_id, path_id(&path.1)?).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(state: web::Data<AppState>, ctx: AccountCtx, Body(body): Body<DefinitionPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(custom_attributes::create(&state, ctx.account_id, body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<DefinitionPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(custom_attributes::update(&state, ctx.account_id, path_id(&path.1)?, body.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    custom_attributes::delete(&state, ctx.account_id, path_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().finish())
}
