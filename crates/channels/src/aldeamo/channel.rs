//! The BSP as a `Channel`: its webhooks read into inbound events, messages sent as the BSP
//! request for their type, and its templates. It has no connection to open and no groups.

use async_trait::async_trait;
use serde_json::Value;
use switchboard_domain::whatsapp::{AfterCrash, Delivery, Provider, ProviderConfig};
use switchboard_domain::ValidationError;

use super::inbound::{InboundMessage, TemplateEvent as WireTemplateEvent};
use super::outbound::{build, Media, MediaKind, Outbound as Request};
use super::{parse_webhook, wa_number, BspError, Client};
use crate::channel::{Channel, ChannelError, Draft, Outbound, Recipient, SendError, TemplateListing, WebhookError};
use crate::inbound::{Chat, FileSource, InboundEvent, InboundFile, Reaction, StatusUpdate, TemplateEvent, TemplateNews};
use crate::media::Downloaded;

/// One inbox's number at the BSP.
pub struct Bsp<'a> {
    client: &'a Client,
    config: &'a ProviderConfig,
    phone: &'a str,
}

impl<'a> Bsp<'a> {
    pub fn new(client: &'a Client, config: &'a ProviderConfig, phone: &'a str) -> Self {
        Self { client, config, phone }
    }
}

#[async_trait]
impl Channel for Bsp<'_> {
    fn provider(&self) -> Provider {
        Provider::Aldeamo
    }

    /// The BSP has no idempotency key, so the inbox's policy decides.
    fn after_crash(&self) -> AfterCrash {
        self.config.after_crash
    }

    fn parse_webhook(&self, body: &Value) -> Result<Vec<InboundEvent>, WebhookError> {
        let hook = parse_webhook(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        let mut events = Vec::new();
        if !hook.messages.is_empty() {
            events.push(InboundEvent::Messages(hook.messages.iter().map(message).collect()));
        }
        if !hook.reactions.is_empty() {
            let reactions = hook
                .reactions
                .into_iter()
                .map(|r| Reaction { target: r.target, from: r.from, name: r.profile_name, emoji: r.emoji })
                .collect();
            events.push(InboundEvent::Reactions(reactions));
        }
        // A status we do not know (`deleted`, say) moves nothing.
        let statuses: Vec<StatusUpdate> = hook
            .statuses
            .into_iter()
            .filter_map(|s| Some(StatusUpdate { status: Delivery::parse(&s.status)?, source_id: s.id, error: s.error, details: s.details }))
            .collect();
        if !statuses.is_empty() {
            events.push(InboundEvent::Statuses(statuses));
        }
        let templates: Vec<TemplateEvent> = hook.templates.into_iter().flat_map(template_events).collect();
        if !templates.is_empty() {
            events.push(InboundEvent::Templates(templates));
        }
        Ok(events)
    }

    fn check(&self, draft: &Draft<'_>) -> Result<(), ValidationError> {
        let media = draft.files.first().map(|t| Media {
            kind: MediaKind::of(t, draft.content_type == "sticker"),
            link: "https://example.invalid/check".into(),
            file_name: "file".into(),
        });
        let request = Request {
            from: "0",
            to: "0",
            content: draft.content,
            content_type: draft.content_type,
            content_attributes: draft.content_attributes,
            template: draft.template.clone(),
            media,
            reply_to: None,
        };
        build(&request).map(|_| ())
    }

    async fn send(&self, m: &Outbound<'_>) -> Result<Option<String>, SendError> {
        let to = match &m.to {
            // A person known only by their business-scoped user id (BSUID) is answered at it.
            Recipient::Person(id) if !id.trim_start_matches('+').chars().all(|c| c.is_ascii_digit()) => id.clone(),
            Recipient::Person(number) => wa_number(number),
            Recipient::Group(_) => return Err(SendError::Rejected("the BSP does not reach groups".into())),
        };
        let media = m.file.as_ref().map(|f| Media {
            kind: MediaKind::of(&f.file_type, f.sticker),
            link: f.link.clone(),
            file_name: f.file_name.clone(),
        });
        let from = wa_number(self.phone);
        let request = Request {
            from: &from,
            to: &to,
            content: m.content,
            content_type: m.content_type,
            content_attributes: m.content_attributes,
            template: m.template.clone(),
            media,
            reply_to: m.reply_to.as_ref().map(|q| q.source_id.as_str()),
        };
        let request = build(&request).map_err(|e| SendError::Rejected(e.to_string()))?;
        self.client.send(self.config, &request).await
    }

    /// The BSP hosts what contacts send at the link its webhook gave.
    async fn download(&self, _message_id: &str, link: Option<&str>, limit: usize) -> Result<Downloaded, SendError> {
        match link {
            Some(link) => self.client.media(link, limit).await,
            None => Err(SendError::Rejected("the channel gave no link to the file".into())),
        }
    }

    async fn templates(&self) -> Option<Result<Vec<TemplateListing>, ChannelError>> {
        Some(self.client.templates(self.config, 500).await.map_err(failed))
    }

    async fn create_template(&self, template: &Value) -> Option<Result<Option<String>, ChannelError>> {
        Some(self.client.create_template(self.config, template).await.map_err(failed))
    }

    async fn delete_template(&self, name: &str) -> Option<Result<(), ChannelError>> {
        Some(self.client.delete_template(self.config, name).await.map_err(failed))
    }
}

