//! Contacts: creating one (with its identity in an inbox), changing, merging and deleting, each
//! one change with its events.

use switchboard_domain::contacts::{merge_json, merge_labels};
use switchboard_domain::custom_attributes::Model;
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::models::{Contact, ContactChanges, ContactInbox, Inbox};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

async fn find(conn: &mut AsyncPgConnection, actor: &Actor, id: i64) -> CoreResult<Contact> {
    switchboard_store::contacts::find(conn, actor.account_id, id).await?.ok_or(CoreError::NotFound)
}

/// The source id a contact gets in an inbox: the one the client gave, else, on WhatsApp, the
/// contact's number without `+` (how the channel reaches it), else a fresh one.
pub fn source_id_in(inbox: &switchboard_store::models::Inbox, given: Option<&str>, phone: Option<&str>) -> CoreResult<String> {
    use switchboard_domain::inbox::ChannelType;
    match (given.map(str::trim).filter(|s| !s.is_empty()), inbox.channel_type) {
        (Some(s), _) if s.chars().count() > 255 => Err(ValidationError::too_long("source_id", 255).into()),
        (Some(s), _) => Ok(s.to_string()),
        (None, ChannelType::Whatsapp) => phone
            .map(|p| p.trim_start_matches('+').to_string())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ValidationError::blank("phone_number").into()),
        (None, ChannelType::Api) => Ok(crate::tokens::random_token(16)),
    }
}

/// A new contact, with an identity (`source_id`) in `inbox_id` when one is given; answers the
/// contact and that identity as the API shows them.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    changes: &ContactChanges,
    inbox_id: Option<i64>,
    source_id: Option<&str>,
) -> CoreResult<crate::views::CreatedContact> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let inbox = match inbox_id {
            Some(id) => Some(
                switchboard_store::inboxes::find(conn, actor.account_id, id, actor.visibility)
                    .await?
                    .ok_or_else(|| ValidationError::invalid("inbox_id", "is not an inbox of this account"))?,
            ),
            None => None,
        };
        if let Some(custom) = &changes.custom_attributes {
            crate::custom_attributes::check(conn, actor.account_id, Model::Contact, custom).await?;
        }
        let pubsub = crate::tokens::random_token(16);
        let phone = changes.phone_number.clone().flatten();
        let source_id = inbox.as_ref().map(|i| source_id_in(i, source_id, phone.as_deref())).transpose()?;
        let identity = inbox.as_ref().zip(source_id.as_deref()).map(|(i, s)| (i.id, s, pubsub.as_str()));
        let (contact, contact_inbox) = switchboard_store::contacts::create(conn, actor.account_id, changes, identity).await?;
        let contact_inbox = match (contact_inbox, inbox) {
            (Some(ci), Some(inbox)) => Some(crate::views::contact_inbox(&ci, &inbox)),
            _ => None,
        };
        let rendered = crate::present::contact(conn, &contact).await?;
        crate::events::contact(out, Event::ContactCreated, actor.account_id, &rendered)?;
        Ok(crate::views::CreatedContact { contact: rendered, contact_inbox })
    }
    .await;
    tx.finish(state, result).await
}

/// Changes a contact; answers it as the API shows it.
pub async fn update(state: &AppState, actor: &Actor, id: i64, changes: &ContactChanges) -> CoreResult<crate::views::Contact> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let contact = find(conn, actor, id).await?;
        if let Some(custom) = &changes.custom_attributes {
            crate::custom_attributes::check(conn, actor.account_id, Model::Contact, custom).await?;
        }
        let contact = switchboard_store::contacts::update(conn, actor.account_id, contact.id, changes).await?.ok_or(CoreError::NotFound)?;
        let rendered = crate::present::contact(conn, &contact).await?;
        crate::events::contact(out, Event::ContactUpdated, actor.account_id, &rendered)?;
        Ok(rendered)
    }
    .await;
    tx.finish(state, result).await
}

