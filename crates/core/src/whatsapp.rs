//! WhatsApp through the BSP: checking outgoing messages when they are created, storing
//! webhooks, and keeping templates in step. Sending is `sending`.

use std::time::Duration;
use switchboard_realtime::Event;

use chrono::Utc;
use serde_json::{json, Value};
use switchboard_channels::aldeamo::{self, InboundMessage, Media, MediaKind, Outbound, TemplateEvent, TemplateSend};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::whatsapp::{window_open, Delivery, Provider, ProviderConfig, TemplateShape};
use switchboard_domain::ValidationError;
use switchboard_store::models::{Conversation, Inbox, Message, NewAttachment, NewMessageTemplate};
use switchboard_store::whatsapp::{Inbound, Received, TemplateChange};
use switchboard_store::{AsyncPgConnection, StoreError};

use crate::change::{Change, Outbox};
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::tokens::random_token;

/// The BSP config of an inbox; templates and the BSP's sends need it.
pub fn config_of(inbox: &Inbox) -> CoreResult<ProviderConfig> {
    if Provider::of(inbox.provider) != Provider::Aldeamo {
        return Err(ValidationError::invalid("inbox", "has no message templates: its provider is not the BSP").into());
    }
    serde_json::from_value(inbox.provider_config.clone())
        .map_err(|_| CoreError::internal(format!("inbox {} has no valid provider config", inbox.id)))
}

/// A group accepts our messages while our number is in it, and, in announcement mode (only
/// admins may send), only when our number is an admin. Refused at once rather than failed later.
async fn group_may_send(conn: &mut AsyncPgConnection, inbox: &Inbox, c: &Conversation) -> CoreResult<()> {
    let group = switchboard_store::contacts::by_id(conn, c.contact_id).await?;
    let identity = switchboard_store::groups::group_inbox(conn, &group).await?.map(|(identity, _)| identity);
    if identity.is_some_and(|i| i.group_left_at.is_some()) {
        return Err(ValidationError::new("conversation", "group_left", "cannot be answered: this inbox's number has left the group").into());
    }
    if group.additional_attributes.get("announce").and_then(Value::as_bool) == Some(true) {
        let phone = inbox.phone_number.as_deref().unwrap_or_default();
        let own = switchboard_store::groups::member_with_number(conn, group.id, phone).await?;
        if own.is_none_or(|m| m.role != "admin") {
            return Err(ValidationError::new(
                "conversation",
                "group_announcement_only",
                "cannot be answered: only admins may send to this group, and this inbox's number is not an admin",
            )
            .into());
        }
    }
    Ok(())
}

/// An outgoing message as the create endpoint received it.
pub struct Draft<'a> {
    pub content: Option<&'a str>,
    pub content_type: &'a str,
    pub content_attributes: &'a Value,
    pub template_params: Option<&'a Value>,
    /// File types of the uploaded attachments.
    pub files: &'a [String],
}

/// Checks an outgoing message against WhatsApp's rules before anything is stored: one file per
/// message, a sendable shape, a known template with the right parameters, and the 24-hour
/// window for anything that is not a template. Returns the resolved template to keep with the
/// message, so the send uses exactly what was checked.
pub async fn prepare(conn: &mut AsyncPgConnection, inbox: &Inbox, c: &Conversation, d: &Draft<'_>) -> CoreResult<Option<Value>> {
    if d.files.len() > 1 {
        return Err(ValidationError::invalid("attachments", "WhatsApp sends one file per message").into());
    }
    if Provider::of(inbox.provider) == Provider::Baileys {
        // WhatsApp Web has no templates and no 24-hour window; it sends text or one file.
        if d.template_params.is_some() {
            return Err(
                ValidationError::invalid("template_params", "templates are sent through the BSP; this inbox's provider has none").into()
            );
        }
        if c.group_type == "group" {
            group_may_send(conn, inbox, c).await?;
        }
        if d.files.is_empty() && d.content.is_none_or(|t| t.trim().is_empty()) {
            return Err(ValidationError::blank("content").into());
        }
        if d.content.is_some_and(|t| t.chars().count() > switchboard_domain::whatsapp::TEXT_MAX) {
            return Err(ValidationError::invalid(
                "content",
                format!("is longer than {} characters", switchboard_domain::whatsapp::TEXT_MAX),
            )
            .into());
        }
        return Ok(None);
    }
    let template = match d.template_params {
        Some(params) => Some(resolve_template(conn, inbox, params).await?),
        None => None,
    };
    if template.is_none() {
        let last = switchboard_store::whatsapp::last_incoming_at(conn, c).await?;
        if !window_open(last, Utc::now()) {
            return Err(ValidationError::new(
                "message",
                "outside_24h_window",
                "cannot be sent: the contact has not written in the last 24 hours, so WhatsApp only accepts an approved template (template_params)",
            )
            .into());
        }
    }
    let media = d.files.first().map(|t| Media {
        kind: MediaKind::of(t, d.content_type == "sticker"),
        link: "https://example.invalid/check".into(),
        file_name: "file".into(),
    });
    let check = Outbound {
        from: "0",
        to: "0",
        content: d.content,
        content_type: d.content_type,
        content_attributes: d.content_attributes,
        template: template.as_ref().map(template_send),
        media,
        reply_to: None,
    };
    aldeamo::build(&check)?;
    Ok(template)
}

