//! Notifications in the reference's shape, their `notification.created` event, and what a
//! user does with theirs (read, delete).

use crate::views;
use switchboard_realtime::Audience;
use switchboard_realtime::Event;
use switchboard_store::models::Notification;
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::Outbox;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// The reference's title for a notification of this type about conversation `display_id`.
fn title(notification_type: &str, display_id: i64) -> String {
    match notification_type {
        "conversation_assignment" => format!("A conversation (#{display_id}) has been assigned to you"),
        "conversation_mention" => format!("You have been mentioned in conversation (#{display_id})"),
        "conversation_creation" => format!("A new conversation (#{display_id}) has been created"),
        other => format!("{other} (#{display_id})"),
    }
}

/// Renders notifications of one account with a fixed number of queries: their conversations
/// (the primary actor), and the users and messages that are secondary actors.
pub async fn render_many(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    account_id: i64,
    list: &[Notification],
) -> CoreResult<Vec<views::Notification>> {
    let conversation_ids: Vec<i64> = list.iter().map(|n| n.conversation_id).collect();
    let conversations = switchboard_store::conversations::by_ids(conn, account_id, &conversation_ids).await?;
    let rendered = crate::present::conversations(state, conn, account_id, &conversations).await?;
    let secondary = |kind: &str| -> Vec<i64> {
        list.iter().filter(|n| n.secondary_actor_type.as_deref() == Some(kind)).filter_map(|n| n.secondary_actor_id).collect()
    };
    let user_ids: Vec<i64> = secondary("User").into_iter().chain(list.iter().map(|n| n.user_id)).collect();
    let users = switchboard_store::users::by_ids(conn, &user_ids).await?;
    let messages = switchboard_store::messages::by_ids(conn, account_id, &secondary("Message")).await?;
    Ok(list
        .iter()
        .filter_map(|n| {
            // A notification outlives nothing: its conversation's deletion removes it too.
            let at = conversations.iter().position(|c| c.id == n.conversation_id)?;
            let (conversation, payload) = (conversations.get(at)?, rendered.get(at)?);
            let secondary_actor = match n.secondary_actor_type.as_deref() {
                Some("User") => {
                    users.iter().find(|u| Some(u.id) == n.secondary_actor_id).map(|u| views::SecondaryActor::User(views::user_brief(u)))
                }
                Some("Message") => messages
                    .iter()
                    .find(|m| Some(m.id) == n.secondary_actor_id)
                    .map(|m| views::SecondaryActor::Message(Box::new(views::message(m, conversation.display_id, None, vec![])))),
                _ => None,
            };
            let user = users.iter().find(|u| u.id == n.user_id).map(views::user_brief);
            Some(views::notification(n, title(&n.notification_type, conversation.display_id), payload.clone(), secondary_actor, user))
        })
        .collect())
}

/// `notification.created`, in the change that notified, to the notified user alone (not even
/// administrators).
pub async fn publish(state: &AppState, conn: &mut AsyncPgConnection, out: &mut Outbox, list: &[Notification]) -> CoreResult<()> {
    let Some(first) = list.first() else { return Ok(()) };
    let rendered = render_many(state, conn, first.account_id, list).await?;
    for n in list {
        let Some(data) = rendered.iter().find(|v| v.id == n.id) else { continue };
        let data = views::value(data)?;
        let audience = Audience { users: vec![n.user_id], personal: true, ..Default::default() };
        out.push(n.account_id, Event::NotificationCreated, data, audience);
    }
    Ok(())
}

/// Marks one of the caller's notifications read; `NotFound` when it is not theirs.
pub async fn mark_read(state: &AppState, actor: &Actor, id: i64) -> CoreResult<Notification> {
    let mut conn = state.conn().await?;
    switchboard_store::notifications::mark_read(&mut conn, actor.account_id, actor.user_id, id).await?.ok_or(CoreError::NotFound)
}

/// Marks all the caller's notifications in the account read.
pub async fn mark_all_read(state: &AppState, actor: &Actor) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    switchboard_store::notifications::mark_all_read(&mut conn, actor.account_id, actor.user_id).await?;
    Ok(())
}

/// Deletes one of the caller's notifications; `NotFound` when it is not theirs.
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    if !switchboard_store::notifications::delete(&mut conn, actor.account_id, actor.user_id, id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(())
}
