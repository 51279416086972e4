//! The events each change stages in its transaction (`change`), with the reference's
//! payloads and recipients.

use serde_json::json;
use switchboard_domain::conversations::MessageType;
use switchboard_realtime::Audience;
use switchboard_realtime::Event;
use switchboard_store::models::{Conversation, Message};
use switchboard_store::AsyncPgConnection;

use crate::change::Outbox;
use crate::error::CoreResult;
use crate::state::AppState;
use crate::views;

/// The conversation's contact identity token, for events the contact also receives.
async fn contact_token(conn: &mut AsyncPgConnection, c: &Conversation) -> CoreResult<Option<String>> {
    Ok(match c.contact_inbox_id {
        Some(id) => switchboard_store::contacts::identity(conn, id).await?.map(|ci| ci.pubsub_token),
        None => None,
    })
}

/// A conversation event with the conversation's payload. The contact gets `conversation.created`
/// and `conversation.status_changed`; every conversation event goes to its inbox's agents.
pub async fn conversation(
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    event: Event,
    c: &Conversation,
    payload: &views::events::ConversationEvent<'_>,
    extra: Audience,
) -> CoreResult<()> {
    let contact_pubsub = if reaches_contact_of(event) { contact_token(conn, c).await? } else { None };
    conversation_with(out, event, c, payload, extra, contact_pubsub)
}

/// The conversation events its contact receives too.
fn reaches_contact_of(event: Event) -> bool {
    matches!(event, Event::ConversationCreated | Event::ConversationStatusChanged)
}

/// `conversation` when the caller already knows the contact's identity token.
pub fn conversation_with(
    out: &mut Outbox,
    event: Event,
    c: &Conversation,
    payload: &views::events::ConversationEvent<'_>,
    extra: Audience,
    contact_pubsub: Option<String>,
) -> CoreResult<()> {
    let contact_pubsub = contact_pubsub.filter(|_| reaches_contact_of(event));
    let audience = Audience { inbox_id: Some(c.inbox_id), contact_pubsub, ..extra };
    out.push(c.account_id, event, views::value(payload)?, audience);
    Ok(())
}

/// Typing indicators (no change, so published at once): the inbox's agents, and the contact unless the agent is writing a
/// private note; never the typer.
pub async fn typing(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    c: &Conversation,
    on: bool,
    private: bool,
    typer: views::events::Typer,
    typer_pubsub: &str,
) -> CoreResult<()> {
    let contact_pubsub = if private { None } else { contact_token(conn, c).await? };
    let audience =
        Audience { inbox_id: Some(c.inbox_id), contact_pubsub, exclude_pubsub: Some(typer_pubsub.to_string()), ..Default::default() };
    let event = if on { Event::ConversationTypingOn } else { Event::ConversationTypingOff };
    let conversation = views::events::TypingConversation { id: c.display_id, inbox_id: c.inbox_id };
    let data = views::value(&views::events::Typing { conversation, user: typer, is_private: private, account_id: c.account_id })?;
    state.realtime.publish(c.account_id, event, data, audience).await;
    Ok(())
}

/// These users' rights in the account changed (membership, role, deletion, credentials): every
/// node's sockets check their subscriptions again at once. No client receives the event itself.
pub fn access_changed(out: &mut Outbox, account_id: i64, user_ids: &[i64]) -> CoreResult<()> {
    if user_ids.is_empty() {
        return Ok(());
    }
    let data = views::value(&views::events::AccessChanged { user_ids, account_id })?;
    out.push(account_id, Event::AccessChanged, data, Audience::default());
    Ok(())
}

/// The accounts a user belongs to, read before a change that ends or alters their access.
pub async fn accounts_of(conn: &mut AsyncPgConnection, user_id: i64) -> CoreResult<Vec<i64>> {
    Ok(switchboard_store::users::memberships(conn, user_id).await?.into_iter().map(|(m, _)| m.account_id).collect())
}

/// A user's credentials or existence changed: each of these accounts hears it.
pub fn user_access_changed(out: &mut Outbox, accounts: &[i64], user_id: i64) -> CoreResult<()> {
    for account_id in accounts {
        access_changed(out, *account_id, &[user_id])?;
    }
    Ok(())
}

/// Contact events go to every user of the account. `contact` is in the shape of the surface
/// that changed it (a REST contact, a retailer customer, a group with its members).
pub fn contact(out: &mut Outbox, event: Event, account_id: i64, contact: &impl serde::Serialize) -> CoreResult<()> {
    let data = views::value(&views::events::ContactEvent { contact, account_id })?;
    out.push(account_id, event, data, Audience { account_wide: true, ..Default::default() });
    Ok(())
}

