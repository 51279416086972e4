//! WhatsApp rules: the provider config, the 24-hour window, delivery-status order and template
//! parameters. The BSP's wire format lives in the `channels` crate.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::text::http_url;
use crate::ValidationError;

/// WhatsApp refuses longer text messages.
pub const TEXT_MAX: usize = 4096;
/// Interactive button messages carry at most this many buttons.
pub const MAX_BUTTONS: usize = 3;

/// Who a WhatsApp inbox sends and receives through: the official BSP, or a Baileys-style
/// provider (WhatsApp Web, which also reaches groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum Provider {
    Aldeamo,
    Baileys,
}

impl Provider {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "aldeamo" => Ok(Self::Aldeamo),
            "baileys" => Ok(Self::Baileys),
            _ => Err(ValidationError::new(field, "inclusion", "is not a supported provider (aldeamo, baileys)")),
        }
    }
    /// A WhatsApp inbox's provider; inboxes made before there was a choice are the BSP's.
    pub fn of(stored: Option<Self>) -> Self {
        stored.unwrap_or(Self::Aldeamo)
    }
    /// The provider a stored value names (the column holds only these, or nothing).
    pub fn from_column(raw: &str) -> Option<Self> {
        match raw {
            "aldeamo" => Some(Self::Aldeamo),
            "baileys" => Some(Self::Baileys),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aldeamo => "aldeamo",
            Self::Baileys => "baileys",
        }
    }
    pub const ALL: [Self; 2] = [Self::Aldeamo, Self::Baileys];
    /// What the provider can do beyond sending text and files: the one place it is said, for
    /// the channel, the checks on outgoing messages, the template sync and presentation alike.
    pub fn capabilities(self) -> Capabilities {
        match self {
            Self::Aldeamo => Capabilities { templates: true, window: true, groups: false },
            Self::Baileys => Capabilities { templates: false, window: false, groups: true },
        }
    }
}

crate::text_columns!(Provider);

/// What a provider can do beyond sending text and files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Approved message templates (and so `template_params` on a message).
    pub templates: bool,
    /// WhatsApp's 24-hour window: outside it, only a template may be sent.
    pub window: bool,
    /// Group conversations, and mentions in what we send.
    pub groups: bool,
}

/// How an inbox reaches its provider, whichever it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelConfig {
    Aldeamo(ProviderConfig),
    Baileys(BaileysConfig),
}

impl ChannelConfig {
    /// A submitted config for a new inbox. `verify_token` is what the Baileys provider must
    /// send back with every webhook.
    pub fn parse(provider: Provider, field: &str, raw: Option<&Value>, verify_token: &str) -> Result<Self, ValidationError> {
        Ok(match provider {
            Provider::Aldeamo => Self::Aldeamo(ProviderConfig::parse(field, raw)?),
            Provider::Baileys => Self::Baileys(BaileysConfig::parse(field, raw, verify_token)?),
        })
    }
    /// The URL the provider is called at, and the name of its key in the config.
    pub fn endpoint(&self) -> (&'static str, &str) {
        match self {
            Self::Aldeamo(c) => ("api_url", &c.api_url),
            Self::Baileys(c) => ("provider_url", &c.provider_url),
        }
    }

    /// The provider this config is for.
    pub fn provider(&self) -> Provider {
        match self {
            Self::Aldeamo(_) => Provider::Aldeamo,
            Self::Baileys(_) => Provider::Baileys,
        }
    }

    pub fn from_stored(provider: Option<Provider>, stored: &Value) -> Option<Self> {
        match Provider::of(provider) {
            Provider::Aldeamo => serde_json::from_value(stored.clone()).ok().map(Self::Aldeamo),
            Provider::Baileys => serde_json::from_value(stored.clone()).ok().map(Self::Baileys),
        }
    }
    pub fn updated(&self, field: &str, raw: &Value) -> Result<Self, ValidationError> {
        Ok(match self {
            Self::Aldeamo(c) => Self::Aldeamo(c.updated(field, raw)?),
            Self::Baileys(c) => Self::Baileys(c.updated(field, raw)?),
        })
    }
    pub fn masked(&self) -> Value {
        match self {
            Self::Aldeamo(c) => c.masked(),
            Self::Baileys(c) => c.masked(),
        }
    }
    /// As stored, secrets included.
    pub fn stored(&self) -> Value {
        match self {
            Self::Aldeamo(c) => serde_json::to_value(c),
            Self::Baileys(c) => serde_json::to_value(c),
        }
        .unwrap_or(Value::Null)
    }
}

