//! The Baileys-style provider as a `Channel`: its connection, its webhooks read into inbound
//! events (group messages and group changes too), and messages sent as `send-message`
//! content. WhatsApp Web has no templates and no 24-hour window.

use std::collections::HashMap;

use async_trait::async_trait;
use base64::Engine;
use serde_json::{json, Value};
use switchboard_domain::groups::{self, GroupSetting, Jid, JidKind};
use switchboard_domain::whatsapp::{AfterCrash, BaileysConfig, Delivery, Provider, TEXT_MAX};
use switchboard_domain::ValidationError;

use super::webhook::{parse_webhook, Event, UpsertMessage};
use super::{Client, Connection, GroupMetadata, JoinRequest, ProviderError};
use crate::channel::{Channel, ChannelError, Connect, Draft, Groups, Mentions, Outbound, Quoted, Recipient, SendError, WebhookError};
use crate::inbound::{Chat, FileSource, GroupStub, InboundEvent, InboundFile, InboundMessage, Reaction, StatusUpdate};
use crate::media::Downloaded;

/// One inbox's number at the provider.
pub struct Baileys<'a> {
    client: &'a Client,
    config: &'a BaileysConfig,
    phone: &'a str,
}

impl<'a> Baileys<'a> {
    pub fn new(client: &'a Client, config: &'a BaileysConfig, phone: &'a str) -> Self {
        Self { client, config, phone }
    }

    fn connection(&self) -> Connection<'a> {
        Connection { provider_url: &self.config.provider_url, api_key: &self.config.api_key, phone: self.phone }
    }
}

#[async_trait]
impl Channel for Baileys<'_> {
    fn provider(&self) -> Provider {
        Provider::Baileys
    }

    /// Every send carries an idempotency key the provider honours, so a resend is safe.
    fn after_crash(&self) -> AfterCrash {
        AfterCrash::Resend
    }

    async fn connect(&self, setup: &Connect<'_>) -> Result<(), ChannelError> {
        let verify = &self.config.webhook_verify_token;
        let connected = self.client.connect(&self.connection(), setup.name, setup.webhook_url, verify, setup.groups_enabled).await;
        connected.map_err(failed)
    }

    async fn disconnect(&self) -> Result<(), ChannelError> {
        self.client.disconnect(&self.connection()).await.map_err(failed)
    }

    /// The verify token must be the inbox's.
    fn parse_webhook(&self, body: &Value) -> Result<Vec<InboundEvent>, WebhookError> {
        let hook = parse_webhook(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        if hook.verify_token.as_deref() != Some(self.config.webhook_verify_token.as_str()) {
            return Err(WebhookError::BadToken);
        }
        Ok(match hook.event {
            Event::Messages(list) => upserts(&list, &hook.media),
            Event::Participants(update) => vec![InboundEvent::Participants(update)],
            Event::Groups(list) => vec![InboundEvent::GroupSettings(list)],
            Event::Activity(list) => vec![InboundEvent::GroupActivity(list)],
            Event::Receipts(list) => {
                let statuses = list
                    .into_iter()
                    .filter_map(|r| {
                        Some(StatusUpdate { status: Delivery::parse(r.status)?, source_id: r.id, error: None, details: json!({}) })
                    })
                    .collect();
                vec![InboundEvent::Statuses(statuses)]
            }
            Event::Ignored(_) => vec![],
        })
    }

    fn check(&self, draft: &Draft<'_>) -> Result<(), ValidationError> {
        // WhatsApp Web sends text or one file.
        if draft.files.is_empty() && draft.content.is_none_or(|t| t.trim().is_empty()) {
            return Err(ValidationError::blank("content"));
        }
        if draft.content.is_some_and(|t| t.chars().count() > TEXT_MAX) {
            return Err(ValidationError::invalid("content", format!("is longer than {TEXT_MAX} characters")));
        }
        Ok(())
    }

    async fn send(&self, m: &Outbound<'_>) -> Result<Option<String>, SendError> {
        let (jid, content) = content_for(m).await.map_err(SendError::Rejected)?;
        self.client.send(&self.connection(), &jid, &content, &m.idempotency_key).await
    }

    fn groups(&self) -> Option<&dyn Groups> {
        Some(self)
    }

    /// The provider keeps what contacts send, by message id.
    async fn download(&self, message_id: &str, _link: Option<&str>, limit: usize) -> Result<Downloaded, SendError> {
        self.client.media(&self.connection(), message_id, limit).await
    }

    /// Where the picture is (`profile-picture-url`), then the picture (WhatsApp's CDN).
    async fn picture(&self, jid: &str, limit: usize) -> Option<Result<Option<Downloaded>, SendError>> {
        let found = match self.client.picture_url(&self.connection(), jid).await {
            Ok(None) => Ok(None),
            Ok(Some(url)) => self.client.picture(&url, limit).await.map(Some),
            Err(e) => Err(SendError::Retryable(e.message)),
        };
        Some(found)
    }
}

