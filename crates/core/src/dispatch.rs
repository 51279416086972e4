//! The webhook dispatcher: a reader of the event log. For each account with unread events it
//! takes the account's cursor, turns each event into the reference's flat webhook payload,
//! writes one delivery per endpoint that subscribes to it (with its job), and moves the cursor,
//! all in one transaction: a crash anywhere loses no event and makes no second delivery.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use switchboard_domain::conversations::MessageType;
use switchboard_domain::webhooks::WebhookEvent;
use switchboard_store::events::StoredEvent;
use switchboard_store::models::Webhook;
use switchboard_store::webhooks::NewDelivery;
use switchboard_store::AsyncPgConnection;

use crate::error::CoreResult;
use crate::state::AppState;
use crate::views::Named;

/// Events read per account and transaction.
const BATCH: i64 = 500;
/// Accounts looked at per round.
const ACCOUNTS: i64 = 64;
/// How often the log is looked at when nothing said it grew (other nodes' events).
const POLL: Duration = Duration::from_secs(1);
/// The least time between two rounds: the log writer says it numbered events after every
/// batch, hundreds of times a second under load; the rounds in between would each cost a query
/// and find little. Wake-ups that arrive meanwhile fold into one.
const ROUND_GAP: Duration = Duration::from_millis(25);

/// Runs the dispatcher: at once when this process's log writer numbered events, and every
/// `POLL` for events numbered elsewhere. Several processes share the work: an account's cursor
/// is held by one at a time.
pub async fn dispatch_forever(state: Arc<AppState>) {
    loop {
        tokio::select! {
            _ = state.realtime.numbered.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
        loop {
            match dispatch_once(&state).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook dispatch failed; the events stay unread for the next round");
                    break;
                }
            }
        }
        tokio::time::sleep(ROUND_GAP).await;
    }
}

/// One round over the accounts that are behind; true when some have more to read.
pub async fn dispatch_once(state: &AppState) -> CoreResult<bool> {
    let accounts = {
        let mut conn = state.conn().await?;
        switchboard_store::events::readers_behind(&mut conn, switchboard_store::webhooks::READER, ACCOUNTS).await?
    };
    let mut more = false;
    for account_id in accounts {
        let mut change = crate::change::Change::begin(state).await?;
        let read = read_account(state, &mut change.conn, account_id).await;
        more |= change.finish(state, read).await? >= BATCH as usize;
    }
    Ok(more)
}

