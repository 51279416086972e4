//! Scheduled messages (the groups fork's feature): CRUD per conversation for those who may see
//! it, and the sender that sends each due occurrence exactly once.
//!
//! The sender takes due rows with `FOR UPDATE SKIP LOCKED`; the message (with its send job,
//! so it goes out through the job queue like any outgoing message), the row's new status and
//! the events commit in one transaction. Several processes never send one occurrence twice,
//! and a restart loses none: what did not commit is due again.
//!
//! WhatsApp rules are checked when a message is scheduled (pending) and again when it goes out
//! (the message is created through the same checks as an agent's): outside the 24-hour window
//! only a template passes. A message that cannot go out is `failed` with the reason. With
//! `cancel_on_reply` (the default) a message is `cancelled` when the contact wrote after it
//! was scheduled.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::scheduled::{Recurrence, Status};
use switchboard_domain::ValidationError;
use switchboard_realtime::{Audience, Event};
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{Conversation, ScheduledFields, ScheduledMessage};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::{Change, Outbox};
use crate::error::{CoreError, CoreResult};
use crate::messages::StoredFile;
use crate::state::AppState;

/// What a client gave; on update, what is left out keeps its value.
#[derive(Debug, Default)]
pub struct ScheduledInput {
    pub content: Option<Option<String>>,
    pub scheduled_at: Option<Value>,
    pub status: Option<String>,
    pub template_params: Option<Option<Value>>,
    pub recurrence: Option<Value>,
    pub cancel_on_reply: Option<bool>,
    /// A file uploaded with the request, already in storage.
    pub file: Option<StoredFile>,
}

/// Views of several, with their authors and files loaded in two queries.
async fn views(
    conn: &mut AsyncPgConnection,
    account_id: i64,
    display_id: i64,
    list: &[ScheduledMessage],
) -> CoreResult<Vec<crate::views::ScheduledMessage>> {
    let mut authors: Vec<i64> = list.iter().filter_map(|s| s.author_id).collect();
    authors.sort_unstable();
    authors.dedup();
    let names = switchboard_store::users::names(conn, &authors).await?;
    let upload_ids: Vec<i64> = list.iter().filter_map(|s| s.upload_id).collect();
    let uploads = switchboard_store::uploads::of_account(conn, account_id, &upload_ids).await?;
    Ok(list
        .iter()
        .map(|s| {
            let author = s.author_id.and_then(|id| names.iter().find(|(i, _)| *i == id));
            let upload = s.upload_id.and_then(|id| uploads.iter().find(|u| u.id == id));
            crate::views::scheduled_message(s, display_id, author, upload)
        })
        .collect())
}

async fn one(conn: &mut AsyncPgConnection, c: &Conversation, s: &ScheduledMessage) -> CoreResult<crate::views::ScheduledMessage> {
    views(conn, c.account_id, c.display_id, std::slice::from_ref(s)).await?.pop().ok_or(CoreError::NotFound)
}

fn announce(out: &mut Outbox, c: &Conversation, event: Event, payload: &crate::views::ScheduledMessage) -> CoreResult<()> {
    out.push(c.account_id, event, crate::views::value(payload)?, Audience { inbox_id: Some(c.inbox_id), ..Default::default() });
    Ok(())
}

pub async fn list(state: &AppState, actor: &Actor, display_id: i64) -> CoreResult<Vec<crate::views::ScheduledMessage>> {
    let mut conn = state.conn().await?;
    let c = actor.conversation(&mut conn, display_id).await?;
    let list = switchboard_store::scheduled::of_conversation(&mut conn, c.id).await?;
    views(&mut conn, c.account_id, c.display_id, &list).await
}

/// Creates (`id` None) or changes a scheduled message of a conversation the actor may see.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    display_id: i64,
    id: Option<i64>,
    input: ScheduledInput,
) -> CoreResult<crate::views::ScheduledMessage> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = actor.conversation(conn, display_id).await?;
        let current = match id {
            Some(id) => {
                let s = switchboard_store::scheduled::find(conn, c.id, id).await?.ok_or(CoreError::NotFound)?;
                if !Status::from_stored(&s.status).editable() {
                    return Err(
                        ValidationError::invalid("status", format!("is {}: only drafts and pending messages change", s.status)).into()
                    );
                }
                Some(s)
            }
            None => None,
        };
        let fields = fields(state, conn, actor, &c, current.as_ref(), input).await?;
        let (saved, event) = match &current {
            Some(s) => (switchboard_store::scheduled::update(conn, s.id, &fields).await?, Event::ScheduledMessageUpdated),
            None => {
                let author = Some(actor.user_id).filter(|id| *id > 0);
                (
                    switchboard_store::scheduled::create(conn, c.account_id, c.id, c.inbox_id, author, &fields).await?,
                    Event::ScheduledMessageCreated,
                )
            }
        };
        let shown = one(conn, &c, &saved).await?;
        announce(out, &c, event, &shown)?;
        Ok(shown)
    }
    .await;
    tx.finish(state, result).await
}