/// For the inbox's caller, any failure of a group call is the provider's.
fn failed(e: ProviderError) -> ChannelError {
    ChannelError { message: e.message, refused: true }
}

#[async_trait]
impl Groups for Baileys<'_> {
    async fn metadata(&self, jid: &str) -> Result<GroupMetadata, ChannelError> {
        self.client.group_metadata(&self.connection(), jid).await.map_err(failed)
    }
    async fn create(&self, subject: &str, participants: &[String]) -> Result<GroupMetadata, ChannelError> {
        self.client.create_group(&self.connection(), subject, participants).await.map_err(failed)
    }
    async fn participant(&self, jid: &str, participant: &str, action: &str) -> Result<String, ChannelError> {
        self.client.participant(&self.connection(), jid, participant, action).await.map_err(failed)
    }
    async fn set_subject(&self, jid: &str, subject: &str) -> Result<(), ChannelError> {
        self.client.set_subject(&self.connection(), jid, subject).await.map_err(failed)
    }
    async fn set_description(&self, jid: &str, description: &str) -> Result<(), ChannelError> {
        self.client.set_description(&self.connection(), jid, description).await.map_err(failed)
    }
    async fn set_picture(&self, jid: &str, image_base64: &str) -> Result<(), ChannelError> {
        self.client.set_picture(&self.connection(), jid, image_base64).await.map_err(failed)
    }
    async fn invite_code(&self, jid: &str) -> Result<String, ChannelError> {
        self.client.invite_code(&self.connection(), jid).await.map_err(failed)
    }
    async fn revoke_invite(&self, jid: &str) -> Result<String, ChannelError> {
        self.client.revoke_invite(&self.connection(), jid).await.map_err(failed)
    }
    async fn join_requests(&self, jid: &str) -> Result<Vec<JoinRequest>, ChannelError> {
        self.client.join_requests(&self.connection(), jid).await.map_err(failed)
    }
    async fn handle_join_requests(&self, jid: &str, participants: &[String], action: &str) -> Result<(), ChannelError> {
        self.client.handle_join_requests(&self.connection(), jid, participants, action).await.map_err(failed)
    }
    async fn set_setting(&self, jid: &str, setting: &GroupSetting) -> Result<(), ChannelError> {
        self.client.set_setting(&self.connection(), jid, setting).await.map_err(failed)
    }
    async fn leave(&self, jid: &str) -> Result<(), ChannelError> {
        self.client.leave(&self.connection(), jid).await.map_err(failed)
    }
}