/// Deletes a contact: administrators only (checked once the contact is known to exist, so
/// another account's id is a 404 before it is refused).
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let contact = find(conn, actor, id).await?;
        if !actor.administrator {
            return Err(CoreError::Forbidden);
        }
        switchboard_store::contacts::delete(conn, actor.account_id, contact.id).await?;
        crate::events::contact(out, Event::ContactDeleted, actor.account_id, &crate::views::events::contact_ref(&contact))?;
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// Merges `mergee` into `base`: the base keeps its own values and takes the mergee's where it
/// has none; attributes and labels are united; the mergee's conversations move to the base (each
/// announced) and the mergee is deleted. Answers the merged contact.
pub async fn merge(state: &AppState, actor: &Actor, base_id: i64, mergee_id: i64) -> CoreResult<crate::views::Contact> {
    if base_id == mergee_id {
        return Err(ValidationError::invalid("mergee_contact_id", "must differ from base_contact_id").into());
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let not_found = |field: &str| CoreError::Invalid(ValidationError::invalid(field, "is not a contact of this account"));
        let base = switchboard_store::contacts::find(conn, actor.account_id, base_id).await?.ok_or_else(|| not_found("base_contact_id"))?;
        let mergee =
            switchboard_store::contacts::find(conn, actor.account_id, mergee_id).await?.ok_or_else(|| not_found("mergee_contact_id"))?;
        let (_, rendered) = merge_in(state, conn, out, &base, &mergee).await?;
        Ok(rendered)
    }
    .await;
    tx.finish(state, result).await
}

/// Merges `mergee` into `base` in the caller's change: the base keeps what it has and takes
/// what it lacks, the mergee's conversations, identities and group memberships move, and
/// `contact.merged` (and `conversation.contact_changed` per moved conversation) follow. Returns
/// the base as merged and its payload.
pub async fn merge_in(
    state: &AppState,
    conn: &mut switchboard_store::AsyncPgConnection,
    out: &mut crate::change::Outbox,
    base: &Contact,
    mergee: &Contact,
) -> CoreResult<(Contact, crate::views::Contact)> {
    let fill = |b: &Option<String>, m: &Option<String>| if b.is_none() { Some(m.clone()) } else { None };
    let merged = ContactChanges {
        name: base.name.trim().is_empty().then(|| mergee.name.clone()),
        email: fill(&base.email, &mergee.email),
        phone_number: fill(&base.phone_number, &mergee.phone_number),
        identifier: fill(&base.identifier, &mergee.identifier),
        additional_attributes: Some(merge_json(&base.additional_attributes, &mergee.additional_attributes)),
        custom_attributes: Some(merge_json(&base.custom_attributes, &mergee.custom_attributes)),
        ..Default::default()
    };
    let labels = merge_labels(&base.labels, &mergee.labels);
    let (contact, moved) = switchboard_store::contacts::merge(conn, base, mergee, &merged, &labels).await?;
    for c in &moved {
        crate::events::announce(state, conn, out, c, Event::ConversationContactChanged, &[], Default::default()).await?;
    }
    let rendered = crate::present::contact(conn, &contact).await?;
    let event = crate::views::events::ContactMerged { contact: &rendered, mergee: crate::views::events::contact_ref(mergee) };
    crate::events::contact(out, Event::ContactMerged, base.account_id, &event)?;
    Ok((contact, rendered))
}

/// Replaces a contact's labels with `labels`; answers with the contact.
pub async fn set_labels(state: &AppState, actor: &Actor, contact_id: i64, labels: &[String]) -> CoreResult<Contact> {
    let mut conn = state.conn().await?;
    switchboard_store::contacts::set_labels(&mut conn, actor.account_id, contact_id, labels).await?.ok_or(CoreError::NotFound)
}

/// Makes the contact reachable through another inbox of the account: its identity there, with
/// the source id the client gave (or the one the channel uses).
pub async fn add_inbox(
    state: &AppState,
    actor: &Actor,
    contact: &Contact,
    inbox: &Inbox,
    given_source_id: Option<&str>,
) -> CoreResult<ContactInbox> {
    if contact.account_id != actor.account_id || inbox.account_id != actor.account_id {
        return Err(CoreError::NotFound);
    }
    let source_id = source_id_in(inbox, given_source_id, contact.phone_number.as_deref())?;
    let mut conn = state.conn().await?;
    Ok(switchboard_store::contacts::add_inbox(&mut conn, contact.id, inbox.id, &source_id, &crate::tokens::random_token(16)).await?)
}
