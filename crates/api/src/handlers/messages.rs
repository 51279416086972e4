//! `/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_domain::conversations::{content_type, MessageType};
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::ValidationError;
use switchboard_store::messages::Cursor;
use switchboard_store::models::{Contact, Conversation, Message, NewMessage, User};
use switchboard_store::AsyncPgConnection;

use super::conversations::find;
use super::{object, ok, path_id};
use crate::auth::AccountCtx;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Payload};
use crate::state::AppState;
use crate::views;

/// Longest message text accepted.
const CONTENT_MAX: usize = 150_000;

fn sender(m: &Message, contact: Option<&Contact>, users: &[User]) -> Option<Value> {
    match m.sender_type.as_deref() {
        Some("contact") => contact.map(views::contact_sender),
        Some("user") => m.sender_id.and_then(|id| users.iter().find(|u| u.id == id)).map(views::user_brief),
        _ => None,
    }
}

/// Messages with their senders: two queries for any page.
async fn render(conn: &mut AsyncPgConnection, c: &Conversation, list: &[Message]) -> ApiResult<(Vec<Value>, Contact)> {
    let contact = switchboard_store::contacts::by_id(conn, c.contact_id).await?;
    let user_ids: Vec<i64> = list.iter().filter(|m| m.sender_type.as_deref() == Some("user")).filter_map(|m| m.sender_id).collect();
    let users = if user_ids.is_empty() { vec![] } else { switchboard_store::users::by_ids(conn, &user_ids).await? };
    let rendered = list.iter().map(|m| views::message(m, c.display_id, sender(m, Some(&contact), &users))).collect();
    Ok((rendered, contact))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn list(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    let cursor = match (params.int("before"), params.int("after")) {
        (Some(before), _) if before > 0 => Cursor::Before(before),
        (_, Some(after)) if after >= 0 => Cursor::After(after),
        _ => Cursor::Latest,
    };
    let mut conn = state.conn().await?;
    let c = find(&mut conn, &ctx, &path.1).await?;
    let list = switchboard_store::messages::list(&mut conn, c.id, cursor).await?;
    let (payload, contact) = render(&mut conn, &c, &list).await?;
    let assignee = match c.assignee_id {
        Some(id) => switchboard_store::account_users::find(&mut conn, ctx.account_id, id).await?.map(|a| views::agent(&a)),
        None => None,
    };
    let ts = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.timestamp());
    Ok(ok(json!({
        "meta": {
            "labels": c.labels,
            "additional_attributes": c.additional_attributes,
            "contact": views::contact_sender(&contact),
            "assignee": assignee,
            "agent_last_seen_at": ts(c.agent_last_seen_at),
            "assignee_last_seen_at": ts(c.assignee_last_seen_at),
        },
        "payload": payload,
    })))
}

#[derive(Deserialize)]
pub struct CreatePayload {
    content: Option<String>,
    #[serde(default)]
    message_type: Option<Value>,
    #[serde(default)]
    private: bool,
    content_type: Option<String>,
    content_attributes: Option<Value>,
    echo_id: Option<String>,
    in_reply_to: Option<i64>,
}
impl Payload for CreatePayload {
    const WRAPPER: Option<&'static str> = Some("message");
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    Body(body): Body<CreatePayload>,
) -> ApiResult<HttpResponse> {
    let message_type = match &body.message_type {
        None | Some(Value::Null) => MessageType::Outgoing,
        Some(v) => MessageType::parse("message_type", v)?,
    };
    let content =
        body.content.as_deref().map(str::trim_end).filter(|c| !c.trim().is_empty()).ok_or_else(|| ValidationError::blank("content"))?;
    if content.chars().count() > CONTENT_MAX {
        return Err(ValidationError::too_long("content", CONTENT_MAX).into());
    }
    let content_type = body.content_type.as_deref().map(|t| content_type("content_type", t)).transpose()?.unwrap_or_else(|| "text".into());
    let mut attributes = body.content_attributes.map(|v| object("content_attributes", v)).transpose()?.unwrap_or_else(|| json!({}));
    let in_reply_to = body.in_reply_to.or_else(|| attributes.get("in_reply_to").and_then(Value::as_i64));
    if message_type == MessageType::Incoming && body.private {
        return Err(ValidationError::invalid("private", "only outgoing messages can be private notes").into());
    }

    let mut conn = state.conn().await?;
    let c = find(&mut conn, &ctx, &path.1).await?;
    if message_type == MessageType::Incoming {
        let inbox = switchboard_store::inboxes::find(&mut conn, ctx.account_id, c.inbox_id, switchboard_store::inboxes::Visibility::All)
            .await?
            .ok_or(ApiError::NotFound)?;
        if ChannelType::from_stored(&inbox.channel_type) != ChannelType::Api {
            return Err(ValidationError::invalid("message_type", "incoming messages can only be created on API inboxes").into());
        }
    }
    if let Some(id) = in_reply_to {
        if switchboard_store::messages::find(&mut conn, c.id, id).await?.is_none() {
            return Err(ValidationError::invalid("in_reply_to", "is not a message of this conversation").into());
        }
        if let Some(obj) = attributes.as_object_mut() {
            obj.insert("in_reply_to".into(), json!(id));
        }
    }
    let (sender_type, sender_id) = match message_type {
        MessageType::Incoming => ("contact", c.contact_id),
        _ => ("user", ctx.user.id),
    };
    let new = NewMessage {
        account_id: ctx.account_id,
        inbox_id: c.inbox_id,
        conversation_id: c.id,
        message_type: message_type.as_i16(),
        content: Some(content.to_string()),
        content_type,
        content_attributes: attributes,
        private: body.private,
        status: "sent".into(),
        source_id: None,
        sender_type: Some(sender_type.into()),
        sender_id: Some(sender_id),
        echo_id: body.echo_id,
        created_at: Utc::now(),
    };
    // Mentions count in private notes, and only of the account's agents.
    let mentioned = if body.private {
        let ids = switchboard_domain::conversations::mentioned_user_ids(content);
        if ids.is_empty() {
            ids
        } else {
            switchboard_store::account_users::member_ids(&mut conn, ctx.account_id, &ids).await?
        }
    } else {
        vec![]
    };
    let (message, c) = switchboard_store::messages::create(&mut conn, &c, &new, &mentioned).await?;
    let (mut rendered, _) = render(&mut conn, &c, std::slice::from_ref(&message)).await?;
    Ok(ok(rendered.pop().unwrap_or(Value::Null)))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let message_id = path_id(&path.2)?;
    let mut conn = state.conn().await?;
    let c = find(&mut conn, &ctx, &path.1).await?;
    let message = switchboard_store::messages::find(&mut conn, c.id, message_id).await?.ok_or(ApiError::NotFound)?;
    let message = switchboard_store::messages::soft_delete(&mut conn, &message).await?;
    let (mut rendered, _) = render(&mut conn, &c, std::slice::from_ref(&message)).await?;
    Ok(ok(rendered.pop().unwrap_or(Value::Null)))
}