/// `messages.upsert`: contacts' messages (ours, written on the phone, store nothing), then the
/// reactions (which may be to one of those messages), then groups' system messages.
fn upserts(list: &[UpsertMessage], media: &HashMap<String, String>) -> Vec<InboundEvent> {
    let messages: Vec<InboundMessage> = list.iter().filter(|m| m.is_message && !m.from_me).filter_map(|m| message(m, media)).collect();
    let reactions: Vec<Reaction> = list
        .iter()
        .filter_map(|m| {
            let r = m.reaction.as_ref()?;
            let from = if m.from_me { "me".to_string() } else { m.participant.clone().unwrap_or_else(|| m.remote_jid.clone()) };
            Some(Reaction { target: r.target.clone(), from, name: m.push_name.clone(), emoji: r.emoji.clone() })
        })
        .collect();
    let stubs: Vec<GroupStub> = list.iter().filter_map(|m| Some(GroupStub { jid: m.remote_jid.clone(), stub: m.stub.clone()? })).collect();
    let mut events = Vec::new();
    if !messages.is_empty() {
        events.push(InboundEvent::Messages(messages));
    }
    if !reactions.is_empty() {
        events.push(InboundEvent::Reactions(reactions));
    }
    if !stubs.is_empty() {
        events.push(InboundEvent::GroupStubs(stubs));
    }
    events
}

/// A contact's message, in a group or to our number; a chat we cannot name is skipped.
fn message(m: &UpsertMessage, media: &HashMap<String, String>) -> Option<InboundMessage> {
    let chat = Jid::parse(&m.remote_jid)?;
    let chat = match chat.kind() {
        JidKind::Group => Chat::Group {
            jid: m.remote_jid.clone(),
            participant: m.participant.clone().unwrap_or_default(),
            participant_alt: m.participant_alt.clone(),
            push_name: m.push_name.clone(),
        },
        JidKind::User | JidKind::Lid => {
            let wa_id = if chat.kind() == JidKind::Lid { format!("{}@lid", chat.user) } else { chat.user.to_string() };
            let phone = chat.phone_digits().and_then(|d| switchboard_domain::contacts::phone_number("phone_number", &format!("+{d}")).ok());
            let name = m.push_name.clone().or_else(|| phone.clone()).unwrap_or_else(|| wa_id.clone());
            Chat::Person { wa_id, phone, name }
        }
        JidKind::Other => return None,
    };
    Some(InboundMessage {
        id: m.id.clone(),
        chat,
        timestamp: m.timestamp,
        content: m.content.clone(),
        content_attributes: m.content_attributes.clone(),
        reply_to: m.reply_to.clone(),
        file: file(m, media),
        mentioned: m.mentioned.clone(),
        mentions_everyone: m.mentions_everyone,
    })
}

/// A message's file: sent along (`extra.media`), or kept at the provider for a job to fetch.
fn file(m: &UpsertMessage, media: &HashMap<String, String>) -> Option<InboundFile> {
    let file = m.media.as_ref()?;
    let declared = file.mime_type.as_deref().map(|t| t.split(';').next().unwrap_or(t).trim().to_string());
    let file_name = file.file_name.clone().unwrap_or_else(|| format!("{}.{}", m.id, extension_for(declared.as_deref())));
    let mut meta = json!({});
    if file.voice {
        meta["is_recorded_audio"] = json!(true);
    }
    let inline = media.get(&m.id).and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok());
    Some(InboundFile {
        file_type: file.file_type,
        content_type: declared.unwrap_or_else(|| "application/octet-stream".into()),
        file_name,
        meta,
        source: inline.map_or(FileSource::AtProvider, FileSource::Inline),
    })
}

/// A file name's extension for a MIME type WhatsApp uses; `bin` for others.
fn extension_for(mime: Option<&str>) -> &'static str {
    match mime.unwrap_or_default() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