pub fn template_send(v: &Value) -> TemplateSend {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    TemplateSend {
        name: text("name").unwrap_or_default(),
        language: text("language").unwrap_or_default(),
        namespace: text("namespace"),
        components: v.get("components").and_then(Value::as_array).cloned().unwrap_or_default(),
    }
}

/// Matches `template_params` with a stored template and checks the parameter counts.
async fn resolve_template(conn: &mut AsyncPgConnection, inbox: &Inbox, params: &Value) -> CoreResult<Value> {
    let name = params.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    let language = params.get("language").and_then(Value::as_str).map(str::trim).filter(|l| !l.is_empty());
    let found = switchboard_store::whatsapp::find_template(conn, inbox.id, name, language).await?;
    let template = match found.as_slice() {
        [] => return Err(ValidationError::invalid("template_params.name", format!("is not a template of this inbox: '{name}'")).into()),
        [one] => one,
        _ => return Err(ValidationError::blank("template_params.language").into()),
    };
    if !template.status.eq_ignore_ascii_case("APPROVED") {
        return Err(ValidationError::invalid("template_params.name", format!("is not approved (status {})", template.status)).into());
    }
    let given = aldeamo::template_components(params)?;
    TemplateShape::of(&template.components).check(&given.header, given.body_count, &given.url_buttons)?;
    let components = given.components;
    let config = config_of(inbox)?;
    let namespace = params.get("namespace").and_then(Value::as_str).map(str::to_string).or(config.namespace);
    Ok(json!({ "name": template.name, "language": template.language, "namespace": namespace, "components": components }))
}

/// Fetches the inbox's templates from the BSP and stores them; then what the BSP says of the
/// number (when the inbox has an analytics token), whose failure is kept on the inbox.
pub async fn sync_templates(state: &AppState, conn: &mut AsyncPgConnection, inbox: &Inbox) -> CoreResult<usize> {
    let rows = fetch_templates(state, inbox).await?;
    switchboard_store::whatsapp::replace_templates(conn, inbox.id, &rows).await?;
    crate::whatsapp_analytics::check_number(state, conn, inbox).await?;
    Ok(rows.len())
}

/// The inbox's templates as the BSP lists them now (no database work: safe to bound in time).
pub async fn fetch_templates(state: &AppState, inbox: &Inbox) -> CoreResult<Vec<NewMessageTemplate>> {
    let config = config_of(inbox)?;
    let listed = state.bsp.templates(&config, 500).await.map_err(|e| CoreError::Upstream { refused: false, message: e.message })?;
    let rows: Vec<NewMessageTemplate> = listed
        .into_iter()
        .map(|t| NewMessageTemplate {
            account_id: inbox.account_id,
            inbox_id: inbox.id,
            external_id: t.id,
            name: t.name,
            language: t.language,
            status: t.status,
            category: t.category,
            components: t.components,
        })
        .collect();
    Ok(rows)
}

/// Every WhatsApp inbox's templates, refreshed every `every`; each inbox is claimed in the
/// database first, so several processes don't all call the BSP.
pub async fn sync_templates_forever(state: std::sync::Arc<AppState>) {
    let every = state.settings.whatsapp.template_sync;
    loop {
        tokio::time::sleep(Duration::from_secs(30).min(every)).await;
        let before = Utc::now() - chrono::Duration::from_std(every).unwrap_or_default();
        let Ok(mut conn) = state.conn().await else { continue };
        let Ok(due) = switchboard_store::whatsapp::inboxes_to_sync(&mut conn, before).await else { continue };
        for inbox in due {
            if !matches!(switchboard_store::whatsapp::claim_sync(&mut conn, inbox.id, before).await, Ok(true)) {
                continue;
            }
            if let Err(e) = sync_templates(&state, &mut conn, &inbox).await {
                tracing::warn!(inbox_id = inbox.id, error = %e, "template sync failed");
            }
        }
    }
}

