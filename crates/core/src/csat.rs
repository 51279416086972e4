//! CSAT: the survey a resolution sends (in the resolving change), the contact's answer, the
//! survey page's data, and the responses and metrics administrators read.

use serde_json::{json, Value};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::csat::{Metrics, SURVEY_QUESTION, SURVEY_TEXT};
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::whatsapp::Delivery;
use switchboard_realtime::Event;
use switchboard_store::csat::CsatFilter;
use switchboard_store::models::{Conversation, Inbox, Message, NewMessage};
use switchboard_store::AsyncPgConnection;

use crate::change::Outbox;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::csat::{ResponseView, SurveyPage};
use crate::views::Named;

/// The name of the CSAT reply reader's cursor in `event_readers`.
pub const READER: &str = "csat";

/// Sends the survey in the caller's change: an `input_csat` message from nobody, which reaches
/// the contact (its socket, the API inbox's callback, webhooks). On WhatsApp it goes out
/// through the channel as text the customer answers with a number (`reply_rating` reads it),
/// checked as any send is; when WhatsApp would refuse it (the 24-hour window closed), there is
/// no survey rather than a failed one.
pub async fn send_survey(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    inbox: &Inbox,
    c: &Conversation,
) -> CoreResult<()> {
    let whatsapp = match inbox.channel_type {
        ChannelType::Api => false,
        ChannelType::Whatsapp => {
            let draft = crate::channel::outbound::Draft {
                content: Some(SURVEY_QUESTION),
                content_type: "input_csat",
                content_attributes: &json!({}),
                template_params: None,
                files: &[],
            };
            if let Err(e) = crate::channel::outbound::prepare(state, conn, inbox, c, &draft).await {
                tracing::info!(conversation_id = c.id, reason = %e, "no CSAT survey: WhatsApp would not take it now");
                return Ok(());
            }
            // Replies are read from the log from now on.
            switchboard_store::events::ensure_reader(conn, c.account_id, READER).await?;
            true
        }
    };
    let new = NewMessage {
        content_type: "input_csat".into(),
        status: if whatsapp { Delivery::Progress } else { Delivery::Sent },
        ..NewMessage::text(c, MessageType::Template, Some(if whatsapp { SURVEY_QUESTION } else { SURVEY_TEXT }.into()), None)
    };
    let (message, c, _) = switchboard_store::messages::create_in(conn, c, &new, &[], &[], whatsapp).await?;
    if whatsapp {
        state.jobs.notify_one();
    }
    let rendered = crate::present::message(state, conn, &c, &message).await?;
    crate::events::publish(conn, out, &c, &message, &rendered, Event::MessageCreated).await
}

/// How often the reply reader looks at the log.
const REPLY_POLL: std::time::Duration = std::time::Duration::from_secs(3);

/// Events read per account and transaction by the reply reader.
const BATCH: i64 = 500;

/// Reads customers' replies to WhatsApp surveys from the log: an incoming message that is a
/// rating (`domain::csat::reply_rating`), after a survey in its conversation, answers that
/// survey (a later one replaces it), as a PATCH from the public API would. Runs every 3 s;
/// its own cursor makes it lose nothing over a restart.
pub async fn read_replies_forever(state: std::sync::Arc<AppState>) {
    loop {
        // Polled: a rating may take a few seconds to count; the log writer's wake-up stays the
        // webhook dispatcher's alone (it wakes one waiter), and a rare poll costs the pool little.
        tokio::time::sleep(REPLY_POLL).await;
        if let Err(e) = read_replies_once(&state).await {
            tracing::warn!(error = %e, "CSAT reply reading failed; the events stay unread for the next round");
        }
    }
}

