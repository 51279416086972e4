//! Conversation changes that must leave an activity line.

use switchboard_domain::conversations::MessageType;
use switchboard_store::models::{Conversation, ConversationChanges, NewMessage};
use switchboard_store::AsyncPgConnection;

use crate::error::ApiResult;

/// An activity line for `conversation`, as the reference writes them.
pub fn activity(conversation: &Conversation, content: String) -> NewMessage {
    NewMessage::text(conversation, MessageType::Activity.as_i16(), Some(content), None)
}

/// Applies `changes` and writes `lines` as activity messages in one transaction.
pub async fn change(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    changes: ConversationChanges,
    lines: Vec<String>,
) -> ApiResult<Conversation> {
    let activities = lines.into_iter().map(|l| activity(conversation, l)).collect();
    Ok(switchboard_store::conversations::change(conn, conversation.id, &changes, activities).await?)
}

/// Reopens snoozed conversations when their time comes, every `every`, for as long as the
/// server runs. Errors are logged and retried on the next tick.
pub async fn wake_snoozed_forever(db: switchboard_store::DbPool, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(mut conn) = db.get().await else { continue };
        let line = |c: &Conversation| {
            activity(c, switchboard_domain::conversations::activity::status(switchboard_domain::conversations::Status::Open, "System"))
        };
        match switchboard_store::conversations::wake_snoozed(&mut conn, line).await {
            Ok(woken) if !woken.is_empty() => tracing::info!(count = woken.len(), "reopened snoozed conversations"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "waking snoozed conversations failed"),
        }
    }
}