/// Stores one webhook delivery and announces what changed. Returns after everything committed.
pub async fn receive(state: &AppState, inbox: &Inbox, body: &Value) -> CoreResult<()> {
    let hook = aldeamo::parse_webhook(body).map_err(|e| CoreError::BadRequest(e.to_string()))?;
    if !hook.messages.is_empty() {
        let inbound = hook.messages.iter().map(|m| inbound_of(inbox, m)).collect();
        state.inbound.write(inbox.clone(), inbound, vec![]).await.map_err(|e| match e {
            // The inbox was deleted after it was looked up (a cached token): as if unknown.
            StoreError::Dangling { .. } => CoreError::NotFound,
            e => e.into(),
        })?;
    }
    if !hook.reactions.is_empty() {
        let reactions: Vec<ReactionChange<'_>> = hook
            .reactions
            .iter()
            .map(|r| ReactionChange { target: &r.target, from: &r.from, name: r.profile_name.as_deref(), emoji: r.emoji.as_deref() })
            .collect();
        apply_reactions(state, inbox, &reactions).await?;
    }
    if hook.statuses.is_empty() && hook.templates.is_empty() {
        return Ok(());
    }
    if !hook.statuses.is_empty() {
        apply_statuses(state, inbox, &hook.statuses).await?;
    }
    let mut conn = state.conn().await?;
    let conn = &mut *conn;
    for t in &hook.templates {
        let (id, name, language, change) = match t {
            TemplateEvent::Status { template_id, name, language, event, reason } => {
                (template_id.as_deref(), name.as_str(), language.as_str(), TemplateChange::Status { event, reason: reason.as_deref() })
            }
            TemplateEvent::Category { template_id, name, language, previous, new } => {
                (template_id.as_deref(), name.as_str(), language.as_str(), TemplateChange::Category { previous: previous.as_deref(), new })
            }
            TemplateEvent::Metrics(list) => {
                for metric in list {
                    let text =
                        |k: &str| metric.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
                    let (id, name, language) =
                        (text("template_id"), text("template_name").unwrap_or_default(), text("template_language").unwrap_or_default());
                    switchboard_store::whatsapp::apply_template_event(
                        conn,
                        inbox,
                        id.as_deref(),
                        &name,
                        &language,
                        TemplateChange::Metrics(metric),
                    )
                    .await?;
                }
                continue;
            }
        };
        switchboard_store::whatsapp::apply_template_event(conn, inbox, id, name, language, change).await?;
    }
    Ok(())
}

/// Delivery statuses, with their `message.updated` events, in one change.
async fn apply_statuses(state: &AppState, inbox: &Inbox, statuses: &[aldeamo::StatusUpdate]) -> CoreResult<()> {
    let updates: Vec<StatusChange<'_>> = statuses
        .iter()
        .filter_map(|s| {
            Some(StatusChange { source_id: &s.id, status: Delivery::parse(&s.status)?, error: s.error.as_deref(), details: &s.details })
        })
        .collect();
    apply_deliveries(state, inbox, &updates).await
}

/// Someone's reaction to a message of the inbox (`emoji: None` takes it back).
pub struct ReactionChange<'a> {
    /// The channel's id of the message reacted to.
    pub target: &'a str,
    /// Who reacted, as the channel names them.
    pub from: &'a str,
    pub name: Option<&'a str>,
    pub emoji: Option<&'a str>,
}

/// Reactions, kept on the messages they react to (one per person), each with `message.updated`,
/// in one change. A reaction to a message we do not have, or one we had already, changes nothing.
pub async fn apply_reactions(state: &AppState, inbox: &Inbox, reactions: &[ReactionChange<'_>]) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        for r in reactions {
            if let Some(message) = switchboard_store::whatsapp::react(conn, inbox.id, r.target, r.from, r.name, r.emoji).await? {
                announce_update(state, conn, out, &message).await?;
            }
        }
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// A provider's word on how far one of our messages got.
pub struct StatusChange<'a> {
    pub source_id: &'a str,
    pub status: Delivery,
    pub error: Option<&'a str>,
    /// What the provider said besides, kept on the message.
    pub details: &'a Value,
}