/// A BSP 4xx is the request's fault; anything else is the BSP's.
fn failed(e: BspError) -> ChannelError {
    ChannelError { refused: e.status.is_some_and(|s| (400..500).contains(&s)), message: e.message }
}

/// A contact's message: from a number, or from a business-scoped user id (BSUID), which names
/// the person without one.
fn message(m: &InboundMessage) -> crate::inbound::InboundMessage {
    let is_number = m.from.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
    let phone =
        is_number.then(|| switchboard_domain::contacts::phone_number("phone_number", &format!("+{}", wa_number(&m.from))).ok()).flatten();
    let file = m.media.as_ref().map(|media| InboundFile {
        file_type: media.file_type,
        content_type: media.mime_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
        file_name: media.meta.get("filename").and_then(Value::as_str).unwrap_or_default().to_string(),
        meta: media.meta.clone(),
        source: media.link.clone().map_or(FileSource::AtProvider, FileSource::Link),
    });
    crate::inbound::InboundMessage {
        id: m.id.clone(),
        chat: Chat::Person { wa_id: m.from.clone(), phone, name: m.profile_name.clone().unwrap_or_else(|| m.from.clone()) },
        timestamp: m.timestamp,
        content: m.content.clone(),
        content_attributes: m.content_attributes.clone(),
        reply_to: m.reply_to.clone(),
        file,
        mentioned: vec![],
        mentions_everyone: false,
    }
}

