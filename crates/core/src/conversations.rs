//! Conversation changes: the fields, the activity lines they leave, and their events, in one
//! change.

use switchboard_domain::conversations::MessageType;
use switchboard_realtime::Event;
use switchboard_store::models::{Conversation, ConversationChanges, NewMessage, NewNotification};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// An activity line for `conversation`, as the reference writes them.
pub fn activity(conversation: &Conversation, content: String) -> NewMessage {
    NewMessage::text(conversation, MessageType::Activity.as_i16(), Some(content), None)
}

/// Applies `changes` and writes `lines` as activity messages in one transaction; returns the
/// conversation and the activity messages, for the events that follow the commit.
pub async fn change(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    changes: ConversationChanges,
    lines: Vec<String>,
) -> CoreResult<(Conversation, Vec<switchboard_store::models::Message>)> {
    let (c, activities, _) = change_notifying(conn, conversation, changes, lines, &[]).await?;
    Ok((c, activities))
}

/// `change`, also writing the notifications it causes in the same transaction.
pub async fn change_notifying(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    changes: ConversationChanges,
    lines: Vec<String>,
    notify: &[NewNotification],
) -> CoreResult<(Conversation, Vec<switchboard_store::models::Message>, Vec<switchboard_store::models::Notification>)> {
    let activities = lines.into_iter().map(|l| activity(conversation, l)).collect();
    Ok(switchboard_store::conversations::change(conn, conversation.id, &changes, activities, notify).await?)
}

/// Changes a conversation the actor may see: `decide` looks at it as it is and says what changes
/// and which activity lines that leaves. The update, the lines and `event` (after the lines'
/// `message.created`) are one change. Returns the conversation as changed and its payload.
pub async fn change_one(
    state: &AppState,
    actor: &Actor,
    display_id: i64,
    event: Event,
    decide: impl FnOnce(&Conversation) -> (ConversationChanges, Vec<String>) + Send,
) -> CoreResult<(Conversation, serde_json::Value)> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = switchboard_store::conversations::find(conn, actor.account_id, display_id, actor.visibility)
            .await?
            .ok_or(CoreError::NotFound)?;
        let (changes, lines) = decide(&c);
        let (c, activities) = change(conn, &c, changes, lines).await?;
        let payload = crate::events::announce(state, conn, out, &c, event, &activities, Default::default()).await?;
        Ok((c, payload))
    }
    .await;
    tx.finish(state, result).await
}

/// A `conversation_assignment` notification for the new assignee, unless they assigned
/// themselves (the reference does not notify anyone of their own act).
pub fn assignment_notice(conversation: &Conversation, assignee: Option<i64>, by: i64) -> Vec<NewNotification> {
    match assignee {
        Some(user_id) if user_id != by => vec![NewNotification {
            account_id: conversation.account_id,
            user_id,
            notification_type: "conversation_assignment".into(),
            conversation_id: conversation.id,
            secondary_actor_type: Some("User".into()),
            secondary_actor_id: Some(by),
        }],
        _ => vec![],
    }
}

/// Reopens snoozed conversations when their time comes, every `settings.snooze_check`, for as
/// long as the server runs, and announces each. Errors are logged and retried on the next tick.
pub async fn wake_snoozed_forever(state: std::sync::Arc<crate::state::AppState>) {
    let mut tick = tokio::time::interval(state.settings.snooze_check);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let line = |c: &Conversation| {
            activity(c, switchboard_domain::conversations::activity::status(switchboard_domain::conversations::Status::Open, "System"))
        };
        // The reopening and its events commit together: a conversation is never reopened unheard.
        let Ok(mut tx) = crate::change::Change::begin(&state).await else { continue };
        let result = async {
            let (conn, out) = (&mut *tx.conn, &mut tx.out);
            let woken = switchboard_store::conversations::wake_snoozed(conn, line).await?;
            for (c, line) in &woken {
                crate::events::announce(
                    &state,
                    conn,
                    out,
                    c,
                    Event::ConversationStatusChanged,
                    std::slice::from_ref(line),
                    Default::default(),
                )
                .await?;
            }
            CoreResult::Ok(woken.len())
        }
        .await;
        match tx.finish(&state, result).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "reopened snoozed conversations"),
            Err(e) => tracing::warn!(error = %e, "waking snoozed conversations failed"),
        }
    }
}