/// One round over the accounts whose log the reader is behind on.
pub async fn read_replies_once(state: &AppState) -> CoreResult<()> {
    let accounts = {
        let mut conn = state.conn().await?;
        switchboard_store::events::readers_behind(&mut conn, READER, 64).await?
    };
    for account_id in accounts {
        let mut change = crate::change::Change::begin(state).await?;
        let read = async {
            let (conn, out) = (&mut *change.conn, &mut change.out);
            let Some(seq) = switchboard_store::events::lock_reader(conn, account_id, READER).await? else { return CoreResult::Ok(()) };
            let events = switchboard_store::events::after(conn, account_id, seq, BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else { return Ok(()) };
            for e in events.iter().filter(|e| e.event == Event::MessageCreated.as_str()) {
                let incoming = e.data.get("message_type").and_then(Value::as_i64) == Some(i64::from(MessageType::Incoming.as_i16()));
                let rating = e.data.get("content").and_then(Value::as_str).and_then(switchboard_domain::csat::reply_rating);
                let (Some(rating), true) = (rating, incoming) else { continue };
                let (Some(display_id), Some(message_id)) =
                    (e.data.get("conversation_id").and_then(Value::as_i64), e.data.get("id").and_then(Value::as_i64))
                else {
                    continue;
                };
                reply(state, conn, out, account_id, display_id, message_id, rating).await?;
            }
            switchboard_store::events::advance_reader(conn, account_id, READER, last).await?;
            Ok(())
        }
        .await;
        change.finish(state, read).await?;
    }
    Ok(())
}

/// A customer's rating sent on the channel: it answers the latest survey sent to that contact
/// in that inbox, if it came before and at most a day before (WhatsApp's window for answers; a
/// reply after a resolution may land in a new conversation).
async fn reply(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    account_id: i64,
    display_id: i64,
    message_id: i64,
    rating: i16,
) -> CoreResult<()> {
    let Some(c) = switchboard_store::conversations::find(conn, account_id, display_id, switchboard_store::inboxes::Visibility::All).await?
    else {
        return Ok(());
    };
    let recent = chrono::Utc::now() - switchboard_domain::whatsapp::window();
    let Some(survey) = switchboard_store::messages::latest_survey_of(conn, c.contact_id, c.inbox_id)
        .await?
        .filter(|s| s.id < message_id && s.created_at > recent)
    else {
        return Ok(());
    };
    let c = switchboard_store::conversations::by_id(conn, survey.conversation_id).await?;
    switchboard_store::csat::answer(conn, &c, &survey, rating, None).await?;
    let values = json!({ "csat_survey_response": { "rating": rating } });
    let attributes = switchboard_domain::messages::submitted(&survey.content_type, &survey.content_attributes, values)?;
    let survey = switchboard_store::messages::set_content_attributes(conn, survey.id, &attributes).await?;
    let rendered = crate::present::message(state, conn, &c, &survey).await?;
    crate::events::publish(conn, out, &c, &survey, &rendered, Event::MessageUpdated).await
}

/// Records the contact's answer to a survey message (a second answer replaces the first).
pub async fn answer(conn: &mut AsyncPgConnection, c: &Conversation, survey: &Message, values: &Value) -> CoreResult<()> {
    let (rating, feedback) = switchboard_domain::csat::answer(values)?;
    switchboard_store::csat::answer(conn, c, survey, rating, feedback.as_deref()).await?;
    Ok(())
}

/// What a survey page shows: the conversation's latest survey and its answer, if any.
pub async fn page(state: &AppState, uuid: &str) -> CoreResult<SurveyPage> {
    let mut conn = state.conn().await?;
    let c = switchboard_store::conversations::by_uuid(&mut conn, uuid).await?.ok_or(CoreError::NotFound)?;
    let survey = switchboard_store::messages::latest_survey(&mut conn, c.id).await?.ok_or(CoreError::NotFound)?;
    let inbox = switchboard_store::inboxes::find(&mut conn, c.account_id, c.inbox_id, switchboard_store::inboxes::Visibility::All)
        .await?
        .ok_or(CoreError::NotFound)?;
    let response = switchboard_store::csat::of_message(&mut conn, survey.id).await?;
    Ok(SurveyPage {
        conversation_uuid: c.uuid,
        inbox_name: inbox.name,
        message_id: survey.id,
        content: survey.content,
        answered: response.is_some(),
        rating: response.as_ref().map(|r| r.rating),
        feedback_message: response.as_ref().and_then(|r| r.feedback_message.clone()),
        created_at: survey.created_at.timestamp(),
    })
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
            contact: contacts.iter().find(|c| c.id == r.contact_id).map(|c| Named { id: c.id, name: c.name.clone() }),
            assigned_agent: r
                .assigned_agent_id
                .and_then(|id| agents.iter().find(|u| u.id == id))
                .map(|u| Named { id: u.id, name: crate::views::available_name(u).to_string() }),
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
