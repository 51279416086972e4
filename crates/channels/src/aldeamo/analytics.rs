//! The BSP's analytics API (`/v1/analytics/…`, ISV accounts): getAnalytics, getWabaIdsByToken
//! and getPhoneNumbers. These authenticate with the analytics `Token` header, not the ApiKey.

use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::whatsapp::{mask, ProviderConfig};
use switchboard_domain::whatsapp_analytics::{to_bsp, DataPoint, NumberDetails, Query, RawPoint};

use super::client::{describe, BspError, Client};
use super::wa_number;
use crate::guard;

/// The credentials of the analytics API for one WABA.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsAccess<'a> {
    pub config: &'a ProviderConfig,
    pub token: &'a str,
}

/// What the BSP answers when a search finds nothing, with a 200.
const NOTHING_FOUND: &str = "Data not found for search criteria";

#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    conversation_analytics: Option<WireAnalytics>,
    #[serde(default)]
    errors: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct WireAnalytics {
    #[serde(default)]
    data: Vec<WireData>,
}

#[derive(Deserialize)]
struct WireData {
    #[serde(default)]
    data_points: Vec<WirePoint>,
}

#[derive(Deserialize)]
struct WirePoint {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    /// A string in the manual's examples; a number is read too.
    #[serde(default)]
    conversation: Value,
    country: Option<String>,
    phone_number: Option<String>,
    conversation_type: Option<String>,
    conversation_direction: Option<String>,
}

#[derive(Deserialize)]
struct WireWabas {
    #[serde(default, rename = "wabaIds")]
    waba_ids: Vec<Value>,
    #[serde(default, rename = "clientId")]
    client_id: Value,
}

#[derive(Deserialize)]
struct WireNumbers {
    #[serde(default)]
    data: Vec<NumberDetails>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string()))
}

impl Client {
    /// A call to `/v1/analytics/{path}`. The BSP's errors may quote the token: it is masked
    /// before the message goes anywhere.
    async fn analytics_call(
        &self,
        access: AnalyticsAccess<'_>,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, BspError> {
        let url = format!("{}/v1/analytics/{path}", access.config.api_url.trim_end_matches('/'));
        let url = self.guard.check_url(&url)?;
        let mut req = self.http.post(url).header("Token", access.token).header(reqwest::header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let redact = |m: String| m.replace(access.token, &mask(access.token));
        let res = req.send().await.map_err(|e| BspError { status: None, message: redact(guard::failure("the BSP", &e)) })?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(BspError { status: Some(status.as_u16()), message: redact(describe(status, &body)) });
        }
        serde_json::from_str(&body)
            .map_err(|_| BspError { status: Some(status.as_u16()), message: "the BSP answered with invalid JSON".into() })
    }

    /// getWabaIdsByToken: the `ClientId` whose WABAs include the config's, if any.
    pub async fn client_id_of(&self, access: AnalyticsAccess<'_>) -> Result<Option<String>, BspError> {
        let answer = self.analytics_call(access, "getWabaIdsByToken", &[], None).await?;
        let listed: Vec<WireWabas> = serde_json::from_value(answer)
            .map_err(|_| BspError { status: Some(200), message: "getWabaIdsByToken answered an unexpected shape".into() })?;
        Ok(listed
            .iter()
            .find(|w| w.waba_ids.iter().filter_map(text).any(|id| id == access.config.waba_id))
            .and_then(|w| text(&w.client_id)))
    }

    /// getPhoneNumbers: the WABA's numbers with their verified name and quality.
    pub async fn phone_numbers(&self, access: AnalyticsAccess<'_>, client_id: &str) -> Result<Vec<NumberDetails>, BspError> {
        let headers = [("ClientId", client_id), ("WabaId", access.config.waba_id.as_str())];
        let answer = self.analytics_call(access, "getPhoneNumbers", &headers, None).await?;
        let listed: WireNumbers = serde_json::from_value(answer)
            .map_err(|_| BspError { status: Some(200), message: "getPhoneNumbers answered an unexpected shape".into() })?;
        Ok(listed.data)
    }

    /// getAnalytics for one number, with every dimension, normalized. The BSP's "nothing found"
    /// (a 200 with `errors`) is an empty list.
    pub async fn analytics(
        &self,
        access: AnalyticsAccess<'_>,
        client_id: &str,
        phone: &str,
        query: &Query,
    ) -> Result<Vec<DataPoint>, BspError> {
        let body = json!({
            "wabaId": access.config.waba_id,
            "clientId": client_id,
            "conversationAnalytics": {
                "conversationStart": to_bsp(query.start),
                "conversationEnd": to_bsp(query.end),
                "granularity": query.granularity.as_bsp(),
                "phoneNumbers": [wa_number(phone)],
                "dimensions": ["CONVERSATION_TYPE", "CONVERSATION_DIRECTION", "PHONE", "COUNTRY"],
                "filters": {
                    "countryCodes": query.country_codes,
                    "conversationTypes": query.conversation_types,
                    "conversationDirections": query.conversation_directions,
                }
            }
        });
        let answer = self.analytics_call(access, "getAnalytics", &[], Some(&body)).await?;
        let parsed: WireAnswer = serde_json::from_value(answer)
            .map_err(|_| BspError { status: Some(200), message: "getAnalytics answered an unexpected shape".into() })?;
        if let Some(errors) = parsed.errors.filter(|e| !e.is_empty()) {
            let said: Vec<String> = errors.iter().map(|e| text(e).unwrap_or_else(|| e.to_string())).collect();
            if said.iter().all(|e| e.trim() == NOTHING_FOUND) {
                return Ok(Vec::new());
            }
            return Err(BspError { status: Some(200), message: said.join("; ") });
        }
        let points = parsed.conversation_analytics.map(|a| a.data).unwrap_or_default();
        Ok(points
            .iter()
            .flat_map(|d| d.data_points.iter())
            .filter_map(|p| {
                let conversation = text(&p.conversation).unwrap_or_default();
                DataPoint::normalize(&RawPoint {
                    start: &p.start,
                    end: &p.end,
                    conversation: &conversation,
                    country: p.country.as_deref(),
                    phone_number: p.phone_number.as_deref(),
                    conversation_type: p.conversation_type.as_deref(),
                    conversation_direction: p.conversation_direction.as_deref(),
                })
            })
            .collect())
    }
}