/// Reads the account's next events into deliveries; how many events it read (0 when another
/// process holds the cursor).
async fn read_account(state: &AppState, conn: &mut AsyncPgConnection, account_id: i64) -> CoreResult<usize> {
    let Some(seq) = switchboard_store::events::lock_reader(conn, account_id, switchboard_store::webhooks::READER).await? else {
        return Ok(0);
    };
    let events = switchboard_store::events::after(conn, account_id, seq, BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else { return Ok(0) };
    let targets = switchboard_store::webhooks::targets(conn, account_id).await?;
    let wanted: Vec<(&StoredEvent, WebhookEvent)> = events
        .iter()
        .flat_map(|e| webhook_events(&e.event, &e.data).into_iter().map(move |w| (e, w)))
        .filter(|(_, w)| targets.iter().any(|t| t.subscriptions.iter().any(|s| s == w.as_str())))
        .collect();
    if !wanted.is_empty() {
        let rows = deliveries(state, conn, account_id, &wanted, &targets).await?;
        switchboard_store::webhooks::insert_deliveries(conn, &rows).await?;
    }
    switchboard_store::events::advance_reader(conn, account_id, switchboard_store::webhooks::READER, last).await?;
    Ok(events.len())
}

/// The webhook events a log event is (none, one, or for a status change also the bots'
/// `conversation_opened` / `conversation_resolved`). Activity lines are not messages to
/// integrators.
fn webhook_events(name: &str, data: &Value) -> Vec<WebhookEvent> {
    let activity = data.get("message_type").and_then(Value::as_i64) == Some(2);
    let one = match name {
        "message.created" if !activity => WebhookEvent::MessageCreated,
        "message.updated" if !activity => WebhookEvent::MessageUpdated,
        "conversation.created" => WebhookEvent::ConversationCreated,
        "conversation.status_changed" => {
            let bots = match data.get("status").and_then(Value::as_str) {
                Some("open") => Some(WebhookEvent::ConversationOpened),
                Some("resolved") => Some(WebhookEvent::ConversationResolved),
                _ => None,
            };
            return std::iter::once(WebhookEvent::ConversationStatusChanged).chain(bots).collect();
        }
        "conversation.updated" | "assignee.changed" | "team.changed" | "conversation.contact_changed" => WebhookEvent::ConversationUpdated,
        "contact.created" => WebhookEvent::ContactCreated,
        "contact.updated" => WebhookEvent::ContactUpdated,
        "conversation.typing_on" => WebhookEvent::ConversationTypingOn,
        "conversation.typing_off" => WebhookEvent::ConversationTypingOff,
        "inbox.created" => WebhookEvent::InboxCreated,
        "inbox.updated" => WebhookEvent::InboxUpdated,
        _ => return vec![],
    };
    vec![one]
}

/// The conversation (display id) and inbox an event is about.
fn subject(event: WebhookEvent, data: &Value) -> (Option<i64>, Option<i64>) {
    let int = |v: Option<&Value>| v.and_then(Value::as_i64);
    match event {
        WebhookEvent::MessageCreated | WebhookEvent::MessageUpdated => (int(data.get("conversation_id")), int(data.get("inbox_id"))),
        WebhookEvent::ConversationTypingOn | WebhookEvent::ConversationTypingOff => {
            (int(data.pointer("/conversation/id")), int(data.pointer("/conversation/inbox_id")))
        }
        WebhookEvent::InboxCreated | WebhookEvent::InboxUpdated => (None, int(data.get("id"))),
        WebhookEvent::ContactCreated | WebhookEvent::ContactUpdated | WebhookEvent::WebwidgetTriggered => (None, None),
        _ => (int(data.get("id")), int(data.get("inbox_id"))),
    }
}

/// Builds the payloads (loading the conversations, inboxes and account they name in a fixed
/// number of queries) and pairs each with its endpoints.
async fn deliveries(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    account_id: i64,
    wanted: &[(&StoredEvent, WebhookEvent)],
    targets: &[Webhook],
) -> CoreResult<Vec<NewDelivery>> {
    let account = switchboard_store::accounts::find(conn, account_id).await?;
    let inboxes = switchboard_store::inboxes::list(conn, account_id, switchboard_store::inboxes::Visibility::All).await?;
    let inbox_names: HashMap<i64, &str> = inboxes.iter().map(|i| (i.id, i.name.as_str())).collect();
    // Message and typing events carry part of their conversation: the full one is loaded.
    let mut display_ids: Vec<i64> = wanted
        .iter()
        .filter(|(_, w)| {
            !matches!(
                w,
                WebhookEvent::ConversationCreated
                    | WebhookEvent::ConversationStatusChanged
                    | WebhookEvent::ConversationUpdated
                    | WebhookEvent::ConversationOpened
                    | WebhookEvent::ConversationResolved
            )
        })
        .filter_map(|(e, w)| subject(*w, &e.data).0)
        .collect();
    display_ids.sort_unstable();
    display_ids.dedup();
    let list = switchboard_store::conversations::by_display_ids(conn, account_id, &display_ids).await?;
    let presented = crate::present::conversations(state, conn, account_id, &list).await?;
    let presented = presented.iter().map(crate::views::value).collect::<crate::error::CoreResult<Vec<Value>>>()?;
    let conversations: HashMap<i64, Value> = list.iter().map(|c| c.display_id).zip(presented).collect();

    let account_ref = crate::views::value(&Named { id: account.id, name: account.name.clone() })?;
    let mut rows = Vec::new();
    for (e, w) in wanted {
        let (conversation_id, inbox_id) = subject(*w, &e.data);
        let inbox_ref = inbox_id
            .map(|id| crate::views::value(&Named { id, name: inbox_names.get(&id).copied().unwrap_or_default().to_string() }))
            .transpose()?;
        let body = payload(*w, &e.data, &account_ref, inbox_ref, conversation_id.and_then(|id| conversations.get(&id)));
        let text = serde_json::to_string(&body).map_err(crate::error::CoreError::caused_by)?;
        let key = match w {
            WebhookEvent::ContactCreated | WebhookEvent::ContactUpdated => {
                e.data.get("id").and_then(Value::as_i64).map(|id| format!("contact:{id}"))
            }
            WebhookEvent::InboxCreated | WebhookEvent::InboxUpdated => None,
            _ => conversation_id.map(|id| format!("conversation:{id}")),
        };
        for t in targets {
            let subscribed = t.subscriptions.iter().any(|s| s == w.as_str());
            let reaches = match t.inbox_id {
                None => true,
                Some(own) => w.reaches_inbox_callback() && inbox_id == Some(own),
            };
            if subscribed && reaches {
                rows.push(NewDelivery {
                    account_id,
                    webhook_id: t.id,
                    seq: e.seq,
                    event: w.as_str().to_string(),
                    ordering_key: key.clone(),
                    body: text.clone(),
                    queue: t.enabled,
                });
            }
        }
    }
    Ok(rows)
}

/// The reference's flat payload: `event` and the object's fields. Message events carry the
/// sender, the inbox, the whole conversation and the account; message types are names and
/// times ISO 8601, as the reference's webhooks have them.
fn payload(event: WebhookEvent, data: &Value, account: &Value, inbox: Option<Value>, conversation: Option<&Value>) -> Value {
    let mut body = match event {
        WebhookEvent::ConversationTypingOn | WebhookEvent::ConversationTypingOff => json!({
            "user": data.get("user").cloned().unwrap_or(Value::Null),
            "is_private": data.get("is_private").cloned().unwrap_or(Value::Bool(false)),
            "conversation": conversation.cloned().or_else(|| data.get("conversation").cloned()).unwrap_or(Value::Null),
        }),
        _ => data.clone(),
    };
    let Some(obj) = body.as_object_mut() else { return body };
    obj.insert("event".into(), json!(event.as_str()));
    obj.insert("account".into(), account.clone());
    if let Some(inbox) = inbox {
        obj.insert("inbox".into(), inbox);
    }
    if matches!(event, WebhookEvent::MessageCreated | WebhookEvent::MessageUpdated) {
        if let Some(c) = conversation {
            obj.insert("conversation".into(), c.clone());
        }
        // The log's messages are typed views: their kind is always one MessageType knows.
        let kind = obj.get("message_type").and_then(Value::as_i64).and_then(|n| i16::try_from(n).ok()).and_then(MessageType::from_column);
        let kind = kind.map(MessageType::name);
        if let Some(kind) = kind {
            obj.insert("message_type".into(), json!(kind));
        }
        for k in ["created_at", "updated_at"] {
            let at = obj.get(k).and_then(Value::as_i64).and_then(|t| Utc.timestamp_opt(t, 0).single());
            if let Some(at) = at {
                obj.insert(k.into(), json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_events_map_to_the_references_webhook_events() {
        assert_eq!(webhook_events("message.created", &json!({"message_type": 1})), vec![WebhookEvent::MessageCreated]);
        assert_eq!(webhook_events("message.created", &json!({"message_type": 2})), vec![], "activity lines are not sent");
        assert_eq!(webhook_events("assignee.changed", &json!({})), vec![WebhookEvent::ConversationUpdated]);
        assert_eq!(webhook_events("presence.update", &json!({})), vec![]);
        assert_eq!(webhook_events("inbox.updated", &json!({})), vec![WebhookEvent::InboxUpdated]);
        assert_eq!(
            webhook_events("conversation.status_changed", &json!({"status": "resolved"})),
            vec![WebhookEvent::ConversationStatusChanged, WebhookEvent::ConversationResolved]
        );
        assert_eq!(
            webhook_events("conversation.status_changed", &json!({"status": "open"})),
            vec![WebhookEvent::ConversationStatusChanged, WebhookEvent::ConversationOpened]
        );
        assert_eq!(
            webhook_events("conversation.status_changed", &json!({"status": "pending"})),
            vec![WebhookEvent::ConversationStatusChanged]
        );
    }

    #[test]
    fn message_payloads_are_flat_with_names_and_iso_times() {
        let data = json!({"id": 5, "message_type": 0, "created_at": 1_700_000_000, "conversation_id": 3, "inbox_id": 2,
            "conversation": {"id": 3}, "sender": {"id": 9, "type": "contact"}});
        let account = json!({"id": 1, "name": "Acme"});
        let full = json!({"id": 3, "status": "open"});
        let body = payload(WebhookEvent::MessageCreated, &data, &account, Some(json!({"id": 2, "name": "Web"})), Some(&full));
        assert_eq!(body["event"], "message_created");
        assert_eq!(body["message_type"], "incoming");
        assert_eq!(body["created_at"], "2023-11-14T22:13:20.000Z");
        assert_eq!(body["conversation"], full);
        assert_eq!((body["inbox"]["name"].as_str(), body["account"]["name"].as_str()), (Some("Web"), Some("Acme")));
        assert_eq!(body["sender"]["type"], "contact");
    }
}
