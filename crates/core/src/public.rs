//! The customer's side: the public client API's operations (chat widgets, mobile SDKs, custom
//! storefronts). A caller is known only by an API inbox's public identifier and a contact's
//! `source_id` in it (a `Visitor`); everything it reaches is that contact's, in that inbox. The
//! work is the inbox's own operations (open a conversation, create a message, set a status),
//! with the contact as the actor, so the same events reach agents, sockets, webhooks and bots.

use chrono::Utc;
use serde_json::{json, Value};
use switchboard_domain::contacts::identity::{self, Refused};
use switchboard_domain::conversations::SenderType;
use switchboard_domain::conversations::Status;
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::inboxes::Visibility;
use switchboard_store::messages::Cursor;
use switchboard_store::models::{Contact, ContactChanges, ContactInbox, Conversation, Inbox, Message};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::Change;
use crate::conversations::{ContactRef, Opening};
use crate::error::{CoreError, CoreResult};
use crate::messages::StoredFile;
use crate::state::AppState;
use crate::views;

/// The most conversations the list gives (newest first), each with its latest messages.
pub const CONVERSATIONS: i64 = 25;

/// A contact in an inbox, as the public API knows it.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub inbox: Inbox,
    pub identity: ContactInbox,
    pub contact: Contact,
}

impl Visitor {
    /// The contact as the actor of the inbox's operations (it writes incoming messages).
    fn actor(&self) -> Actor {
        Actor {
            account_id: self.inbox.account_id,
            user_id: 0,
            agent_bot_id: None,
            name: self.contact.name.clone(),
            visibility: Visibility::All,
            administrator: false,
            email: None,
            remote_address: None,
        }
    }
}

/// An API inbox by its public identifier. Any other kind of inbox, or none, is a 404.
pub async fn inbox(state: &AppState, identifier: &str) -> CoreResult<Inbox> {
    let mut conn = state.conn().await?;
    switchboard_store::inboxes::by_identifier(&mut conn, identifier)
        .await?
        .filter(|i| i.channel_type == ChannelType::Api)
        .ok_or(CoreError::NotFound)
}

/// The contact behind `source_id` in the inbox (404 for another inbox's or a made-up one).
pub async fn visitor(state: &AppState, identifier: &str, source_id: &str) -> CoreResult<Visitor> {
    let inbox = inbox(state, identifier).await?;
    let mut conn = state.conn().await?;
    let identity = switchboard_store::contacts::find_identity(&mut conn, inbox.id, source_id).await?.ok_or(CoreError::NotFound)?;
    let contact = switchboard_store::contacts::by_id(&mut conn, identity.contact_id).await?;
    Ok(Visitor { inbox, identity, contact })
}

/// A contact's fields as its client submits them; `identifier` needs `identifier_hash` where
/// the inbox requires it (`identity::check`).
#[derive(Debug, Default)]
pub struct ContactInput {
    pub identifier: Option<String>,
    pub identifier_hash: Option<String>,
    pub fields: ContactChanges,
}

fn refused(r: Refused) -> CoreError {
    match r {
        Refused::Missing => CoreError::IdentityUnverified("identifier_hash is required by this inbox"),
        Refused::Wrong => CoreError::IdentityUnverified("HMAC failed: Invalid Identifier Hash Provided"),
    }
}