/// A conversation change's events: its activity lines, then the conversation event; returns
/// the conversation's payload.
pub async fn announce(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    c: &Conversation,
    event: Event,
    activities: &[switchboard_store::models::Message],
    extra: switchboard_realtime::Audience,
) -> CoreResult<views::Conversation> {
    announce_with(state, conn, out, c, event, activities, extra, None).await
}

/// `announce` for a change of an existing conversation: the event also carries what changed
/// (`changed_attributes`, as the reference's conversation_updated webhook has it). The
/// returned payload is the conversation alone.
#[allow(clippy::too_many_arguments)]
pub async fn announce_change(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    before: &Conversation,
    c: &Conversation,
    event: Event,
    activities: &[switchboard_store::models::Message],
    extra: switchboard_realtime::Audience,
) -> CoreResult<views::Conversation> {
    announce_with(state, conn, out, c, event, activities, extra, Some(changed_attributes(before, c))).await
}

#[allow(clippy::too_many_arguments)]
async fn announce_with(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    c: &Conversation,
    event: Event,
    activities: &[switchboard_store::models::Message],
    extra: switchboard_realtime::Audience,
    changed: Option<Vec<views::events::ChangedAttribute>>,
) -> CoreResult<views::Conversation> {
    for m in activities {
        let rendered = views::message(m, c.display_id, None, vec![]);
        publish(conn, out, c, m, &rendered, Event::MessageCreated).await?;
    }
    let payload = crate::present::conversation(state, conn, c).await?;
    let data = views::events::ConversationEvent { conversation: &payload, changed_attributes: changed };
    conversation(conn, out, event, c, &data, extra).await?;
    Ok(payload)
}

/// What a change changed, as the reference lists it: `[{"status": {"previous_value": "open",
/// "current_value": "resolved"}}, …]`, times in epoch seconds, labels as `label_list`.
pub fn changed_attributes(before: &Conversation, after: &Conversation) -> Vec<views::events::ChangedAttribute> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| json!(t.map(|t| t.timestamp()));
    let pairs = [
        ("status", json!(before.status), json!(after.status)),
        ("assignee_id", json!(before.assignee_id), json!(after.assignee_id)),
        ("team_id", json!(before.team_id), json!(after.team_id)),
        ("priority", json!(before.priority), json!(after.priority)),
        ("snoozed_until", time(before.snoozed_until), time(after.snoozed_until)),
        ("label_list", json!(before.labels), json!(after.labels)),
        ("custom_attributes", before.custom_attributes.clone(), after.custom_attributes.clone()),
        ("additional_attributes", before.additional_attributes.clone(), after.additional_attributes.clone()),
        ("contact_id", json!(before.contact_id), json!(after.contact_id)),
    ];
    pairs
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(name, old, new)| [(name, views::events::Change { previous_value: old, current_value: new })].into())
        .collect()
}

/// Public messages reach the contact; notes and activity lines stay with the agents.
fn reaches_contact(m: &Message) -> bool {
    !m.private && m.message_type != MessageType::Activity
}

/// A message event (`message.created`, `message.updated`), with the contact's identity token
/// looked up: to the inbox's agents and the account's administrators, and to the contact
/// unless the message is a private note or an activity line.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    c: &Conversation,
    m: &Message,
    rendered: &views::Message,
    event: Event,
) -> CoreResult<()> {
    let contact_pubsub = match c.contact_inbox_id {
        Some(id) if reaches_contact(m) => switchboard_store::contacts::identity(conn, id).await?.map(|ci| ci.pubsub_token),
        _ => None,
    };
    publish_with(out, c, m, rendered, event, contact_pubsub)
}

/// A message event when the caller already knows the contact's identity token. The contact
/// hears of public, non-activity messages only.
pub fn publish_with(
    out: &mut Outbox,
    c: &Conversation,
    m: &Message,
    rendered: &views::Message,
    event: Event,
    contact_pubsub: Option<String>,
) -> CoreResult<()> {
    let contact_pubsub = contact_pubsub.filter(|_| reaches_contact(m));
    let data = views::value(&views::events::message_event(rendered, c))?;
    let audience = switchboard_realtime::Audience { inbox_id: Some(c.inbox_id), contact_pubsub, ..Default::default() };
    out.push(c.account_id, event, data, audience);
    Ok(())
}
