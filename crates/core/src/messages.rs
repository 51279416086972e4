//! Creating and deleting messages: the rules that need the conversation and its inbox, the
//! change that stores the message with its attachments, mentions and send job, and its events.
//! Agents (REST), and later integrators and contacts, go through here.

use serde_json::json;
use switchboard_domain::conversations::MessageType;
use switchboard_domain::conversations::SenderType;
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::messages::Draft;
use switchboard_domain::whatsapp::Delivery;
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{Conversation, NewAttachment, NewMessage};
use switchboard_store::AsyncPgConnection;

pub use crate::actor::Actor;
use crate::change::Change;
use crate::channel::outbound as whatsapp;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::storage::file_type_of;

/// A file already in storage, to attach to the new message.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub key: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    /// A voice note recorded in the dashboard (sent to WhatsApp as one: `ptt`).
    pub recorded_audio: bool,
}

/// A new message in conversation `display_id`, by the actor (or, for an incoming message on an
/// API inbox, by the conversation's contact): checked against its inbox's channel, stored with
/// its files and mentions, queued for sending when the channel sends, announced to whoever
/// may see it. Returns the message as the API shows it.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    display_id: i64,
    draft: Draft,
    echo_id: Option<String>,
    files: &[StoredFile],
) -> CoreResult<crate::views::Message> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = actor.conversation(conn, display_id).await?;
        create_in(state, conn, out, actor, &c, Composed { draft, echo_id, files }).await
    }
    .await;
    tx.finish(state, result).await
}

/// A message as a client composed it: checked text and settings, its echo id, its files.
pub struct Composed<'a> {
    pub draft: Draft,
    pub echo_id: Option<String>,
    pub files: &'a [StoredFile],
}

/// `create`, in the caller's change, in a conversation the actor may see (a new one, say).
pub async fn create_in(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut crate::change::Outbox,
    actor: &Actor,
    c: &Conversation,
    composed: Composed<'_>,
) -> CoreResult<crate::views::Message> {
    let Composed { draft, echo_id, files } = composed;
    {
        let c = c.clone();
        let inbox =
            switchboard_store::inboxes::find(conn, actor.account_id, c.inbox_id, Visibility::All).await?.ok_or(CoreError::NotFound)?;
        let channel = inbox.channel_type;
        if draft.message_type == MessageType::Incoming && channel != ChannelType::Api {
            return Err(ValidationError::invalid("message_type", "incoming messages can only be created on API inboxes").into());
        }
        // WhatsApp messages are checked now and sent by a job queued with them.
        let send_job = channel == ChannelType::Whatsapp && whatsapp::is_sendable(draft.message_type, draft.private);
        let mut additional = match &draft.template {
            Some(t) => json!({ "template_params": t }),
            None => json!({}),
        };
        if send_job {
            let kinds: Vec<String> = files.iter().map(|f| file_type_of(&f.content_type).to_string()).collect();
            let check = whatsapp::Draft {
                content: draft.content.as_deref(),
                content_type: &draft.content_type,
                content_attributes: &draft.content_attributes,
                template_params: draft.template.as_ref(),
                files: &kinds,
            };
            if let Some(resolved) = whatsapp::prepare(state, conn, &inbox, &c, &check).await? {
                additional["whatsapp_template"] = resolved;
            }
        }
        let mut attributes = draft.content_attributes;
        if let Some(id) = draft.in_reply_to {
            if switchboard_store::messages::find(conn, c.id, id).await?.is_none() {
                return Err(ValidationError::invalid("in_reply_to", "is not a message of this conversation").into());
            }
            if let Some(obj) = attributes.as_object_mut() {
                obj.insert("in_reply_to".into(), json!(id));
            }
        }
        let sender = match (draft.message_type, actor.agent_bot_id) {
            (MessageType::Incoming, _) => (SenderType::Contact, c.contact_id),
            (_, Some(bot_id)) => (SenderType::AgentBot, bot_id),
            _ => (SenderType::User, actor.user_id),
        };
        // Mentions count in private notes, and only of the account's agents.
        let mentioned = match (&draft.content, draft.private) {
            (Some(content), true) => {
                let ids = switchboard_domain::limits::mentions("content", switchboard_domain::conversations::mentioned_user_ids(content))?;
                if ids.is_empty() {
                    ids
                } else {
                    switchboard_store::account_users::member_ids(conn, actor.account_id, &ids).await?
                }
            }
            _ => vec![],
        };
        let new = NewMessage {
            content_type: draft.content_type,
            content_attributes: attributes,
            additional_attributes: additional,
            private: draft.private,
            echo_id,
            status: if send_job { Delivery::Progress } else { Delivery::Sent },
            ..NewMessage::text(&c, draft.message_type, draft.content, Some(sender))
        };
        let attachments: Vec<NewAttachment> = files
            .iter()
            .map(|f| NewAttachment {
                account_id: actor.account_id,
                message_id: 0,
                file_type: file_type_of(&f.content_type).into(),
                content_type: f.content_type.clone(),
                file_name: f.file_name.clone(),
                file_size: f.size,
                storage_key: Some(f.key.clone()),
                external_url: None,
                meta: if f.recorded_audio && file_type_of(&f.content_type) == "audio" {
                    json!({ "is_recorded_audio": true })
                } else {
                    json!({})
                },
            })
            .collect();
        let (message, c, notifications) =
            switchboard_store::messages::create_in(conn, &c, &new, &mentioned, &attachments, send_job).await?;
        if send_job {
            state.jobs.notify_one();
        }
        let rendered = crate::present::message(state, conn, &c, &message).await?;
        crate::events::publish(conn, out, &c, &message, &rendered, Event::MessageCreated).await?;
        crate::notifications::publish(state, conn, out, &notifications).await?;
        // `conversation.mentioned` to each mentioned agent alone (not the author).
        let told: Vec<i64> = mentioned.iter().copied().filter(|id| *id != actor.user_id).collect();
        if !told.is_empty() {
            let payload = crate::views::value(&crate::present::conversation(state, conn, &c).await?)?;
            let audience = switchboard_realtime::Audience { users: told, personal: true, ..Default::default() };
            out.push(c.account_id, Event::ConversationMentioned, payload, audience);
        }
        Ok(rendered)
    }
}

/// Deletes a message's content (it stays, marked deleted, as in the reference) and announces it.
pub async fn delete(state: &AppState, actor: &Actor, display_id: i64, message_id: i64) -> CoreResult<crate::views::Message> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = actor.conversation(conn, display_id).await?;
        let message = switchboard_store::messages::find(conn, c.id, message_id).await?.ok_or(CoreError::NotFound)?;
        let message = switchboard_store::messages::soft_delete(conn, &message).await?;
        let rendered = crate::present::message(state, conn, &c, &message).await?;
        crate::events::publish(conn, out, &c, &message, &rendered, Event::MessageUpdated).await?;
        Ok(rendered)
    }
    .await;
    tx.finish(state, result).await
}