/// Creates a contact with its identity in the inbox. A verified identifier that the account
/// already knows gets a new identity of that contact (one customer on two devices is one
/// contact); an unverified one never reaches an existing contact (422 if it is taken).
pub async fn create_contact(state: &AppState, inbox: &Inbox, input: ContactInput) -> CoreResult<views::public::OwnContact> {
    let verified = identity::check(inbox.hmac_mandatory, &inbox.hmac_token, input.identifier.as_deref(), input.identifier_hash.as_deref())
        .map_err(refused)?;
    let identifier = input.identifier.map(|i| i.trim().to_string()).filter(|i| !i.is_empty());
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some(custom) = &input.fields.custom_attributes {
            crate::custom_attributes::check(conn, inbox.account_id, switchboard_domain::custom_attributes::Model::Contact, custom).await?;
        }
        let known = match &identifier {
            Some(id) => switchboard_store::contacts::by_identifier(conn, inbox.account_id, id).await?,
            None => None,
        };
        let source_id = crate::tokens::random_token(16);
        let pubsub = crate::tokens::random_token(16);
        let (contact, identity, event) = match known {
            Some(contact) if verified => {
                let identity = switchboard_store::contacts::add_inbox(conn, contact.id, inbox.id, &source_id, &pubsub).await?;
                (contact, identity, Event::ContactUpdated)
            }
            Some(_) => {
                return Err(ValidationError::new("identifier", "taken", "belongs to another contact: prove it with identifier_hash").into())
            }
            None => {
                let fields = ContactChanges { identifier: identifier.clone().map(Some), ..input.fields };
                let (contact, identity) =
                    switchboard_store::contacts::create(conn, inbox.account_id, &fields, Some((inbox.id, &source_id, &pubsub))).await?;
                (contact, identity.ok_or(CoreError::NotFound)?, Event::ContactCreated)
            }
        };
        let identity = if verified { switchboard_store::contacts::verify_identity(conn, identity.id).await? } else { identity };
        let rendered = crate::present::contact(conn, &contact).await?;
        crate::events::contact(out, event, inbox.account_id, &rendered)?;
        Ok(views::public::own_contact(&contact, &identity))
    }
    .await;
    tx.finish(state, result).await
}

/// Changes the visitor's own contact. A verified identifier of another contact merges the
/// visitor into it (the reference's identify action); an unverified one may not take it.
pub async fn update_contact(state: &AppState, v: &Visitor, input: ContactInput) -> CoreResult<views::public::OwnContact> {
    let verified =
        identity::check(v.inbox.hmac_mandatory, &v.inbox.hmac_token, input.identifier.as_deref(), input.identifier_hash.as_deref())
            .map_err(refused)?;
    let identifier = input.identifier.map(|i| i.trim().to_string()).filter(|i| !i.is_empty());
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some(custom) = &input.fields.custom_attributes {
            crate::custom_attributes::check(conn, v.inbox.account_id, switchboard_domain::custom_attributes::Model::Contact, custom)
                .await?;
        }
        let known = match &identifier {
            Some(id) => switchboard_store::contacts::by_identifier(conn, v.inbox.account_id, id).await?.filter(|c| c.id != v.contact.id),
            None => None,
        };
        let mut contact = v.contact.clone();
        if let Some(other) = known {
            if !verified {
                return Err(ValidationError::new("identifier", "taken", "belongs to another contact: prove it with identifier_hash").into());
            }
            contact = crate::contacts::merge_in(state, conn, out, &other, &v.contact).await?.0;
        }
        let fields = ContactChanges { identifier: identifier.clone().map(Some), ..input.fields };
        let contact =
            switchboard_store::contacts::update(conn, v.inbox.account_id, contact.id, &fields).await?.ok_or(CoreError::NotFound)?;
        let identity =
            switchboard_store::contacts::find_identity(conn, v.inbox.id, &v.identity.source_id).await?.ok_or(CoreError::NotFound)?;
        let identity = if verified { switchboard_store::contacts::verify_identity(conn, identity.id).await? } else { identity };
        let rendered = crate::present::contact(conn, &contact).await?;
        crate::events::contact(out, Event::ContactUpdated, v.inbox.account_id, &rendered)?;
        Ok(views::public::own_contact(&contact, &identity))
    }
    .await;
    tx.finish(state, result).await
}

/// One of the visitor's conversations in its inbox, by display id; anything else is a 404.
async fn own(conn: &mut AsyncPgConnection, v: &Visitor, display_id: i64) -> CoreResult<Conversation> {
    switchboard_store::conversations::find(conn, v.inbox.account_id, display_id, Visibility::All)
        .await?
        .filter(|c| c.inbox_id == v.inbox.id && c.contact_id == v.contact.id)
        .ok_or(CoreError::NotFound)
}

