//! WhatsApp through the BSP: checking outgoing messages when they are created, sending them
//! from the job queue, storing webhooks, and keeping templates in step.

use std::time::Duration;

use actix_web::web;
use chrono::Utc;
use serde_json::{json, Value};
use switchboard_channels::aldeamo::{self, InboundMessage, Media, MediaKind, Outbound, SendError, TemplateEvent, TemplateSend};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::whatsapp::{window_open, AfterCrash, Delivery, Provider, ProviderConfig, TemplateShape};
use switchboard_domain::ValidationError;
use switchboard_store::models::{Conversation, Inbox, Job, Message, NewAttachment, NewMessageTemplate};
use switchboard_store::whatsapp::{Inbound, Received, TemplateChange};
use switchboard_store::{AsyncPgConnection, StoreError, StoreResult};

use crate::auth::random_token;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Inboxes by webhook token, kept briefly: a busy number delivers thousands of webhooks a
/// second, and the inbox behind a token rarely changes. A change (or deletion) shows within
/// `INBOX_TTL`.
#[derive(Default)]
pub struct InboxCache {
    map: std::sync::Mutex<std::collections::HashMap<String, (Inbox, std::time::Instant)>>,
}

const INBOX_TTL: Duration = Duration::from_secs(5);

impl InboxCache {
    pub async fn get(&self, db: &switchboard_store::DbPool, token: &str) -> ApiResult<Option<Inbox>> {
        if let Ok(map) = self.map.lock() {
            if let Some((inbox, _)) = map.get(token).filter(|(_, at)| at.elapsed() < INBOX_TTL) {
                return Ok(Some(inbox.clone()));
            }
        }
        let found = switchboard_store::whatsapp::inbox_by_webhook_token(&mut *db.get().await?, token).await?;
        if let (Some(inbox), Ok(mut map)) = (&found, self.map.lock()) {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(token.to_string(), (inbox.clone(), std::time::Instant::now()));
        }
        Ok(found)
    }
}

/// The job that sends one outgoing WhatsApp message.
pub const SEND_JOB: &str = "whatsapp.send";

