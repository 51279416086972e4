//! Stored rows in Chatwoot's shapes, with the queries that takes: one fixed set of queries for
//! any number of rows. Handlers answer with these, and events carry them.

use switchboard_domain::conversations::SenderType;
use switchboard_store::models::{AgentBot, Contact, Conversation, Inbox, Message, User};
use switchboard_store::AsyncPgConnection;

use crate::error::CoreResult;
use crate::state::AppState;
use crate::views;

/// The reference's payloads for `list`, with a fixed number of queries.
pub async fn conversations(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    account_id: i64,
    list: &[Conversation],
) -> CoreResult<Vec<views::Conversation>> {
    let related = switchboard_store::conversations::related(conn, list).await?;
    let inboxes = switchboard_store::inboxes::list(conn, account_id, switchboard_store::inboxes::Visibility::All).await?;
    let last_ids: Vec<i64> = related.last_messages.iter().map(|m| m.id).collect();
    let attachments = attachments(state, conn, &last_ids).await?;
    Ok(list.iter().map(|c| views::conversation(c, inboxes.iter().find(|i| i.id == c.inbox_id), &related, &attachments)).collect())
}

pub async fn conversation(state: &AppState, conn: &mut AsyncPgConnection, c: &Conversation) -> CoreResult<views::Conversation> {
    conversations(state, conn, c.account_id, std::slice::from_ref(c)).await?.pop().ok_or(crate::error::CoreError::NotFound)
}

/// Attachments of these messages with their URLs: one query for any number of messages.
pub async fn attachments(state: &AppState, conn: &mut AsyncPgConnection, message_ids: &[i64]) -> CoreResult<Vec<(i64, views::Attachment)>> {
    let rows = switchboard_store::attachments::of_messages(conn, message_ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in &rows {
        let url = state.storage.url(&state.db, a).await?;
        out.push((a.message_id, views::attachment(a, url)));
    }
    Ok(out)
}

/// `participants`: the contacts who wrote in a group conversation (its contact is the group).
fn sender(m: &Message, contact: Option<&Contact>, participants: &[Contact], users: &[User], bots: &[AgentBot]) -> Option<views::Sender> {
    match m.sender_type {
        Some(SenderType::Contact) => {
            participants.iter().find(|p| Some(p.id) == m.sender_id).or(contact).map(|c| views::Sender::Contact(views::contact_sender(c)))
        }
        Some(SenderType::User) => {
            m.sender_id.and_then(|id| users.iter().find(|u| u.id == id)).map(|u| views::Sender::User(views::user_brief(u)))
        }
        Some(SenderType::AgentBot) => {
            m.sender_id.and_then(|id| bots.iter().find(|b| b.id == id)).map(|b| views::Sender::AgentBot(views::agent_bot_brief(b)))
        }
        _ => None,
    }
}

/// Messages with their senders and attachments: three queries for any page.
pub async fn messages(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    c: &Conversation,
    list: &[Message],
) -> CoreResult<(Vec<views::Message>, Contact)> {
    let contact = switchboard_store::contacts::by_id(conn, c.contact_id).await?;
    let user_ids: Vec<i64> = list.iter().filter(|m| m.sender_type == Some(SenderType::User)).filter_map(|m| m.sender_id).collect();
    let users = if user_ids.is_empty() { vec![] } else { switchboard_store::users::by_ids(conn, &user_ids).await? };
    // Bots' messages are few: the query runs only for a page that has some.
    let bot_ids: Vec<i64> = list.iter().filter(|m| m.sender_type == Some(SenderType::AgentBot)).filter_map(|m| m.sender_id).collect();
    let bots = switchboard_store::agent_bots::by_ids(conn, &bot_ids).await?;
    let mut participant_ids: Vec<i64> = list
        .iter()
        .filter(|m| m.sender_type == Some(SenderType::Contact))
        .filter_map(|m| m.sender_id)
        .filter(|id| *id != contact.id)
        .collect();
    participant_ids.sort_unstable();
    participant_ids.dedup();
    let participants =
        if participant_ids.is_empty() { vec![] } else { switchboard_store::contacts::by_ids(conn, c.account_id, &participant_ids).await? };
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    let attachments = attachments(state, conn, &ids).await?;
    let rendered = list
        .iter()
        .map(|m| {
            let files = attachments.iter().filter(|(id, _)| *id == m.id).map(|(_, v)| v.clone()).collect();
            views::message(m, c.display_id, sender(m, Some(&contact), &participants, &users, &bots), files)
        })
        .collect();
    Ok((rendered, contact))
}

/// One message as its events show it.
pub async fn message(state: &AppState, conn: &mut AsyncPgConnection, c: &Conversation, m: &Message) -> CoreResult<views::Message> {
    let (mut rendered, _) = messages(state, conn, c, std::slice::from_ref(m)).await?;
    rendered.pop().ok_or_else(|| crate::error::CoreError::internal("a message was not rendered"))
}

/// A contact with its inbox identities.
pub async fn contact(conn: &mut AsyncPgConnection, contact: &Contact) -> CoreResult<views::Contact> {
    let identities = switchboard_store::contacts::inboxes_of(conn, &[contact.id]).await?;
    Ok(views::contact(contact, &identities))
}

/// A group contact with its active members.
pub async fn group(conn: &mut AsyncPgConnection, group: &Contact) -> CoreResult<views::GroupContact> {
    let contact = contact(conn, group).await?;
    let (members, _) = switchboard_store::groups::members(conn, group.id, None, 0, i64::MAX).await?;
    let group_members = members.iter().map(|(m, c)| views::group_member(m, c)).collect();
    Ok(views::GroupContact { contact, group_members })
}

/// Inboxes in the reference's shape, with their WhatsApp templates and, for administrators, their
/// API callback endpoints: two queries for any number of inboxes.
pub async fn inboxes(state: &AppState, conn: &mut AsyncPgConnection, inboxes: &[Inbox], admin: bool) -> CoreResult<Vec<views::Inbox>> {
    let whatsapp: Vec<i64> =
        inboxes.iter().filter(|i| i.channel_type == switchboard_domain::inbox::ChannelType::Whatsapp).map(|i| i.id).collect();
    let templates = if whatsapp.is_empty() { vec![] } else { switchboard_store::whatsapp::templates_of(conn, &whatsapp).await? };
    // Only administrators see the state of an API inbox's callback endpoint.
    let api: Vec<i64> =
        inboxes.iter().filter(|i| admin && i.channel_type == switchboard_domain::inbox::ChannelType::Api).map(|i| i.id).collect();
    let callbacks = switchboard_store::webhooks::of_inboxes(conn, &api).await?;
    let (url, groups) = (&state.settings.public_url, state.settings.whatsapp.groups_enabled);
    Ok(inboxes.iter().map(|i| views::inbox_with(i, admin, url, &templates, groups, &callbacks)).collect())
}

pub async fn inbox(state: &AppState, conn: &mut AsyncPgConnection, inbox: &Inbox, admin: bool) -> CoreResult<views::Inbox> {
    inboxes(state, conn, std::slice::from_ref(inbox), admin).await?.pop().ok_or(crate::error::CoreError::NotFound)
}