/// What `send-message` gets: text, or one file (base64) with its caption, with the mentions in
/// it and the message it quotes. Groups get their JID; people their number's or LID's.
async fn content_for(m: &Outbound<'_>) -> Result<(String, Value), String> {
    let (jid, group) = match &m.to {
        Recipient::Group(jid) => (jid.clone(), true),
        Recipient::Person(id) => (groups::send_jid(id), false),
    };
    // A reaction (the reference's `is_reaction`, answering the message it reacts to).
    if m.content_attributes.get("is_reaction").and_then(Value::as_bool) == Some(true) {
        let quoted = m.reply_to.as_ref().ok_or("a reaction must answer a message WhatsApp knows (in_reply_to)")?;
        let emoji = m.content.unwrap_or_default();
        return Ok((jid.clone(), json!({ "react": { "key": key_of(quoted, &jid, group), "text": emoji.trim() } })));
    }
    let plain = Mentions { text: m.content.unwrap_or_default().to_string(), ..Default::default() };
    let Mentions { text, jids, everyone } = m.mentions.clone().unwrap_or(plain);
    let mut content = match &m.file {
        None => {
            if text.trim().is_empty() {
                return Err("the message has no text".into());
            }
            json!({ "text": text })
        }
        Some(file) => {
            let bytes = match &file.path {
                Some(path) => tokio::fs::read(path).await.map_err(|e| format!("the file could not be read: {e}"))?,
                None => return Err("the file is not stored here".into()),
            };
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            let kind = match file.file_type.as_str() {
                "image" if file.sticker => "sticker",
                "image" | "video" | "audio" => file.file_type.as_str(),
                _ => "document",
            };
            let mut content = json!({ kind: data, "fileName": file.file_name });
            if !text.is_empty() && kind != "audio" && kind != "sticker" {
                content["caption"] = json!(text);
            }
            if kind == "document" {
                content["mimetype"] = json!(file.content_type);
            }
            if kind == "audio" && file.voice {
                content["ptt"] = json!(true);
            }
            content
        }
    };
    if !jids.is_empty() {
        content["mentions"] = json!(jids);
    }
    if everyone {
        content["groupMentions"] = json!([{ "groupSubject": "everyone" }]);
    }
    if let Some(quoted) = &m.reply_to {
        content["quotedMessage"] = json!({ "key": key_of(quoted, &jid, group), "message": { "conversation": quoted.text } });
    }
    Ok((jid, content))
}