/// A Baileys-style provider (see `baileys-provider-contract.md`): one connection per number.
/// `api_key` and `webhook_verify_token` are secrets: stored, never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaileysConfig {
    pub provider_url: String,
    pub api_key: String,
    pub webhook_verify_token: String,
}

impl BaileysConfig {
    pub fn parse(field: &str, raw: Option<&Value>, verify_token: &str) -> Result<Self, ValidationError> {
        let obj = match raw {
            Some(Value::Object(o)) => o,
            Some(_) => return Err(ValidationError::invalid(field, "must be an object")),
            None => return Err(ValidationError::blank(field)),
        };
        let text = |key: &str| -> Result<String, ValidationError> {
            match obj.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                Some(Value::String(_)) | Some(Value::Null) | None => Err(ValidationError::blank(&format!("{field}.{key}"))),
                Some(_) => Err(ValidationError::invalid(&format!("{field}.{key}"), "must be a string")),
            }
        };
        let provider_url = http_url(&format!("{field}.provider_url"), &text("provider_url")?)?;
        Ok(Self { provider_url, api_key: text("api_key")?, webhook_verify_token: verify_token.to_string() })
    }

    /// As `ProviderConfig::updated`: a key left out or sent back masked is kept, and so is the
    /// webhook token, which only we choose.
    pub fn updated(&self, field: &str, raw: &Value) -> Result<Self, ValidationError> {
        let Value::Object(changes) = raw else { return Err(ValidationError::invalid(field, "must be an object")) };
        let mut merged = serde_json::json!({ "provider_url": self.provider_url, "api_key": self.api_key });
        for (k, v) in changes {
            let masked_key = k == "api_key" && v.as_str().is_some_and(|s| s.starts_with("********"));
            if !masked_key && (k == "provider_url" || k == "api_key") {
                merged[k] = v.clone();
            }
        }
        Self::parse(field, Some(&merged), &self.webhook_verify_token)
    }

    pub fn masked(&self) -> Value {
        serde_json::json!({ "provider_url": self.provider_url, "api_key": mask(&self.api_key) })
    }
}

/// What becomes of a send whose attempt started but whose outcome was never recorded (the
/// process died while the BSP had the request). The BSP takes no idempotency key, so sending it
/// again may deliver it twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterCrash {
    /// Mark the message failed with "outcome unknown", for the agent to decide: never doubled.
    #[default]
    Hold,
    /// Send it again: never lost, possibly doubled (at least once).
    Resend,
}

impl AfterCrash {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "hold" => Ok(Self::Hold),
            "resend" => Ok(Self::Resend),
            _ => Err(ValidationError::invalid(field, "must be hold or resend")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hold => "hold",
            Self::Resend => "resend",
        }
    }
}

