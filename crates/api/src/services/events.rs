//! The live events each write sends, after it committed, with the reference's recipients.

use serde_json::{json, Value};
use switchboard_realtime::Audience;
use switchboard_store::models::{Contact, Conversation};
use switchboard_store::AsyncPgConnection;

use crate::error::ApiResult;
use crate::state::AppState;

/// The conversation's contact identity token, for events the contact also receives.
async fn contact_token(conn: &mut AsyncPgConnection, c: &Conversation) -> ApiResult<Option<String>> {
    Ok(match c.contact_inbox_id {
        Some(id) => switchboard_store::contacts::identity(conn, id).await?.map(|ci| ci.pubsub_token),
        None => None,
    })
}

/// A conversation event with the conversation's payload. The contact gets `conversation.created`
/// and `conversation.status_changed`; every conversation event goes to its inbox's agents.
pub async fn conversation(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    event: &str,
    c: &Conversation,
    payload: Value,
    extra: Audience,
) -> ApiResult<()> {
    let to_contact = matches!(event, "conversation.created" | "conversation.status_changed");
    let contact_pubsub = if to_contact { contact_token(conn, c).await? } else { None };
    let audience = Audience { inbox_id: Some(c.inbox_id), contact_pubsub, ..extra };
    state.realtime.publish(c.account_id, event, payload, audience).await;
    Ok(())
}

/// Typing indicators: the inbox's agents, and the contact unless the agent is writing a
/// private note; never the typer.
pub async fn typing(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    c: &Conversation,
    on: bool,
    private: bool,
    typer: Value,
    typer_pubsub: &str,
) -> ApiResult<()> {
    let contact_pubsub = if private { None } else { contact_token(conn, c).await? };
    let audience =
        Audience { inbox_id: Some(c.inbox_id), contact_pubsub, exclude_pubsub: Some(typer_pubsub.to_string()), ..Default::default() };
    let event = if on { "conversation.typing_on" } else { "conversation.typing_off" };
    let data = json!({ "conversation": { "id": c.display_id, "inbox_id": c.inbox_id }, "user": typer, "is_private": private, "account_id": c.account_id });
    state.realtime.publish(c.account_id, event, data, audience).await;
    Ok(())
}

/// These users' rights in the account changed (membership, role, deletion, credentials): every
/// node's sockets check their subscriptions again at once. No client receives the event itself.
pub async fn access_changed(state: &AppState, account_id: i64, user_ids: &[i64]) {
    if user_ids.is_empty() {
        return;
    }
    let data = json!({ "user_ids": user_ids, "account_id": account_id });
    state.realtime.publish(account_id, switchboard_realtime::ACCESS_CHANGED, data, Audience::default()).await;
}

/// The accounts a user belongs to, read before a change that ends or alters their access.
pub async fn accounts_of(conn: &mut AsyncPgConnection, user_id: i64) -> ApiResult<Vec<i64>> {
    Ok(switchboard_store::users::memberships(conn, user_id).await?.into_iter().map(|(m, _)| m.account_id).collect())
}

/// A user's credentials or existence changed: each of these accounts hears it.
pub async fn user_access_changed(state: &AppState, accounts: &[i64], user_id: i64) {
    for account_id in accounts {
        access_changed(state, *account_id, &[user_id]).await;
    }
}

/// Contact events go to every user of the account.
pub async fn contact(state: &AppState, event: &str, account_id: i64, payload: Value) {
    let mut data = payload;
    if let Some(obj) = data.as_object_mut() {
        obj.insert("account_id".into(), json!(account_id));
    }
    state.realtime.publish(account_id, event, data, Audience { account_wide: true, ..Default::default() }).await;
}

/// The payload of a contact event for a deleted contact.
pub fn contact_ref(c: &Contact) -> Value {
    json!({ "id": c.id, "name": c.name, "email": c.email, "phone_number": c.phone_number, "identifier": c.identifier })
}