/// A quoted message's key: in a group, a contact's message names its writer as `participant`.
fn key_of(quoted: &Quoted, chat: &str, group: bool) -> Value {
    let mut key = json!({ "id": quoted.source_id, "remoteJid": chat, "fromMe": quoted.from_me });
    if group && !quoted.from_me {
        if let Some(participant) = &quoted.participant {
            key["participant"] = json!(participant);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::channel::OutboundFile;
    use crate::guard::Guard;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn config() -> BaileysConfig {
        BaileysConfig { provider_url: "http://provider.invalid".into(), api_key: "k".into(), webhook_verify_token: "vt".into() }
    }

    #[test]
    fn a_webhook_without_the_inbox_token_is_refused() -> TestResult {
        let client = Client::new(Duration::from_secs(1), Guard { allow_private: true })?;
        let config = config();
        let channel = Baileys::new(&client, &config, "+5511999990000");
        let body = json!({ "event": "messages.upsert", "data": [], "webhookVerifyToken": "other" });
        assert_eq!(channel.parse_webhook(&body), Err(WebhookError::BadToken));
        assert!(matches!(channel.parse_webhook(&json!([1])), Err(WebhookError::Malformed(_))));
        Ok(())
    }

    #[test]
    fn upserts_become_messages_then_reactions_then_stubs() -> TestResult {
        let client = Client::new(Duration::from_secs(1), Guard { allow_private: true })?;
        let config = config();
        let channel = Baileys::new(&client, &config, "+5511999990000");
        let body = json!({ "event": "messages.upsert", "webhookVerifyToken": "vt", "data": [
            { "key": { "id": "R", "remoteJid": "5511988887777@s.whatsapp.net" }, "pushName": "Ana",
              "message": { "reactionMessage": { "key": { "id": "M0" }, "text": "👍" } } },
            { "key": { "id": "S", "remoteJid": "120363@g.us" }, "messageStubType": "GROUP_CHANGE_ICON" },
            { "key": { "id": "M1", "remoteJid": "5511988887777@s.whatsapp.net" }, "pushName": "Ana",
              "message": { "conversation": "oi" } },
            { "key": { "id": "M2", "remoteJid": "120363@g.us", "participant": "2771@lid" }, "pushName": "Bia",
              "message": { "imageMessage": { "mimetype": "image/jpeg; x=1", "caption": "foto" } } },
            { "key": { "id": "M3", "remoteJid": "5511988887777@s.whatsapp.net", "fromMe": true },
              "message": { "conversation": "ours, from the phone" } }
        ], "extra": { "media": { "M2": "aGVsbG8=" } } });
        let events = channel.parse_webhook(&body)?;
        let [InboundEvent::Messages(messages), InboundEvent::Reactions(reactions), InboundEvent::GroupStubs(stubs)] = events.as_slice()
        else {
            return Err(format!("unexpected events: {events:?}").into());
        };
        assert_eq!(messages.len(), 2, "our own message is not a contact's");
        assert_eq!(
            messages[0].chat,
            Chat::Person { wa_id: "5511988887777".into(), phone: Some("+5511988887777".into()), name: "Ana".into() }
        );
        assert!(matches!(&messages[1].chat, Chat::Group { jid, participant, .. } if jid == "120363@g.us" && participant == "2771@lid"));
        let file = messages[1].file.as_ref().ok_or("the image has a file")?;
        assert_eq!((file.file_type, file.content_type.as_str(), file.file_name.as_str()), ("image", "image/jpeg", "M2.jpg"));
        assert_eq!(file.source, FileSource::Inline(b"hello".to_vec()));
        assert_eq!(
            reactions[0],
            Reaction {
                target: "M0".into(),
                from: "5511988887777@s.whatsapp.net".into(),
                name: Some("Ana".into()),
                emoji: Some("👍".into())
            }
        );
        assert_eq!(stubs[0].jid, "120363@g.us");
        Ok(())
    }

    #[tokio::test]
    async fn a_group_reply_with_mentions_and_a_file_is_one_send_message() -> TestResult {
        let dir = std::env::temp_dir().join(format!("sb-baileys-{}", std::process::id()));
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join("doc.pdf");
        tokio::fs::write(&path, b"%PDF").await?;
        let attributes = json!({});
        let message = Outbound {
            to: Recipient::Group("120363@g.us".into()),
            content: Some("[@Bia](mention://contact/7) see this"),
            content_type: "text",
            content_attributes: &attributes,
            template: None,
            file: Some(OutboundFile {
                file_type: "file".into(),
                sticker: false,
                content_type: "application/pdf".into(),
                file_name: "doc.pdf".into(),
                link: "https://files.invalid/doc.pdf".into(),
                path: Some(path),
                voice: false,
            }),
            reply_to: Some(Quoted { source_id: "Q1".into(), from_me: false, participant: Some("2771@lid".into()), text: "hi".into() }),
            mentions: Some(Mentions { text: "@2771 see this".into(), jids: vec!["2771@lid".into()], everyone: false }),
            idempotency_key: "1:2".into(),
        };
        let (jid, content) = content_for(&message).await?;
        assert_eq!(jid, "120363@g.us");
        assert_eq!(content["document"], json!("JVBERg=="));
        assert_eq!(content["caption"], json!("@2771 see this"));
        assert_eq!(content["mimetype"], json!("application/pdf"));
        assert_eq!(content["mentions"], json!(["2771@lid"]));
        assert_eq!(
            content["quotedMessage"]["key"],
            json!({ "id": "Q1", "remoteJid": "120363@g.us", "fromMe": false, "participant": "2771@lid" })
        );
        tokio::fs::remove_dir_all(&dir).await?;
        // A file that is only linked cannot be sent by this provider.
        let unstored = Outbound { file: message.file.clone().map(|f| OutboundFile { path: None, ..f }), ..message };
        assert_eq!(content_for(&unstored).await, Err("the file is not stored here".to_string()));
        Ok(())
    }
}