/// How an inbox reaches its BSP. `api_key` is a secret: it is stored, never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub api_url: String,
    pub api_key: String,
    pub user_id: String,
    pub waba_id: String,
    /// The WABA's template namespace, when the BSP needs it on template sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Sends interrupted by a crash: `hold` (the default) or `resend`.
    #[serde(default)]
    pub after_crash: AfterCrash,
    /// The `Token` of the BSP's analytics API (ISV accounts only): a secret, shown masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_token: Option<String>,
    /// The BSP's `ClientId` the WABA belongs to. Shown masked too; when it is left out, it is
    /// looked up with getWabaIdsByToken and kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl ProviderConfig {
    /// Checks a submitted config; `field` is its path in the body.
    pub fn parse(field: &str, raw: Option<&Value>) -> Result<Self, ValidationError> {
        let obj = match raw {
            Some(Value::Object(o)) => o,
            Some(_) => return Err(ValidationError::invalid(field, "must be an object")),
            None => return Err(ValidationError::blank(field)),
        };
        let text = |key: &str| -> Result<String, ValidationError> {
            let at = format!("{field}.{key}");
            match obj.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                // Ids are often typed as numbers.
                Some(Value::Number(n)) => Ok(n.to_string()),
                Some(Value::String(_)) | Some(Value::Null) | None => Err(ValidationError::blank(&at)),
                Some(_) => Err(ValidationError::invalid(&at, "must be a string")),
            }
        };
        let api_url = http_url(&format!("{field}.api_url"), &text("api_url")?)?;
        let namespace = match obj.get("namespace") {
            None | Some(Value::Null) => None,
            Some(_) => Some(text("namespace")?),
        };
        let after_crash = match obj.get("after_crash") {
            None | Some(Value::Null) => AfterCrash::default(),
            Some(_) => AfterCrash::parse(&format!("{field}.after_crash"), &text("after_crash")?)?,
        };
        // Optional: present and blank clears it.
        let optional = |key: &str| -> Result<Option<String>, ValidationError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(_) => text(key).map(Some),
            }
        };
        Ok(Self {
            api_url,
            api_key: text("api_key")?,
            user_id: text("user_id")?,
            waba_id: text("waba_id")?,
            namespace,
            after_crash,
            analytics_token: optional("analytics_token")?,
            client_id: optional("client_id")?,
        })
    }

    /// A config update: fields left out keep their value, and so does a key left out or sent
    /// back masked (clients echo what they were shown).
    pub fn updated(&self, field: &str, raw: &Value) -> Result<Self, ValidationError> {
        let Value::Object(changes) = raw else { return Err(ValidationError::invalid(field, "must be an object")) };
        let mut merged = serde_json::to_value(self).map_err(|_| ValidationError::invalid(field, "cannot be read"))?;
        for (k, v) in changes {
            let secret = matches!(k.as_str(), "api_key" | "analytics_token" | "client_id");
            let masked = secret && v.as_str().is_some_and(|s| s.starts_with("********"));
            if !masked {
                merged[k] = v.clone();
            }
        }
        Self::parse(field, Some(&merged))
    }

    /// As the API shows it: everything but the key.
    pub fn masked(&self) -> Value {
        serde_json::json!({
            "api_url": self.api_url,
            "api_key": mask(&self.api_key),
            "user_id": self.user_id,
            "waba_id": self.waba_id,
            "namespace": self.namespace,
            "after_crash": self.after_crash.as_str(),
            "analytics_token": self.analytics_token.as_deref().map(mask),
            "client_id": self.client_id.as_deref().map(mask),
        })
    }

    /// The analytics `Token`, or the error that names the missing setting.
    pub fn analytics(&self, field: &str) -> Result<&str, ValidationError> {
        self.analytics_token
            .as_deref()
            .ok_or_else(|| ValidationError::invalid(field, "has no analytics_token: set the BSP's analytics Token in provider_config"))
    }
}

/// Enough of a secret to tell two apart, never enough to use one.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 16 {
        format!("********{}", chars[chars.len() - 4..].iter().collect::<String>())
    } else {
        "********".into()
    }
}

/// How long after the contact's last message free-form messages may be sent.
pub fn window() -> Duration {
    Duration::hours(24)
}

/// Free-form messages need a contact message within the last 24 hours; templates never do.
pub fn window_open(last_incoming: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_incoming.is_some_and(|at| now - at < window())
}

