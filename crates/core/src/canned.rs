//! Canned responses: the account's saved replies (members read, administrators write), and the
//! content of a message created from one, its variables rendered for that conversation.

use std::collections::HashMap;

use switchboard_domain::canned::{content, name_parts, render, short_code};
use switchboard_domain::ValidationError;
use switchboard_store::models::Conversation;
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::canned::CannedView;

pub async fn list(state: &AppState, account_id: i64, search: Option<&str>) -> CoreResult<Vec<CannedView>> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::canned::list(&mut conn, account_id, search).await?.into_iter().map(CannedView::from).collect())
}

pub async fn create(state: &AppState, account_id: i64, code: Option<&str>, text: Option<&str>) -> CoreResult<CannedView> {
    let code = short_code("short_code", code.unwrap_or_default())?;
    let text = content("content", text.unwrap_or_default())?;
    let mut conn = state.conn().await?;
    Ok(switchboard_store::canned::create(&mut conn, account_id, &code, &text).await?.into())
}

pub async fn update(state: &AppState, account_id: i64, id: i64, code: Option<&str>, text: Option<&str>) -> CoreResult<CannedView> {
    let code = code.map(|c| short_code("short_code", c)).transpose()?;
    let text = text.map(|t| content("content", t)).transpose()?;
    let mut conn = state.conn().await?;
    let updated = switchboard_store::canned::update(&mut conn, account_id, id, code.as_deref(), text.as_deref()).await?;
    Ok(updated.ok_or(CoreError::NotFound)?.into())
}

pub async fn delete(state: &AppState, account_id: i64, id: i64) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    if !switchboard_store::canned::delete(&mut conn, account_id, id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

/// The content of a message created from canned response `id` in conversation `c`, with the
/// contact's, the agent's, the conversation's, the inbox's and the account's variables filled
/// in. Another account's canned response is a 422 on `canned_response_id`.
pub async fn rendered(conn: &mut AsyncPgConnection, actor: &Actor, c: &Conversation, id: i64) -> CoreResult<String> {
    let canned = switchboard_store::canned::find(conn, actor.account_id, id)
        .await?
        .ok_or_else(|| ValidationError::invalid("canned_response_id", "is not a canned response of this account"))?;
    let contact = switchboard_store::contacts::by_id(conn, c.contact_id).await?;
    let account = switchboard_store::accounts::find(conn, actor.account_id).await?;
    let inbox = switchboard_store::inboxes::find(conn, actor.account_id, c.inbox_id, switchboard_store::inboxes::Visibility::All).await?;
    let agent = if actor.user_id > 0 { switchboard_store::users::by_ids(conn, &[actor.user_id]).await?.pop() } else { None };
    let (first, last) = name_parts(&contact.name);
    let mut values: HashMap<&str, String> = HashMap::new();
    values.insert("contact.name", contact.name.clone());
    values.insert("contact.first_name", first);
    values.insert("contact.last_name", last);
    values.insert("contact.email", contact.email.clone().unwrap_or_default());
    values.insert("contact.phone", contact.phone_number.clone().unwrap_or_default());
    values.insert("contact.phone_number", contact.phone_number.clone().unwrap_or_default());
    values.insert("contact.id", contact.id.to_string());
    values.insert("conversation.id", c.display_id.to_string());
    values.insert("account.name", account.name.clone());
    values.insert("inbox.name", inbox.map(|i| i.name).unwrap_or_default());
    values.insert("agent.name", actor.name.clone());
    if let Some(agent) = agent {
        let (first, last) = name_parts(crate::views::available_name(&agent));
        values.insert("agent.first_name", first);
        values.insert("agent.last_name", last);
        values.insert("agent.email", agent.email.clone());
    }
    Ok(render(&canned.content, &values))
}

/// `rendered` for a conversation the actor may see, by display id (404 otherwise).
pub async fn rendered_in(state: &AppState, actor: &Actor, display_id: i64, id: i64) -> CoreResult<String> {
    let mut conn = state.conn().await?;
    let c = actor.conversation(&mut conn, display_id).await?;
    rendered(&mut conn, actor, &c, id).await
}