/// Template news; performance metrics come as a list, one template each.
fn template_events(t: WireTemplateEvent) -> Vec<TemplateEvent> {
    match t {
        WireTemplateEvent::Status { template_id, name, language, event, reason } => {
            vec![TemplateEvent { template_id, name, language, change: TemplateNews::Status { event, reason } }]
        }
        WireTemplateEvent::Category { template_id, name, language, previous, new } => {
            vec![TemplateEvent { template_id, name, language, change: TemplateNews::Category { previous, new } }]
        }
        WireTemplateEvent::Metrics(list) => list
            .into_iter()
            .map(|metric| {
                let text =
                    |k: &str| metric.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
                TemplateEvent {
                    template_id: text("template_id"),
                    name: text("template_name").unwrap_or_default(),
                    language: text("template_language").unwrap_or_default(),
                    change: TemplateNews::Metrics(metric),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::guard::Guard;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn config() -> Result<ProviderConfig, ValidationError> {
        ProviderConfig::parse("channel", Some(&json!({ "api_url": "https://bsp.example", "api_key": "k", "user_id": "u", "waba_id": "w" })))
    }

    #[test]
    fn a_delivery_reads_as_messages_reactions_statuses_and_template_news() -> TestResult {
        let client = Client::new(Duration::from_secs(1), Guard { allow_private: true })?;
        let config = config()?;
        let channel = Bsp::new(&client, &config, "+573230000000");
        let body = json!({
            "contacts": [{ "profile": { "name": "William" }, "wa_id": "573130000001" }],
            "messages": [
                { "from": "573130000001", "id": "A1", "timestamp": "1636642802", "type": "text", "text": { "body": "Hi" } },
                { "from_user_id": "US.13491208655302741918", "id": "A2", "type": "text", "text": { "body": "no number" } },
                { "from": "573130000001", "id": "A3", "type": "reaction", "reaction": { "message_id": "B1", "emoji": "❤" } }
            ],
            "statuses": [
                { "id": "B1", "status": "read" },
                { "id": "B2", "status": "deleted" }
            ]
        });
        let events = channel.parse_webhook(&body)?;
        let [InboundEvent::Messages(messages), InboundEvent::Reactions(reactions), InboundEvent::Statuses(statuses)] = events.as_slice()
        else {
            return Err(format!("unexpected events: {events:?}").into());
        };
        assert_eq!(
            messages[0].chat,
            Chat::Person { wa_id: "573130000001".into(), phone: Some("+573130000001".into()), name: "William".into() }
        );
        assert_eq!(
            messages[1].chat,
            Chat::Person { wa_id: "US.13491208655302741918".into(), phone: None, name: "US.13491208655302741918".into() },
            "a business-scoped user id is no number"
        );
        assert_eq!(reactions[0].target, "B1");
        assert_eq!(statuses.len(), 1, "a status we do not know moves nothing");
        assert_eq!((statuses[0].source_id.as_str(), statuses[0].status), ("B1", Delivery::Read));
        let metrics = json!({ "field": "template_performance_metrics", "value": { "templates_performance_metrics": [
            { "template_id": 7, "template_name": "promo", "template_language": "es", "sent": 3 },
            { "template_id": "8", "template_name": "otro", "template_language": "en" }
        ] } });
        let events = channel.parse_webhook(&metrics)?;
        let [InboundEvent::Templates(news)] = events.as_slice() else { return Err(format!("unexpected events: {events:?}").into()) };
        assert_eq!(news.len(), 2, "one event per template");
        assert_eq!((news[0].template_id.as_deref(), news[0].name.as_str()), (Some("7"), "promo"));
        Ok(())
    }

    #[test]
    fn the_bsp_answers_people_at_their_number_or_bsuid_and_never_groups() -> TestResult {
        let client = Client::new(Duration::from_secs(1), Guard { allow_private: true })?;
        let config = config()?;
        let channel = Bsp::new(&client, &config, "+573230000000");
        let attributes = json!({});
        let draft = Draft { content: Some("hola"), content_type: "text", content_attributes: &attributes, template: None, files: &[] };
        assert!(channel.check(&draft).is_ok());
        let empty = Draft { content: None, ..draft };
        assert!(channel.check(&empty).is_err(), "a text message needs text");
        let capabilities = channel.capabilities();
        assert!(capabilities.templates && capabilities.window && !capabilities.groups);
        Ok(())
    }

    #[tokio::test]
    async fn a_group_is_refused_before_any_request() -> TestResult {
        let client = Client::new(Duration::from_secs(1), Guard { allow_private: true })?;
        let config = config()?;
        let channel = Bsp::new(&client, &config, "+573230000000");
        let attributes = json!({});
        let message = Outbound {
            to: Recipient::Group("120363@g.us".into()),
            content: Some("hola"),
            content_type: "text",
            content_attributes: &attributes,
            template: None,
            file: None,
            reply_to: None,
            mentions: None,
            idempotency_key: "1:2".into(),
        };
        assert_eq!(channel.send(&message).await, Err(SendError::Rejected("the BSP does not reach groups".into())));
        Ok(())
    }
}
