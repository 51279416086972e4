//! Outgoing messages: checked against the channel when they are created (so a bad one is a
//! 422 then, not a failure later), and sent by the job queued with them, through the inbox's
//! provider, with the outcome recorded. A send whose outcome a crash left unknown follows the
//! provider's policy (`AfterCrash`).

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use switchboard_channels::channel::{Draft as Shape, Mentions, Outbound, OutboundFile, Quoted, Recipient, SendError};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::groups;
use switchboard_domain::whatsapp::{window_open, AfterCrash, Delivery};
use switchboard_domain::ValidationError;
use switchboard_store::jobs::{BackgroundJob, SendMessage};
use switchboard_store::models::{Conversation, Inbox, Job};
use switchboard_store::whatsapp::Outgoing;
use switchboard_store::AsyncPgConnection;

use super::line::Line;
use super::statuses::announce_update;
use super::templates::{resolve_template, template_send};
use crate::change::Change;
use crate::error::CoreResult;
use crate::state::AppState;

/// An outgoing message as the create endpoint received it.
pub struct Draft<'a> {
    pub content: Option<&'a str>,
    pub content_type: &'a str,
    pub content_attributes: &'a Value,
    pub template_params: Option<&'a Value>,
    /// File types of the uploaded attachments.
    pub files: &'a [String],
}