/// Moves messages forward (never back: a read message stays read), with their
/// `message.updated` events, in one change. Either provider's statuses come here.
pub async fn apply_deliveries(state: &AppState, inbox: &Inbox, updates: &[StatusChange<'_>]) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        for s in updates {
            let updated = switchboard_store::whatsapp::apply_status(conn, inbox.id, s.source_id, s.status, s.error, s.details).await?;
            if let Some(m) = updated {
                announce_update(state, conn, out, &m).await?;
            }
        }
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

fn inbound_of(inbox: &Inbox, m: &InboundMessage) -> Inbound {
    // A business-scoped user id (BSUID) names the person without a number: no phone then.
    let is_number = m.from.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
    let phone = is_number
        .then(|| switchboard_domain::contacts::phone_number("phone_number", &format!("+{}", aldeamo::wa_number(&m.from))).ok())
        .flatten();
    let attachment = m.media.as_ref().map(|media| NewAttachment {
        account_id: inbox.account_id,
        message_id: 0,
        file_type: media.file_type.into(),
        content_type: media.mime_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
        file_name: media.meta.get("filename").and_then(Value::as_str).unwrap_or_default().to_string(),
        file_size: 0,
        storage_key: None,
        external_url: media.link.clone(),
        meta: media.meta.clone(),
    });
    Inbound {
        wa_id: m.from.clone(),
        phone_number: phone,
        name: m.profile_name.clone().unwrap_or_else(|| m.from.clone()),
        pubsub_token: random_token(24),
        conversation_uuid: random_token(16),
        source_id: m.id.clone(),
        created_at: m.timestamp.unwrap_or_else(Utc::now),
        content: m.content.clone(),
        content_attributes: m.content_attributes.clone(),
        reply_to_source: m.reply_to.clone(),
        attachment,
        sender_contact_id: None,
        group: false,
    }
}

/// The events of a batch of stored deliveries, staged in the batch's transaction, in order:
/// per message, its new contact, its new or reopened conversation, then `message.created`.
/// Everything `message.created` needs came back from the write; new contacts and changed
/// conversations are rendered together, with a fixed number of queries for the whole batch.
/// Each delivery comes with `senders`: the participants who wrote its group messages
/// (everyone else's sender is the conversation's contact).
pub async fn announce_received(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    deliveries: &[(&[Received], &[switchboard_store::models::Contact])],
) -> CoreResult<()> {
    let all = || deliveries.iter().flat_map(|(received, _)| received.iter());
    let changed = |r: &Received| r.new_conversation || r.previous_status != r.conversation.status;
    // New contacts, with their identities: one query.
    let new_contacts: Vec<&switchboard_store::models::Contact> = all().filter(|r| r.new_contact).map(|r| &r.contact).collect();
    let identities = if new_contacts.is_empty() {
        vec![]
    } else {
        let ids: Vec<i64> = new_contacts.iter().map(|c| c.id).collect();
        switchboard_store::contacts::inboxes_of(conn, &ids).await?
    };
    // Changed conversations, as each message left them: one rendering per account.
    let mut accounts: Vec<i64> = all().filter(|r| changed(r)).map(|r| r.conversation.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut rendered: Vec<Value> = Vec::new();
    let mut order: Vec<(i64, i64)> = Vec::new();
    for account_id in accounts {
        let list: Vec<switchboard_store::models::Conversation> =
            all().filter(|r| changed(r) && r.conversation.account_id == account_id).map(|r| r.conversation.clone()).collect();
        order.extend(list.iter().map(|c| (c.id, c.account_id)));
        rendered.extend(crate::present::conversations(state, conn, account_id, &list).await?);
    }
    let mut payloads = order.iter().zip(rendered);
    for (received, senders) in deliveries {
        for r in received.iter() {
            if r.new_contact {
                let payload = crate::views::contact(&r.contact, &identities);
                crate::events::contact(out, Event::ContactCreated, r.conversation.account_id, payload);
            }
            if changed(r) {
                let event = if r.new_conversation { Event::ConversationCreated } else { Event::ConversationStatusChanged };
                if let Some((_, payload)) = payloads.next() {
                    let token = Some(r.identity.pubsub_token.clone());
                    crate::events::conversation_with(out, event, &r.conversation, payload, Default::default(), token);
                }
            }
            let mut files = Vec::with_capacity(r.files.len());
            for a in &r.files {
                files.push(crate::views::attachment(a, state.storage.url(&state.db, a).await?));
            }
            let sender = senders.iter().find(|c| Some(c.id) == r.message.sender_id).unwrap_or(&r.contact);
            let message = crate::views::message(&r.message, r.conversation.display_id, Some(crate::views::contact_sender(sender)), files);
            let token = Some(r.identity.pubsub_token.clone());
            crate::events::publish_with(out, &r.conversation, &r.message, &message, Event::MessageCreated, token);
        }
    }
    Ok(())
}

/// `message.updated` for a message whose status changed, staged in the change that changed it.
pub async fn announce_update(state: &AppState, conn: &mut AsyncPgConnection, out: &mut Outbox, m: &Message) -> CoreResult<()> {
    let c = switchboard_store::conversations::by_id(conn, m.conversation_id).await?;
    let (mut rendered, _) = crate::present::messages(state, conn, &c, std::slice::from_ref(m)).await?;
    let rendered = rendered.pop().unwrap_or(Value::Null);
    crate::events::publish(conn, out, &c, m, &rendered, Event::MessageUpdated).await
}

/// True for messages the channel must deliver: outgoing or template, and not a private note.
pub fn is_sendable(message_type: MessageType, private: bool) -> bool {
    matches!(message_type, MessageType::Outgoing | MessageType::Template) && !private
}
