//! The BSP's analytics for a WhatsApp inbox: its conversation analytics on demand, and what
//! the BSP says of its number (verified name, quality), refreshed with the template sync.

use chrono::{DateTime, Utc};
use switchboard_channels::aldeamo::{AnalyticsAccess, BspError};
use switchboard_domain::whatsapp::{ChannelConfig, ProviderConfig};
use switchboard_domain::whatsapp_analytics::{pick_number, Asked, NumberCheck, Query, Report};
use switchboard_domain::ValidationError;
use switchboard_store::models::Inbox;
use switchboard_store::AsyncPgConnection;

use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// Where the token is set, for the error that says it is missing.
const TOKEN_FIELD: &str = "provider_config.analytics_token";

/// The inbox's BSP config; other providers have no analytics.
fn config_of(inbox: &Inbox) -> CoreResult<ProviderConfig> {
    match ChannelConfig::from_stored(inbox.provider, &inbox.provider_config) {
        Some(ChannelConfig::Aldeamo(c)) if inbox.phone_number.is_some() => Ok(c),
        _ => Err(ValidationError::invalid("inbox", "has no BSP analytics: it is not a WhatsApp inbox on the BSP").into()),
    }
}

/// A refusal of the BSP (a 4xx, or a 200 that carries `errors`) is the settings' fault and
/// answers 422; anything else (unreachable, 5xx, 429) is the BSP's and answers 502.
fn upstream(e: BspError) -> CoreError {
    let refused = e.status.is_some_and(|s| s != 429 && (200..500).contains(&s));
    CoreError::Upstream { refused, message: format!("the BSP's analytics API: {}", e.message) }
}

/// The config's `ClientId`, or the one getWabaIdsByToken gives for its WABA.
async fn client_id(state: &AppState, access: AnalyticsAccess<'_>) -> CoreResult<(String, bool)> {
    if let Some(id) = &access.config.client_id {
        return Ok((id.clone(), false));
    }
    let found = state.bsp.client_id_of(access).await.map_err(upstream)?;
    let id = found.ok_or_else(|| CoreError::Upstream {
        refused: true,
        message: format!(
            "the analytics Token gives access to no ClientId with WABA {}: set provider_config.client_id",
            access.config.waba_id
        ),
    })?;
    Ok((id, true))
}

/// `GET …/inboxes/{id}/whatsapp_analytics`: the inbox number's conversations in the period.
pub async fn report(state: &AppState, inbox: &Inbox, asked: &Asked<'_>, now: DateTime<Utc>) -> CoreResult<Report> {
    let config = config_of(inbox)?;
    let query = Query::lenient(asked, now)?;
    let access = AnalyticsAccess { config: &config, token: config.analytics(TOKEN_FIELD)? };
    let (client_id, looked_up) = client_id(state, access).await?;
    let phone = inbox.phone_number.as_deref().unwrap_or_default();
    let points = state.bsp.analytics(access, &client_id, phone, &query).await.map_err(upstream)?;
    if looked_up {
        // Kept once it proved right, so the next request need not look it up again.
        let mut conn = state.conn().await?;
        switchboard_store::whatsapp::record_number(&mut conn, inbox.id, None, Some(&client_id)).await?;
    }
    Ok(Report::new(inbox.id, &config.waba_id, inbox.phone_number.as_deref(), &query, points))
}

/// Asks the BSP about the inbox's number and keeps the answer. A failure is kept too, next to
/// the last details that were good, so the inbox shows it; only a database error is returned.
/// Inboxes without an analytics token are left alone: the BSP serves numbers to ISVs only.
pub async fn check_number(state: &AppState, conn: &mut AsyncPgConnection, inbox: &Inbox) -> CoreResult<()> {
    let Ok(config) = config_of(inbox) else { return Ok(()) };
    let Some(token) = config.analytics_token.as_deref() else { return Ok(()) };
    let mut check: NumberCheck = inbox.bsp_number.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    check.checked_at = Some(Utc::now());
    let (looked_up, outcome) = match lookup(state, &config, token, inbox).await {
        Ok((details, looked_up)) => (looked_up, Ok(details)),
        Err(e) => (None, Err(e)),
    };
    match outcome {
        Ok(details) => {
            check.details = details;
            check.error = None;
        }
        Err(e) => {
            tracing::warn!(inbox_id = inbox.id, error = %e, "could not check the number with the BSP");
            check.error = Some(match e {
                CoreError::Upstream { message, .. } => message,
                other => other.to_string(),
            });
        }
    }
    let stored = serde_json::to_value(&check).map_err(|e| CoreError::internal(e.to_string()))?;
    switchboard_store::whatsapp::record_number(conn, inbox.id, Some(&stored), looked_up.as_deref()).await?;
    Ok(())
}

/// The number's details, and the `ClientId` when it had to be looked up (to keep it).
async fn lookup(
    state: &AppState,
    config: &ProviderConfig,
    token: &str,
    inbox: &Inbox,
) -> CoreResult<(switchboard_domain::whatsapp_analytics::NumberDetails, Option<String>)> {
    let access = AnalyticsAccess { config, token };
    let (client_id, looked_up) = client_id(state, access).await?;
    let listed = state.bsp.phone_numbers(access, &client_id).await.map_err(upstream)?;
    let phone = inbox.phone_number.as_deref().unwrap_or_default();
    let found = pick_number(&listed, phone).cloned().ok_or_else(|| CoreError::Upstream {
        refused: true,
        message: format!("the BSP lists {} numbers for WABA {}, none of them {phone}", listed.len(), config.waba_id),
    })?;
    Ok((found, looked_up.then_some(client_id)))
}