/// Checks an outgoing message against WhatsApp's and its provider's rules before anything is
/// stored: one file per message, a group that takes our messages, a known template with the
/// right parameters where the provider has templates, the 24-hour window where it applies, and
/// a shape the provider can send. Returns the resolved template to keep with the message, so
/// the send uses exactly what was checked.
pub async fn prepare(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    c: &Conversation,
    d: &Draft<'_>,
) -> CoreResult<Option<Value>> {
    if d.files.len() > 1 {
        return Err(ValidationError::invalid("attachments", "WhatsApp sends one file per message").into());
    }
    let line = Line::of(inbox)?;
    let channel = line.open(state);
    let can = channel.capabilities();
    if d.template_params.is_some() && !can.templates {
        return Err(
            ValidationError::invalid("template_params", "templates are sent through the BSP; this inbox's provider has none").into()
        );
    }
    if c.group_type == "group" {
        group_may_send(conn, inbox, c).await?;
    }
    let template = match d.template_params {
        Some(params) => Some(resolve_template(conn, inbox, params).await?),
        None => None,
    };
    if template.is_none() && can.window {
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
    let shape = Shape {
        content: d.content,
        content_type: d.content_type,
        content_attributes: d.content_attributes,
        template: template.as_ref().map(template_send),
        files: d.files,
    };
    channel.check(&shape)?;
    Ok(template)
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

/// Sends one message. Once the provider has taken it, only recording that remains: it is retried
/// until it sticks, and a message no longer `progress` is never sent again.
pub(crate) async fn send(state: &AppState, job: &Job, payload: SendMessage) -> CoreResult<()> {
    let settings = &state.settings.whatsapp;
    let message_id = payload.message_id;
    let mut conn = state.conn().await?;
    let Some(out) = switchboard_store::whatsapp::outgoing(&mut conn, message_id).await? else {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    if out.message.status != Delivery::Progress {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    }
    let line = Line::of(&out.inbox)?;
    let channel = line.open(state);
    if job.started_at.is_some() {
        // The last attempt began and its outcome was never recorded: the process died while the
        // peer had the request. A provider's idempotency key makes a resend safe; without one,
        // the inbox's policy decides.
        let policy = channel.after_crash();
        tracing::warn!(message_id, policy = policy.as_str(), "a send was interrupted with its outcome unknown");
        if policy == AfterCrash::Hold {
            drop(conn);
            return finish_failed(state, message_id, OUTCOME_UNKNOWN, job.id).await;
        }
    }
    if !switchboard_store::jobs::take_send_slot(&mut conn, out.inbox.id, i32::try_from(settings.rate_limit).unwrap_or(i32::MAX)).await? {
        let wait = 1000 - u64::from(Utc::now().timestamp_subsec_millis()).min(999);
        return Ok(switchboard_store::jobs::postpone(&mut conn, job.id, Duration::from_millis(wait)).await?);
    }
    let message = match outbound_of(state, &mut conn, &out, channel.capabilities().groups).await {
        Ok(m) => m,
        Err(reason) => {
            drop(conn);
            return finish_failed(state, message_id, &reason, job.id).await;
        }
    };
    // Recorded before the request leaves: a crash from here on is seen by the next claim.
    switchboard_store::jobs::mark_started(&mut conn, job.id).await?;
    drop(conn);
    let sent = channel.send(&message).await;
    match sent {
        Ok(source_id) => {
            let mut delay = Duration::from_millis(100);
            loop {
                let recorded = async {
                    let mut tx = Change::begin(state).await?;
                    let result = async {
                        let (conn, out) = (&mut *tx.conn, &mut tx.out);
                        let updated = switchboard_store::whatsapp::mark_sent(conn, message_id, source_id.as_deref(), job.id).await?;
                        if let Some(m) = updated {
                            announce_update(state, conn, out, &m).await?;
                        }
                        CoreResult::Ok(())
                    }
                    .await;
                    tx.finish(state, result).await
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
        Err(SendError::Retryable(reason)) => match SendMessage::retry(settings.retry()).after(job.attempts as u32 + 1) {
            Some(wait) => {
                let mut conn = state.conn().await?;
                tracing::info!(message_id, attempt = job.attempts + 1, ?wait, reason = %reason, "WhatsApp send will be retried");
                Ok(switchboard_store::jobs::retry(&mut conn, job.id, wait, &reason).await?)
            }
            None => finish_failed(state, message_id, &reason, job.id).await,
        },
        Err(SendError::Rejected(reason)) => finish_failed(state, message_id, &reason, job.id).await,
    }
}

/// The failure shown on a message whose send was interrupted with its outcome unknown.
pub const OUTCOME_UNKNOWN: &str =
    "outcome unknown: the server stopped while this message was being sent; it may or may not have been delivered";

/// Records the failure and finishes the job, with the message's `message.updated`, in one change.
async fn finish_failed(state: &AppState, message_id: i64, reason: &str, job_id: i64) -> CoreResult<()> {
    tracing::warn!(message_id, reason, "WhatsApp send failed");
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some(m) = switchboard_store::whatsapp::mark_failed(conn, message_id, reason, job_id).await? {
            announce_update(state, conn, out, &m).await?;
        }
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// The channel-neutral message for a stored one; an error is a reason to fail it, not to retry.
/// `conn` is the send's own connection: the mentioned contacts are read on it, not on a second
/// one from the pool.
async fn outbound_of<'a>(state: &AppState, conn: &mut AsyncPgConnection, out: &'a Outgoing, groups: bool) -> Result<Outbound<'a>, String> {
    let m = &out.message;
    let to = if out.contact.group_type == "group" {
        if out.identity.as_ref().is_some_and(|i| i.group_left_at.is_some()) {
            return Err("the inbox's number has left this group".into());
        }
        Recipient::Group(out.contact.identifier.clone().ok_or("the group has no JID")?)
    } else {
        match (&out.identity, &out.contact.phone_number) {
            (Some(ci), _) => Recipient::Person(ci.source_id.clone()),
            (None, Some(phone)) => Recipient::Person(phone.clone()),
            (None, None) => return Err("the contact has no WhatsApp number".into()),
        }
    };
    let file = match &out.attachment {
        Some(a) => Some(OutboundFile {
            file_type: a.file_type.clone(),
            sticker: m.content_type == "sticker",
            content_type: a.content_type.clone(),
            file_name: a.file_name.clone(),
            link: state.storage.url(&state.db, a).await.map_err(|e| e.to_string())?,
            path: a.storage_key.as_deref().map(|key| state.storage.path_of(key)),
            voice: a.meta.get("is_recorded_audio").and_then(Value::as_bool) == Some(true),
        }),
        None => None,
    };
    let reply_to = out.quoted.as_ref().and_then(|(quoted, sender)| {
        Some(Quoted {
            source_id: quoted.source_id.clone()?,
            from_me: quoted.message_type != MessageType::Incoming,
            participant: sender.as_ref().and_then(|c| groups::contact_jid(c.identifier.as_deref(), c.phone_number.as_deref())),
            text: quoted.content.clone().unwrap_or_default(),
        })
    });
    // Only providers with groups write mentions their way; the text is read once for them.
    let mentions = if groups { outgoing_mentions(conn, out).await? } else { None };
    Ok(Outbound {
        to,
        content: m.content.as_deref(),
        content_type: &m.content_type,
        content_attributes: &m.content_attributes,
        template: m.additional_attributes.get("whatsapp_template").map(template_send),
        file,
        reply_to,
        mentions,
        idempotency_key: format!("{}:{}", m.id, m.created_at.timestamp_millis()),
    })
}

/// The text with each stored mention (`[@Name](mention://contact/…)`) written as WhatsApp
/// shows it (`@<LID or number>`), the mentioned JIDs, and whether everyone is mentioned;
/// `None` when it mentions no one.
async fn outgoing_mentions(conn: &mut AsyncPgConnection, out: &Outgoing) -> Result<Option<Mentions>, String> {
    let text = out.message.content.clone().unwrap_or_default();
    let found = groups::contact_mentions(&text);
    if found.is_empty() {
        return Ok(None);
    }
    let ids: Vec<i64> = found.iter().filter(|m| !m.everyone()).map(|m| m.contact_id).collect();
    let contacts = switchboard_store::contacts::by_ids(conn, out.message.account_id, &ids)
        .await
        .map_err(|e| format!("the mentioned contacts could not be read: {e}"))?;
    let mut written = String::with_capacity(text.len());
    let mut jids = Vec::new();
    let mut last = 0;
    for m in &found {
        written.push_str(&text[last..m.range.start]);
        last = m.range.end;
        if m.everyone() {
            written.push_str("@everyone");
            continue;
        }
        let jid = contacts
            .iter()
            .find(|c| c.id == m.contact_id)
            .and_then(|c| groups::contact_jid(c.identifier.as_deref(), c.phone_number.as_deref()));
        match jid {
            Some(jid) => {
                written.push('@');
                written.push_str(jid.split('@').next().unwrap_or_default());
                jids.push(jid);
            }
            // A contact we cannot name to WhatsApp is written by name.
            None => {
                written.push('@');
                written.push_str(&m.name);
            }
        }
    }
    written.push_str(&text[last..]);
    Ok(Some(Mentions { text: written, jids, everyone: found.iter().any(|m| m.everyone()) }))
}

/// True for messages the channel must deliver: outgoing or template, and not a private note.
pub fn is_sendable(message_type: MessageType, private: bool) -> bool {
    matches!(message_type, MessageType::Outgoing | MessageType::Template) && !private
}