/// The BSP config of an inbox; templates and the BSP's sends need it.
pub fn config_of(inbox: &Inbox) -> ApiResult<ProviderConfig> {
    if Provider::from_stored(inbox.provider.as_deref()) != Provider::Aldeamo {
        return Err(ValidationError::invalid("inbox", "has no message templates: its provider is not the BSP").into());
    }
    serde_json::from_value(inbox.provider_config.clone())
        .map_err(|_| ApiError::internal(format!("inbox {} has no valid provider config", inbox.id)))
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
pub async fn prepare(conn: &mut AsyncPgConnection, inbox: &Inbox, c: &Conversation, d: &Draft<'_>) -> ApiResult<Option<Value>> {
    if d.files.len() > 1 {
        return Err(ValidationError::invalid("attachments", "WhatsApp sends one file per message").into());
    }
    if Provider::from_stored(inbox.provider.as_deref()) == Provider::Baileys {
        // WhatsApp Web has no templates and no 24-hour window; it sends text or one file.
        if d.template_params.is_some() {
            return Err(
                ValidationError::invalid("template_params", "templates are sent through the BSP; this inbox's provider has none").into()
            );
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
        let last = switchboard_store::whatsapp::last_incoming_at(conn, c.id).await?;
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

fn template_send(v: &Value) -> TemplateSend {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    TemplateSend {
        name: text("name").unwrap_or_default(),
        language: text("language").unwrap_or_default(),
        namespace: text("namespace"),
        components: v.get("components").and_then(Value::as_array).cloned().unwrap_or_default(),
    }
}

/// Matches `template_params` with a stored template and checks the parameter counts.
async fn resolve_template(conn: &mut AsyncPgConnection, inbox: &Inbox, params: &Value) -> ApiResult<Value> {
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

/// Fetches the inbox's templates from the BSP and stores them.
pub async fn sync_templates(state: &AppState, conn: &mut AsyncPgConnection, inbox: &Inbox) -> ApiResult<usize> {
    let rows = fetch_templates(state, inbox).await?;
    switchboard_store::whatsapp::replace_templates(conn, inbox.id, &rows).await?;
    Ok(rows.len())
}

/// The inbox's templates as the BSP lists them now (no database work: safe to bound in time).
pub async fn fetch_templates(state: &AppState, inbox: &Inbox) -> ApiResult<Vec<NewMessageTemplate>> {
    let config = config_of(inbox)?;
    let listed = state.bsp.templates(&config, 500).await.map_err(|e| ApiError::Upstream { refused: false, message: e.message })?;
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
pub async fn sync_templates_forever(state: web::Data<AppState>) {
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
pub async fn receive(state: &AppState, inbox: &Inbox, body: &Value) -> ApiResult<()> {
    let hook = aldeamo::parse_webhook(body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !hook.messages.is_empty() {
        let inbound = hook.messages.iter().map(|m| inbound_of(inbox, m)).collect();
        let received = state.inbound.write(inbox.clone(), inbound).await.map_err(|e| match e {
            // The inbox was deleted after it was looked up (a cached token): as if unknown.
            StoreError::Dangling { .. } => ApiError::NotFound,
            e => e.into(),
        })?;
        announce_received(state, &received, &[]).await?;
    }
    if hook.statuses.is_empty() && hook.templates.is_empty() {
        return Ok(());
    }
    let mut conn = state.conn().await?;
    let conn = &mut *conn;
    for s in &hook.statuses {
        let Some(status) = Delivery::parse(&s.status) else { continue };
        let updated = switchboard_store::whatsapp::apply_status(conn, inbox.id, &s.id, status, s.error.as_deref(), &s.details).await?;
        if let Some(m) = updated {
            announce_update(state, conn, &m).await?;
        }
    }
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

fn inbound_of(inbox: &Inbox, m: &InboundMessage) -> Inbound {
    let phone = switchboard_domain::contacts::phone_number("phone_number", &format!("+{}", aldeamo::wa_number(&m.from))).ok();
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

/// The events of stored messages. Everything `message.created` needs came back from the write;
/// only a new contact or a new or reopened conversation costs queries to render.
/// `senders`: the participants who wrote group messages (everyone else's sender is the
/// conversation's contact).
pub(crate) async fn announce_received(
    state: &AppState,
    received: &[Received],
    senders: &[switchboard_store::models::Contact],
) -> ApiResult<()> {
    let mut conn = None;
    for r in received {
        let changed_conversation = r.new_conversation || r.previous_status != r.conversation.status;
        if r.new_contact || changed_conversation {
            let conn = match &mut conn {
                Some(c) => c,
                None => conn.insert(state.conn().await?),
            };
            if r.new_contact {
                let rendered = crate::handlers::contacts::render(conn, &r.contact).await?;
                crate::services::events::contact(state, "contact.created", r.conversation.account_id, rendered).await;
            }
            let event = if r.new_conversation { "conversation.created" } else { "conversation.status_changed" };
            if changed_conversation {
                crate::handlers::conversations::announce(state, conn, &r.conversation, event, &[], Default::default()).await?;
            }
        }
        let mut files = Vec::with_capacity(r.files.len());
        for a in &r.files {
            files.push(crate::views::attachment(a, state.storage.url(&state.db, a).await?));
        }
        let sender = senders.iter().find(|c| Some(c.id) == r.message.sender_id).unwrap_or(&r.contact);
        let rendered = crate::views::message(&r.message, r.conversation.display_id, Some(crate::views::contact_sender(sender)), files);
        let token = Some(r.identity.pubsub_token.clone());
        crate::handlers::messages::publish_with(state, &r.conversation, &r.message, &rendered, "message.created", token).await;
    }
    Ok(())
}

/// `message.updated` for a message whose status changed.
async fn announce_update(state: &AppState, conn: &mut AsyncPgConnection, m: &Message) -> ApiResult<()> {
    let c = switchboard_store::conversations::by_id(conn, m.conversation_id).await?;
    let (mut rendered, _) = crate::handlers::messages::render(state, conn, &c, std::slice::from_ref(m)).await?;
    let rendered = rendered.pop().unwrap_or(Value::Null);
    crate::handlers::messages::publish(state, conn, &c, m, &rendered, "message.updated").await
}

/// Wakes the worker whenever a job is queued anywhere: LISTEN on a connection of its own,
/// re-established after any failure. Polling in the worker covers the gaps.
pub async fn listen_forever(state: web::Data<AppState>) {
    use futures_util::StreamExt;
    loop {
        let listened = async {
            let mut conn = state.db.dedicated().await?;
            switchboard_store::jobs::listen(&mut conn).await?;
            let mut stream = std::pin::pin!(conn.notifications_stream());
            while let Some(n) = stream.next().await {
                n?;
                state.jobs.notify_one();
            }
            StoreResult::Ok(())
        }
        .await;
        if let Err(e) = listened {
            tracing::debug!(error = %e, "job listener reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Claims due jobs and runs them, at most `concurrency` at a time. Sleeps until a NOTIFY or
/// the next poll (retries come due without any NOTIFY). The running jobs belong to this task:
/// when the server stops, they stop with it, and their leases bring them back elsewhere.
pub async fn work_forever(state: web::Data<AppState>) {
    let limit = state.settings.whatsapp.concurrency.max(1);
    let mut running = tokio::task::JoinSet::new();
    let mut stopping = state.stopping.clone();
    loop {
        // A dropped sender (the application is gone) means stopping too.
        if *stopping.borrow_and_update() || stopping.has_changed().is_err() {
            // Stopping: claim nothing more, and let what is under way finish (the caller bounds it).
            tracing::info!(running = running.len(), "job worker stopping; finishing the jobs under way");
            while running.join_next().await.is_some() {}
            return;
        }
        while running.try_join_next().is_some() {}
        let free = limit.saturating_sub(running.len());
        let claimed = if free == 0 {
            vec![]
        } else {
            match state.conn().await {
                Ok(mut conn) => {
                    switchboard_store::jobs::claim(&mut conn, free as i64, state.settings.whatsapp.lease()).await.unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "could not claim jobs");
                        vec![]
                    })
                }
                Err(_) => vec![],
            }
        };
        let got_some = !claimed.is_empty();
        for job in claimed {
            let state = state.clone();
            running.spawn(async move { run(&state, job).await });
        }
        if running.len() >= limit {
            tokio::select! {
                _ = running.join_next() => {}
                _ = stopping.changed() => {}
            }
        } else if !got_some {
            tokio::select! {
                _ = state.jobs.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = stopping.changed() => {}
            }
        }
    }
}

async fn run(state: &AppState, job: Job) {
    let id = job.id;
    let result = match job.kind.as_str() {
        SEND_JOB => send(state, &job).await,
        crate::services::baileys::SYNC_JOB => crate::services::baileys::sync(state, &job).await,
        other => {
            tracing::error!(job_id = id, kind = other, "unknown job kind; dropping it");
            match state.conn().await {
                Ok(mut conn) => switchboard_store::jobs::complete(&mut conn, id).await.map_err(ApiError::from),
                Err(e) => Err(e.into()),
            }
        }
    };
    if let Err(e) = result {
        // The lease brings the job back; nothing is lost.
        tracing::warn!(job_id = id, error = %e, "job did not finish; it will run again");
    }
}

/// Sends one message. Once the BSP has taken it, only recording that remains: it is retried
/// until it sticks, and a message no longer `progress` is never sent again.
async fn send(state: &AppState, job: &Job) -> ApiResult<()> {
    let settings = &state.settings.whatsapp;
    let message_id = job.payload.get("message_id").and_then(Value::as_i64).unwrap_or_default();
    let mut conn = state.conn().await?;
    let Some(out) = switchboard_store::whatsapp::outgoing(&mut conn, message_id).await? else {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    if out.message.status != "progress" {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    }
    let provider = Provider::from_stored(out.inbox.provider.as_deref());
    if job.started_at.is_some() {
        // The last attempt began and its outcome was never recorded: the process died while the
        // peer had the request. The provider's idempotency key makes a resend safe; the BSP has
        // none, so its inbox's policy decides.
        let policy = match provider {
            Provider::Aldeamo => config_of(&out.inbox)?.after_crash,
            Provider::Baileys => AfterCrash::Resend,
        };
        tracing::warn!(message_id, policy = policy.as_str(), "a send was interrupted with its outcome unknown");
        if policy == AfterCrash::Hold {
            return finish_failed(state, &mut conn, message_id, OUTCOME_UNKNOWN, job.id).await;
        }
    }
    if !switchboard_store::jobs::take_send_slot(&mut conn, out.inbox.id, i32::try_from(settings.rate_limit).unwrap_or(i32::MAX)).await? {
        let wait = 1000 - u64::from(Utc::now().timestamp_subsec_millis()).min(999);
        return Ok(switchboard_store::jobs::postpone(&mut conn, job.id, Duration::from_millis(wait)).await?);
    }
    let sent = match provider {
        Provider::Aldeamo => {
            let request = match request_for(state, &out).await {
                Ok(r) => r,
                Err(reason) => return finish_failed(state, &mut conn, message_id, &reason, job.id).await,
            };
            let config = config_of(&out.inbox)?;
            // Recorded before the request leaves: a crash from here on is seen by the next claim.
            switchboard_store::jobs::mark_started(&mut conn, job.id).await?;
            drop(conn);
            state.bsp.send(&config, &request).await
        }
        Provider::Baileys => {
            switchboard_store::jobs::mark_started(&mut conn, job.id).await?;
            drop(conn);
            crate::services::baileys::send(state, &out).await
        }
    };
    match sent {
        Ok(source_id) => {
            let mut delay = Duration::from_millis(100);
            loop {
                let recorded = async {
                    let mut conn = state.conn().await?;
                    let updated = switchboard_store::whatsapp::mark_sent(&mut conn, message_id, source_id.as_deref(), job.id).await?;
                    if let Some(m) = updated {
                        announce_update(state, &mut conn, &m).await?;
                    }
                    ApiResult::Ok(())
                }
                .await;
                match recorded {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        tracing::warn!(message_id, error = %e, "sent, but could not record it yet; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        Err(SendError::Retryable(reason)) if (job.attempts as u32) + 1 < settings.send_attempts => {
            let mut conn = state.conn().await?;
            let wait = settings.backoff(job.attempts as u32 + 1);
            tracing::info!(message_id, attempt = job.attempts + 1, ?wait, reason = %reason, "WhatsApp send will be retried");
            Ok(switchboard_store::jobs::retry(&mut conn, job.id, wait, &reason).await?)
        }
        Err(SendError::Retryable(reason)) | Err(SendError::Rejected(reason)) => {
            let mut conn = state.conn().await?;
            finish_failed(state, &mut conn, message_id, &reason, job.id).await
        }
    }
}

/// The failure shown on a message whose send was interrupted with its outcome unknown.
pub const OUTCOME_UNKNOWN: &str =
    "outcome unknown: the server stopped while this message was being sent; it may or may not have been delivered";

async fn finish_failed(state: &AppState, conn: &mut AsyncPgConnection, message_id: i64, reason: &str, job_id: i64) -> ApiResult<()> {
    tracing::warn!(message_id, reason, "WhatsApp send failed");
    if let Some(m) = switchboard_store::whatsapp::mark_failed(conn, message_id, reason, job_id).await? {
        announce_update(state, conn, &m).await?;
    }
    Ok(())
}

/// The BSP request for a stored message; an error is a reason to fail it, not to retry.
async fn request_for(state: &AppState, out: &switchboard_store::whatsapp::Outgoing) -> Result<aldeamo::Request, String> {
    let from = aldeamo::wa_number(out.inbox.phone_number.as_deref().unwrap_or_default());
    let to = match (&out.identity, &out.contact.phone_number) {
        (Some(ci), _) => aldeamo::wa_number(&ci.source_id),
        (None, Some(phone)) => aldeamo::wa_number(phone),
        (None, None) => return Err("the contact has no WhatsApp number".into()),
    };
    let media = match &out.attachment {
        Some(a) => Some(Media {
            kind: MediaKind::of(&a.file_type, out.message.content_type == "sticker"),
            link: state.storage.url(&state.db, a).await.map_err(|e| e.to_string())?,
            file_name: a.file_name.clone(),
        }),
        None => None,
    };
    let m = &out.message;
    let request = Outbound {
        from: &from,
        to: &to,
        content: m.content.as_deref(),
        content_type: &m.content_type,
        content_attributes: &m.content_attributes,
        template: m.additional_attributes.get("whatsapp_template").map(template_send),
        media,
        reply_to: out.reply_to_source.as_deref(),
    };
    aldeamo::build(&request).map_err(|e| e.to_string())
}

/// True for messages the channel must deliver: outgoing or template, and not a private note.
pub fn is_sendable(message_type: MessageType, private: bool) -> bool {
    matches!(message_type, MessageType::Outgoing | MessageType::Template) && !private
}