/// The checked fields: what was given over what there was.
async fn fields(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    c: &Conversation,
    current: Option<&ScheduledMessage>,
    input: ScheduledInput,
) -> CoreResult<ScheduledFields> {
    let content = match input.content {
        Some(text) => switchboard_domain::text::optional_text("content", text.as_deref(), 150_000)?,
        None => current.and_then(|s| s.content.clone()),
    };
    let template_params = match input.template_params {
        Some(Some(v @ Value::Object(_))) => Some(v),
        Some(Some(Value::Null)) | Some(None) => None,
        Some(Some(_)) => return Err(ValidationError::invalid("template_params", "must be an object").into()),
        None => current.and_then(|s| s.template_params.clone()),
    };
    let scheduled_at = match &input.scheduled_at {
        Some(v) => switchboard_domain::text::timestamp("scheduled_at", v)?,
        None => current.map(|s| s.scheduled_at),
    }
    .ok_or_else(|| ValidationError::blank("scheduled_at"))?;
    let status = match input.status.as_deref() {
        Some(raw) => Status::requested("status", raw)?,
        None => current.map_or(Status::Pending, |s| Status::from_stored(&s.status)),
    };
    let recurrence = match &input.recurrence {
        Some(raw) => Recurrence::parse(raw)?.map(|r| r.to_json()),
        None => current.and_then(|s| s.recurrence.clone()),
    };
    let upload_id = match &input.file {
        Some(f) => Some(switchboard_store::uploads::create(conn, c.account_id, &f.key, &f.file_name, &f.content_type, f.size).await?.id),
        None => current.and_then(|s| s.upload_id),
    };
    if content.is_none() && template_params.is_none() && upload_id.is_none() {
        return Err(ValidationError::blank("content").into());
    }
    if status == Status::Pending {
        // A minute's grace for clocks; anything earlier would go out at once, surprising.
        if scheduled_at < Utc::now() - chrono::Duration::minutes(1) {
            return Err(ValidationError::invalid("scheduled_at", "must be in the future").into());
        }
        // WhatsApp's rules now: the window, the template and its parameters.
        let inbox =
            switchboard_store::inboxes::find(conn, actor.account_id, c.inbox_id, Visibility::All).await?.ok_or(CoreError::NotFound)?;
        if inbox.channel_type == ChannelType::Whatsapp {
            let kinds: Vec<String> = match (&input.file, current.and_then(|s| s.upload_id)) {
                (Some(f), _) => vec![crate::storage::file_type_of(&f.content_type).to_string()],
                (None, Some(_)) => vec!["file".into()],
                (None, None) => vec![],
            };
            let check = crate::channel::outbound::Draft {
                content: content.as_deref(),
                content_type: "text",
                content_attributes: &json!({}),
                template_params: template_params.as_ref(),
                files: &kinds,
            };
            crate::channel::outbound::prepare(state, conn, &inbox, c, &check).await?;
        }
    }
    Ok(ScheduledFields {
        content,
        template_params,
        upload_id,
        status: status.as_str().into(),
        scheduled_at,
        recurrence,
        cancel_on_reply: input.cancel_on_reply.or(current.map(|s| s.cancel_on_reply)).unwrap_or(true),
    })
}

pub async fn delete(state: &AppState, actor: &Actor, display_id: i64, id: i64) -> CoreResult<crate::views::ScheduledMessage> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = actor.conversation(conn, display_id).await?;
        let s = switchboard_store::scheduled::find(conn, c.id, id).await?.ok_or(CoreError::NotFound)?;
        if !Status::from_stored(&s.status).editable() {
            return Err(ValidationError::invalid("status", format!("is {}: only drafts and pending messages are deleted", s.status)).into());
        }
        let shown = one(conn, &c, &s).await?;
        switchboard_store::scheduled::delete(conn, s.id).await?;
        announce(out, &c, Event::ScheduledMessageDeleted, &shown)?;
        Ok(shown)
    }
    .await;
    tx.finish(state, result).await
}

// The sender.