/// Messages as the contact sees them: their senders (the contact, agents by name, bots) and
/// attachments, in a fixed number of queries for any number of conversations.
async fn render(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    v: &Visitor,
    list: &[(&Conversation, &Message)],
) -> CoreResult<Vec<views::public::PublicMessage>> {
    use views::public::PublicSender;
    let of = |kind: SenderType| -> Vec<i64> {
        list.iter().filter(|(_, m)| m.sender_type == Some(kind)).filter_map(|(_, m)| m.sender_id).collect()
    };
    let users = switchboard_store::users::by_ids(conn, &of(SenderType::User)).await?;
    let bots = switchboard_store::agent_bots::by_ids(conn, &of(SenderType::AgentBot)).await?;
    let ids: Vec<i64> = list.iter().map(|(_, m)| m.id).collect();
    let files = crate::present::attachments(state, conn, &ids).await?;
    Ok(list
        .iter()
        .map(|(c, m)| {
            let sender = match m.sender_type {
                Some(SenderType::Contact) => Some(PublicSender::Contact(views::contact_brief(&v.contact))),
                Some(SenderType::User) => {
                    users.iter().find(|u| Some(u.id) == m.sender_id).map(|u| PublicSender::User(views::public::agent_name(u)))
                }
                Some(SenderType::AgentBot) => {
                    bots.iter().find(|b| Some(b.id) == m.sender_id).map(|b| PublicSender::AgentBot(views::agent_bot_brief(b)))
                }
                _ => None,
            };
            let attachments = files.iter().filter(|(id, _)| *id == m.id).map(|(_, a)| a.clone()).collect();
            views::public::public_message(c, m, sender, attachments)
        })
        .collect())
}

/// Conversations with their latest public messages (oldest first in each).
async fn conversations_with_messages(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    v: &Visitor,
    list: &[Conversation],
) -> CoreResult<Vec<views::public::PublicConversation>> {
    let ids: Vec<i64> = list.iter().map(|c| c.id).collect();
    let messages = switchboard_store::messages::latest_public(conn, &ids, switchboard_store::messages::PER_PAGE).await?;
    let pairs: Vec<(&Conversation, &Message)> =
        messages.iter().filter_map(|m| list.iter().find(|c| c.id == m.conversation_id).map(|c| (c, m))).collect();
    let rendered = render(state, conn, v, &pairs).await?;
    Ok(list
        .iter()
        .map(|c| {
            let mine = pairs.iter().zip(&rendered).filter(|((pc, _), _)| pc.id == c.id).map(|(_, r)| r.clone()).collect();
            views::public::public_conversation(c, &v.contact, mine)
        })
        .collect())
}

pub async fn conversations(state: &AppState, v: &Visitor) -> CoreResult<Vec<views::public::PublicConversation>> {
    let mut conn = state.conn().await?;
    let list = switchboard_store::conversations::of_contact_in(&mut conn, v.contact.id, v.inbox.id, CONVERSATIONS).await?;
    conversations_with_messages(state, &mut conn, v, &list).await
}

pub async fn conversation(state: &AppState, v: &Visitor, display_id: i64) -> CoreResult<views::public::PublicConversation> {
    let mut conn = state.conn().await?;
    let c = own(&mut conn, v, display_id).await?;
    conversations_with_messages(state, &mut conn, v, std::slice::from_ref(&c)).await?.pop().ok_or(CoreError::NotFound)
}

/// Opens a conversation for the visitor (pending when a bot answers the inbox), with the
/// events an agent's would have.
pub async fn open(state: &AppState, v: &Visitor, custom_attributes: Value) -> CoreResult<views::public::PublicConversation> {
    let opening = Opening {
        inbox_id: v.inbox.id,
        contact: ContactRef::SourceId(v.identity.source_id.clone()),
        assignee_id: None,
        team_id: None,
        status: Status::Open,
        priority: None,
        snoozed_until: None,
        additional_attributes: json!({}),
        custom_attributes,
        first_message: None,
    };
    let created = crate::conversations::open(state, &v.actor(), opening).await?;
    conversation(state, v, created.id).await
}

/// The contact resolves its conversation.
pub async fn resolve(state: &AppState, v: &Visitor, display_id: i64) -> CoreResult<views::public::PublicConversation> {
    {
        let mut conn = state.conn().await?;
        own(&mut conn, v, display_id).await?;
    }
    crate::conversations::set_status(state, &v.actor(), display_id, Some(Status::Resolved), None).await?;
    conversation(state, v, display_id).await
}

