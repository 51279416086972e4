//! CSAT: the survey a resolution sends (in the resolving change), the contact's answer, the
//! survey page's data, and the responses and metrics administrators read.

use serde::Serialize;
use serde_json::{json, Value};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::csat::{Metrics, SURVEY_TEXT};
use switchboard_domain::inbox::ChannelType;
use switchboard_realtime::Event;
use switchboard_store::csat::CsatFilter;
use switchboard_store::models::{Conversation, Inbox, Message, NewMessage};
use switchboard_store::AsyncPgConnection;

use crate::change::Outbox;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// Sends the survey in the caller's change: an `input_csat` message from nobody, which reaches
/// the contact (its socket, the API inbox's callback, webhooks). Only API inboxes survey for
/// now: a WhatsApp survey would need the customer's reply read as a rating.
pub async fn send_survey(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    inbox: &Inbox,
    c: &Conversation,
) -> CoreResult<()> {
    if ChannelType::from_stored(&inbox.channel_type) != ChannelType::Api {
        return Ok(());
    }
    let new = NewMessage {
        content_type: "input_csat".into(),
        ..NewMessage::text(c, MessageType::Template.as_i16(), Some(SURVEY_TEXT.into()), None)
    };
    let (message, c, _) = switchboard_store::messages::create_in(conn, c, &new, &[], &[], false).await?;
    let (mut rendered, _) = crate::present::messages(state, conn, &c, std::slice::from_ref(&message)).await?;
    crate::events::publish(conn, out, &c, &message, &rendered.pop().unwrap_or(Value::Null), Event::MessageCreated).await
}

/// Records the contact's answer to a survey message (a second answer replaces the first).
pub async fn answer(conn: &mut AsyncPgConnection, c: &Conversation, survey: &Message, values: &Value) -> CoreResult<()> {
    let (rating, feedback) = switchboard_domain::csat::answer(values)?;
    switchboard_store::csat::answer(conn, c, survey, rating, feedback.as_deref()).await?;
    Ok(())
}

/// What a survey page shows: the conversation's latest survey and its answer, if any.
pub async fn page(state: &AppState, uuid: &str) -> CoreResult<Value> {
    let mut conn = state.conn().await?;
    let c = switchboard_store::conversations::by_uuid(&mut conn, uuid).await?.ok_or(CoreError::NotFound)?;
    let survey = switchboard_store::messages::latest_survey(&mut conn, c.id).await?.ok_or(CoreError::NotFound)?;
    let inbox = switchboard_store::inboxes::find(&mut conn, c.account_id, c.inbox_id, switchboard_store::inboxes::Visibility::All)
        .await?
        .ok_or(CoreError::NotFound)?;
    let response = switchboard_store::csat::of_message(&mut conn, survey.id).await?;
    Ok(json!({
        "conversation_uuid": c.uuid,
        "inbox_name": inbox.name,
        "message_id": survey.id,
        "content": survey.content,
        "answered": response.is_some(),
        "rating": response.as_ref().map(|r| r.rating),
        "feedback_message": response.as_ref().and_then(|r| r.feedback_message.clone()),
        "created_at": survey.created_at.timestamp(),
    }))
}

/// One response as administrators list it.
#[derive(Debug, Serialize)]
pub struct ResponseView {
    pub id: i64,
    pub rating: i16,
    pub feedback_message: Option<String>,
    pub conversation_id: Option<i64>,
    pub inbox_id: i64,
    pub message_id: i64,
    pub contact: Value,
    pub assigned_agent: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Responses per page.
pub const PER_PAGE: i64 = 25;

/// A page of responses, newest first, with their conversations, contacts and agents loaded in
/// three queries whatever the page holds; and how many match.
pub async fn list(state: &AppState, f: &CsatFilter, page: i64) -> CoreResult<(Vec<ResponseView>, i64)> {
    let mut conn = state.conn().await?;
    let (rows, count) = switchboard_store::csat::page(&mut conn, f, page, PER_PAGE).await?;
    let conversation_ids: Vec<i64> = rows.iter().map(|r| r.conversation_id).collect();
    let conversations = switchboard_store::conversations::by_ids(&mut conn, f.account_id, &conversation_ids).await?;
    let contact_ids: Vec<i64> = rows.iter().map(|r| r.contact_id).collect();
    let contacts = switchboard_store::contacts::by_ids(&mut conn, f.account_id, &contact_ids).await?;
    let agent_ids: Vec<i64> = rows.iter().filter_map(|r| r.assigned_agent_id).collect();
    let agents = switchboard_store::users::by_ids(&mut conn, &agent_ids).await?;
    let views = rows
        .into_iter()
        .map(|r| ResponseView {
            id: r.id,
            rating: r.rating,
            feedback_message: r.feedback_message,
            conversation_id: conversations.iter().find(|c| c.id == r.conversation_id).map(|c| c.display_id),
            inbox_id: r.inbox_id,
            message_id: r.message_id,
            contact: contacts.iter().find(|c| c.id == r.contact_id).map(|c| json!({ "id": c.id, "name": c.name })).unwrap_or(Value::Null),
            assigned_agent: r
                .assigned_agent_id
                .and_then(|id| agents.iter().find(|u| u.id == id))
                .map(|u| json!({ "id": u.id, "name": crate::views::available_name(u) }))
                .unwrap_or(Value::Null),
            created_at: r.created_at.timestamp(),
            updated_at: r.updated_at.timestamp(),
        })
        .collect();
    Ok((views, count))
}

pub async fn metrics(state: &AppState, f: &CsatFilter) -> CoreResult<Metrics> {
    let mut conn = state.conn().await?;
    let by_rating = switchboard_store::csat::ratings(&mut conn, f).await?;
    let sent = switchboard_store::csat::sent(&mut conn, f).await?;
    Ok(switchboard_domain::csat::metrics(&by_rating, sent))
}