/// Where a message is on its way to the contact (a message's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Delivery {
    Progress,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl Delivery {
    /// A status as a provider writes it (any case, padded).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::from_column(&raw.trim().to_ascii_lowercase())
    }

    /// The status a stored value names (the column holds only these).
    pub fn from_column(raw: &str) -> Option<Self> {
        match raw {
            "progress" => Some(Self::Progress),
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "read" => Some(Self::Read),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Progress => "progress",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    /// Statuses arrive out of order and more than once: only forward moves are applied. A
    /// failure can't undo a delivery, but a delivery proves a reported failure wrong.
    pub fn may_become(self, next: Self) -> bool {
        use Delivery::*;
        match (self, next) {
            (Failed, Delivered | Read) => true,
            (Failed, _) => false,
            (Progress | Sent, Failed) => true,
            (_, Failed) => false,
            (from, to) => to.rank() > from.rank(),
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Progress => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed => 0,
        }
    }
}

crate::text_columns!(Delivery);

/// The number of distinct `{{n}}` placeholders in a template text.
pub fn placeholders(text: &str) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let inner = rest[..end].trim();
        if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
            seen.insert(inner.to_string());
        }
        rest = &rest[end + 2..];
    }
    seen.len()
}

/// What a stored template needs when it is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateShape {
    /// Text parameters of a TEXT header.
    pub header_text: usize,
    /// IMAGE, VIDEO or DOCUMENT when the header is a media header.
    pub header_media: Option<String>,
    pub body: usize,
    /// Indexes of URL buttons with a dynamic suffix.
    pub url_buttons: Vec<usize>,
}

impl TemplateShape {
    /// Reads the components as the BSP lists them (`type` HEADER/BODY/BUTTONS, upper case).
    pub fn of(components: &Value) -> Self {
        let mut shape = Self::default();
        for c in components.as_array().into_iter().flatten() {
            let kind = c.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
            let text = c.get("text").and_then(Value::as_str).unwrap_or_default();
            match kind.as_str() {
                "HEADER" => {
                    let format = c.get("format").and_then(Value::as_str).unwrap_or("TEXT").to_ascii_uppercase();
                    if format == "TEXT" {
                        shape.header_text = placeholders(text);
                    } else if matches!(format.as_str(), "IMAGE" | "VIDEO" | "DOCUMENT") {
                        shape.header_media = Some(format);
                    }
                }
                "BODY" => shape.body = placeholders(text),
                "BUTTONS" => {
                    for (i, b) in c.get("buttons").and_then(Value::as_array).into_iter().flatten().enumerate() {
                        let is_url = b.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("URL"));
                        let dynamic = b.get("url").and_then(Value::as_str).is_some_and(|u| placeholders(u) > 0);
                        if is_url && dynamic {
                            shape.url_buttons.push(i);
                        }
                    }
                }
                _ => {}
            }
        }
        shape
    }

    /// Compares the parameters a message brings with what the template needs.
    pub fn check(&self, header: &[Value], body: usize, url_buttons: &[usize]) -> Result<(), ValidationError> {
        let field = "template_params";
        if body != self.body {
            return Err(ValidationError::invalid(
                &format!("{field}.body"),
                format!("has {body} parameters but the template's body needs {}", self.body),
            ));
        }
        match &self.header_media {
            Some(kind) => {
                let want = kind.to_ascii_lowercase();
                let ok = header.len() == 1 && header[0].get("type").and_then(Value::as_str) == Some(want.as_str());
                if !ok {
                    return Err(ValidationError::invalid(
                        &format!("{field}.header"),
                        format!("the template's header needs one {want} parameter"),
                    ));
                }
            }
            None if header.len() != self.header_text => {
                return Err(ValidationError::invalid(
                    &format!("{field}.header"),
                    format!("has {} parameters but the template's header needs {}", header.len(), self.header_text),
                ));
            }
            None => {}
        }
        let mut given = url_buttons.to_vec();
        given.sort_unstable();
        if given != self.url_buttons {
            return Err(ValidationError::invalid(
                &format!("{field}.buttons"),
                format!("the template's URL buttons needing a parameter are at indexes {:?}", self.url_buttons),
            ));
        }
        Ok(())
    }
}