/// The contact types (or records, which agents see as typing) or stops: agents hear it as they
/// hear each other.
pub async fn typing(state: &AppState, v: &Visitor, display_id: i64, on: bool) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    let c = own(&mut conn, v, display_id).await?;
    let typer = views::events::Typer::Contact(views::contact_brief(&v.contact));
    crate::events::typing(state, &mut conn, &c, on, false, typer, &v.identity.pubsub_token).await
}

pub async fn seen(state: &AppState, v: &Visitor, display_id: i64) -> CoreResult<views::public::Seen> {
    let mut conn = state.conn().await?;
    let c = own(&mut conn, v, display_id).await?;
    let c = switchboard_store::conversations::contact_seen(&mut conn, c.id, Utc::now()).await?;
    Ok(views::public::Seen { id: c.display_id, contact_last_seen_at: c.contact_last_seen_at.map(|t| t.timestamp()) })
}

pub async fn messages(
    state: &AppState,
    v: &Visitor,
    display_id: i64,
    before: Option<i64>,
) -> CoreResult<Vec<views::public::PublicMessage>> {
    let mut conn = state.conn().await?;
    let c = own(&mut conn, v, display_id).await?;
    let cursor = before.map(Cursor::Before).unwrap_or(Cursor::Latest);
    let list = switchboard_store::messages::list_public(&mut conn, c.id, cursor).await?;
    let pairs: Vec<(&Conversation, &Message)> = list.iter().map(|m| (&c, m)).collect();
    render(state, &mut conn, v, &pairs).await
}

/// A message from the contact: incoming, as text (never rendered as HTML), with its files.
pub async fn say(
    state: &AppState,
    v: &Visitor,
    display_id: i64,
    content: Option<String>,
    echo_id: Option<String>,
    files: &[StoredFile],
) -> CoreResult<views::public::PublicMessage> {
    {
        let mut conn = state.conn().await?;
        own(&mut conn, v, display_id).await?;
    }
    let draft = switchboard_domain::messages::draft(switchboard_domain::messages::Raw {
        content,
        message_type: Some(json!("incoming")),
        private: false,
        content_type: None,
        content_attributes: None,
        in_reply_to: None,
        template_params: None,
        files: files.len(),
    })?;
    let created = crate::messages::create(state, &v.actor(), display_id, draft, echo_id, files).await?;
    let id = created.id;
    let mut conn = state.conn().await?;
    let c = own(&mut conn, v, display_id).await?;
    let m = switchboard_store::messages::find(&mut conn, c.id, id).await?.ok_or(CoreError::NotFound)?;
    render(state, &mut conn, v, &[(&c, &m)]).await?.pop().ok_or(CoreError::NotFound)
}

/// The contact answers a message that asks (`input_select` buttons, a `form`, an `input_csat`
/// survey): its `submitted_values` are kept in the message, and `message.updated` tells the
/// agents, the contact's sockets, webhooks and the inbox's bot. Answering again replaces them.
pub async fn submit(
    state: &AppState,
    v: &Visitor,
    display_id: i64,
    message_id: i64,
    values: Value,
) -> CoreResult<views::public::PublicMessage> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let c = own(conn, v, display_id).await?;
        let m = switchboard_store::messages::find(conn, c.id, message_id).await?.filter(|m| !m.private).ok_or(CoreError::NotFound)?;
        if m.content_type == "input_csat" {
            crate::csat::answer(conn, &c, &m, &values).await?;
        }
        let attributes = switchboard_domain::messages::submitted(&m.content_type, &m.content_attributes, values)?;
        let m = switchboard_store::messages::set_content_attributes(conn, m.id, &attributes).await?;
        let rendered = crate::present::message(state, conn, &c, &m).await?;
        crate::events::publish(conn, out, &c, &m, &rendered, Event::MessageUpdated).await?;
        render(state, conn, v, &[(&c, &m)]).await?.pop().ok_or(CoreError::NotFound)
    }
    .await;
    tx.finish(state, result).await
}