/// How often due messages are looked for.
const TICK: Duration = Duration::from_secs(1);
/// Rows taken per transaction.
const BATCH: i64 = 50;

pub async fn send_due_forever(state: Arc<AppState>) {
    loop {
        tokio::time::sleep(TICK).await;
        loop {
            match send_due_once(&state).await {
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "scheduled messages: sending failed; they stay due for the next round");
                    break;
                }
            }
        }
    }
}

/// Sends the due occurrences one transaction can take; how many it took.
pub async fn send_due_once(state: &AppState) -> CoreResult<usize> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let due = switchboard_store::scheduled::take_due(conn, Utc::now(), BATCH).await?;
        for s in &due {
            send_one(state, conn, out, s).await?;
        }
        Ok(due.len())
    }
    .await;
    tx.finish(state, result).await
}

/// One occurrence: cancelled (the contact wrote first), sent (and due again when it recurs),
/// or failed with the reason; each with its event.
async fn send_one(state: &AppState, conn: &mut AsyncPgConnection, out: &mut Outbox, s: &ScheduledMessage) -> CoreResult<()> {
    let Some(c) = switchboard_store::conversations::by_ids(conn, s.account_id, &[s.conversation_id]).await?.pop() else {
        return Ok(());
    };
    if s.cancel_on_reply && switchboard_store::scheduled::contact_wrote_since(conn, c.id, s.updated_at).await? {
        let settled = switchboard_store::scheduled::settle(conn, s.id, Status::Cancelled.as_str(), None, None, None, false).await?;
        let shown = one(conn, &c, &settled).await?;
        announce(out, &c, Event::ScheduledMessageUpdated, &shown)?;
        return Ok(());
    }
    let mark = out.len();
    switchboard_store::pool::begin(conn).await?;
    let sent = create_message(state, conn, out, &c, s).await;
    let settled = match sent {
        Ok(message) => {
            switchboard_store::pool::commit(conn).await?;
            let message_id = Some(message.id);
            let next =
                s.recurrence.as_ref().and_then(|r| Recurrence::parse(r).ok().flatten()).and_then(|r| r.next(s.scheduled_at, s.sends + 1));
            let status = if next.is_some() { Status::Pending } else { Status::Sent };
            let settled = switchboard_store::scheduled::settle(conn, s.id, status.as_str(), next, message_id, None, true).await?;
            let mut shown = one(conn, &c, &settled).await?;
            shown.message = Some(message);
            announce(out, &c, Event::ScheduledMessageSent, &shown)?;
            return Ok(());
        }
        Err(e) => {
            switchboard_store::pool::rollback(conn).await?;
            out.truncate(mark);
            let reason = e.reason("the conversation's inbox no longer exists");
            switchboard_store::scheduled::settle(conn, s.id, Status::Failed.as_str(), None, None, Some(&reason), false).await?
        }
    };
    let shown = one(conn, &c, &settled).await?;
    announce(out, &c, Event::ScheduledMessageUpdated, &shown)
}

/// The occurrence's message, by its author, through the same checks and send job as an
/// agent's.
async fn create_message(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    c: &Conversation,
    s: &ScheduledMessage,
) -> CoreResult<crate::views::Message> {
    let author = match s.author_id {
        Some(id) => switchboard_store::users::names(conn, &[id]).await?.pop(),
        None => None,
    };
    let actor = Actor {
        account_id: c.account_id,
        user_id: author.as_ref().map_or(0, |a| a.0),
        agent_bot_id: None,
        name: author.map_or_else(|| "Scheduled message".to_string(), |a| a.1),
        visibility: Visibility::All,
        administrator: true,
        email: None,
        remote_address: None,
    };
    let mut files = Vec::new();
    if let Some(id) = s.upload_id {
        for u in switchboard_store::uploads::of_account(conn, c.account_id, &[id]).await? {
            files.push(StoredFile {
                key: state.storage.copy(c.account_id, &u.storage_key, &u.file_name).await?,
                file_name: u.file_name,
                content_type: u.content_type,
                size: u.size,
                recorded_audio: false,
            });
        }
    }
    let draft = switchboard_domain::messages::Draft {
        message_type: MessageType::Outgoing,
        content: s.content.clone(),
        content_type: "text".into(),
        content_attributes: json!({ "scheduled_message_id": s.id }),
        template: s.template_params.clone(),
        private: false,
        in_reply_to: None,
    };
    crate::messages::create_in(state, conn, out, &actor, c, crate::messages::Composed { draft, echo_id: None, files: &files }).await
}