/// Template languages arrive as `en_US` and as `en-US`; they name the same thing.
pub fn same_language(a: &str, b: &str) -> bool {
    a.replace('-', "_").eq_ignore_ascii_case(&b.replace('-', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;
    use serde_json::json;

    #[test]
    fn provider_config_is_checked_field_by_field() -> TestResult {
        let ok = json!({"api_url": "https://bsp.example/", "api_key": "k", "user_id": 3777, "waba_id": "w"});
        let c = ProviderConfig::parse("channel.provider_config", Some(&ok))?;
        assert_eq!(c.user_id, "3777");
        let missing = json!({"api_url": "https://bsp.example", "user_id": "u", "waba_id": "w"});
        assert_eq!(ProviderConfig::parse("p", Some(&missing)).err().map(|e| e.field), Some("p.api_key".into()));
        let bad_url = json!({"api_url": "ftp://bsp", "api_key": "k", "user_id": "u", "waba_id": "w"});
        assert_eq!(ProviderConfig::parse("p", Some(&bad_url)).err().map(|e| e.field), Some("p.api_url".into()));
        assert!(ProviderConfig::parse("p", None).is_err());
        Ok(())
    }

    #[test]
    fn updates_keep_what_they_leave_out() -> TestResult {
        let c = ProviderConfig::parse(
            "p",
            Some(&json!({"api_url": "https://a.example", "api_key": "old-key", "user_id": "1", "waba_id": "w"})),
        )?;
        let rotated = c.updated("p", &json!({"api_key": "new-key"}))?;
        assert_eq!((rotated.api_key.as_str(), rotated.user_id.as_str()), ("new-key", "1"));
        let echoed = c.updated("p", &json!({"api_key": "********", "waba_id": "w2"}))?;
        assert_eq!((echoed.api_key.as_str(), echoed.waba_id.as_str()), ("old-key", "w2"));
        assert_eq!(c.updated("p", &json!({"api_url": "nope"})).err().map(|e| e.field), Some("p.api_url".into()));
        Ok(())
    }

    #[test]
    fn keys_are_masked() {
        assert_eq!(mask("short"), "********");
        assert_eq!(mask("0123456789abcdefWXYZ"), "********WXYZ");
        let c = ProviderConfig {
            api_url: "https://bsp.example".into(),
            api_key: "secret-secret-secret".into(),
            user_id: "1".into(),
            waba_id: "2".into(),
            namespace: None,
            after_crash: AfterCrash::Hold,
            analytics_token: Some("6f7267fb-9134-11ed-b25b-00155d601935".into()),
            client_id: Some("942".into()),
        };
        let shown = c.masked();
        assert!(!shown.to_string().contains("secret-secret") && !shown.to_string().contains("6f7267fb"));
        assert_eq!((shown["analytics_token"].as_str(), shown["client_id"].as_str()), (Some("********1935"), Some("********")));
        assert_eq!(shown["after_crash"], "hold");
        // Echoing the masked values back keeps the secrets; a blank clears one.
        let echoed = c.updated("p", &shown);
        assert_eq!(
            echoed.as_ref().ok().map(|e| (e.analytics_token.clone(), e.client_id.clone())),
            Some((c.analytics_token.clone(), c.client_id.clone()))
        );
        let cleared = c.updated("p", &json!({"client_id": ""}));
        assert_eq!(cleared.ok().map(|e| e.client_id), Some(None));
        assert_eq!(c.updated("p", &json!({"analytics_token": 5})).ok().and_then(|e| e.analytics_token), Some("5".into()));
        assert_eq!(c.updated("p", &json!({"analytics_token": []})).err().map(|e| e.field), Some("p.analytics_token".into()));
    }

    #[test]
    fn the_crash_policy_is_hold_unless_resend_is_asked_for() {
        let raw = serde_json::json!({ "api_url": "https://bsp.example", "api_key": "k", "user_id": "1", "waba_id": "2" });
        assert_eq!(ProviderConfig::parse("c", Some(&raw)).map(|c| c.after_crash).ok(), Some(AfterCrash::Hold));
        let mut resend = raw.clone();
        resend["after_crash"] = serde_json::json!("resend");
        assert_eq!(ProviderConfig::parse("c", Some(&resend)).map(|c| c.after_crash).ok(), Some(AfterCrash::Resend));
        let mut bad = raw.clone();
        bad["after_crash"] = serde_json::json!("maybe");
        assert_eq!(ProviderConfig::parse("c", Some(&bad)).err().map(|e| e.field), Some("c.after_crash".to_string()));
        // Stored configs from before the policy existed read as hold.
        let stored: Result<ProviderConfig, _> = serde_json::from_value(raw);
        assert_eq!(stored.map(|c| c.after_crash).ok(), Some(AfterCrash::Hold));
    }

    #[test]
    fn the_window_is_24_hours_from_the_last_contact_message() {
        let now = Utc::now();
        assert!(window_open(Some(now - Duration::hours(23)), now));
        assert!(!window_open(Some(now - Duration::hours(25)), now));
        assert!(!window_open(None, now));
    }

    #[test]
    fn statuses_only_move_forward() {
        use Delivery::*;
        assert!(Progress.may_become(Sent));
        assert!(Sent.may_become(Delivered) && Delivered.may_become(Read));
        assert!(!Read.may_become(Delivered) && !Delivered.may_become(Sent) && !Sent.may_become(Sent));
        assert!(Sent.may_become(Failed) && !Read.may_become(Failed));
        assert!(Failed.may_become(Delivered) && !Failed.may_become(Sent));
    }

    #[test]
    fn template_shapes() {
        assert_eq!(placeholders("Hi {{1}}, order {{2}} ({{1}}) {{x}}"), 2);
        let components = json!([
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Buen dia {{1}}, pedido {{2}}"},
            {"type": "BUTTONS", "buttons": [{"type": "PHONE_NUMBER", "text": "Call"}, {"type": "URL", "url": "https://x/{{1}}"}]}
        ]);
        let shape = TemplateShape::of(&components);
        assert_eq!(shape.body, 2);
        assert_eq!(shape.header_media.as_deref(), Some("IMAGE"));
        assert_eq!(shape.url_buttons, vec![1]);
        let image = json!({"type": "image", "image": {"link": "https://x/y.png"}});
        assert!(shape.check(std::slice::from_ref(&image), 2, &[1]).is_ok());
        assert_eq!(shape.check(std::slice::from_ref(&image), 1, &[1]).err().map(|e| e.field), Some("template_params.body".into()));
        assert_eq!(shape.check(&[], 2, &[1]).err().map(|e| e.field), Some("template_params.header".into()));
        assert_eq!(shape.check(&[image], 2, &[]).err().map(|e| e.field), Some("template_params.buttons".into()));
        assert!(same_language("en-US", "en_us"));
    }
}

/// A template's body text (its BODY component), if it has one.
pub fn body_text(components: &Value) -> Option<&str> {
    components
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("BODY")))?
        .get("text")?
        .as_str()
}

/// The text with each `{{n}}` replaced by `fill(n)` (1-based); a placeholder it has no value for
/// stays as written.
pub fn render_placeholders(text: &str, fill: impl Fn(usize) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| Some((end, after[..end].trim().parse::<usize>().ok()?))) {
            Some((end, n)) => {
                out.push_str(&fill(n).unwrap_or_else(|| format!("{{{{{n}}}}}")));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod render_tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_or_starred() {
        let text = "Your OTP for {{1}} is {{2}}. This is valid for {{3}}.";
        let params = ["test 1", "test 2", "test 3"];
        assert_eq!(
            render_placeholders(text, |n| params.get(n - 1).map(|s| s.to_string())),
            "Your OTP for test 1 is test 2. This is valid for test 3."
        );
        assert_eq!(render_placeholders("Hi {{1}}. Welcome", |_| Some("*".into())), "Hi *. Welcome");
        assert_eq!(render_placeholders("{{x}} and {{2}}", |_| None), "{{x}} and {{2}}");
        let components = serde_json::json!([{"type": "HEADER"}, {"type": "BODY", "text": "Hola {{1}}"}]);
        assert_eq!(body_text(&components), Some("Hola {{1}}"));
    }
}
