//! Inbound messages, whichever provider delivered them: people's and groups' messages become
//! stored messages through the batch writer (`inbound`), with their events staged in the
//! batch's transaction (`announce_received`).

use chrono::Utc;
use serde_json::json;
use switchboard_channels::inbound::{Chat, FileSource, InboundMessage};
use switchboard_domain::groups::{self, Jid, JidKind, Person};
use switchboard_realtime::Event;
use switchboard_store::groups::PersonChange;
use switchboard_store::jobs::FetchAvatar;
use switchboard_store::models::{Contact, Inbox, NewAttachment};
use switchboard_store::whatsapp::{Inbound, Received};
use switchboard_store::{AsyncPgConnection, StoreError};

use crate::change::{Change, Outbox};
use crate::error::{CoreError, CoreResult};
use crate::groups::{group_of, record};
use crate::state::AppState;
use crate::tokens::random_token;

/// Messages from people and groups, stored through the batch writer. In a group the
/// conversation is the group's and the sender the participant, who is recorded as an active
/// member, and mentions become links to their contacts. Files sent along are kept now; the rest
/// are fetched by a job queued with the message.
pub async fn messages(state: &AppState, inbox: &Inbox, list: &[InboundMessage]) -> CoreResult<()> {
    let mut inbound = Vec::with_capacity(list.len());
    let mut senders: Vec<Contact> = Vec::new();
    // Begun by the first group message whose group or sender is new (they are recorded with
    // their events), kept for the rest of the delivery, and committed before the messages are
    // written.
    let mut change: Option<Change> = None;
    for m in list {
        let attachment = match attachment_of(state, inbox, m).await {
            Ok(a) => a,
            Err(e) => return abandon(state, change, e).await,
        };
        let base = Inbound {
            wa_id: String::new(),
            phone_number: None,
            name: String::new(),
            pubsub_token: random_token(24),
            conversation_uuid: random_token(16),
            source_id: m.id.clone(),
            created_at: m.timestamp.unwrap_or_else(Utc::now),
            content: m.content.clone(),
            content_attributes: m.content_attributes.clone(),
            reply_to_source: m.reply_to.clone(),
            attachment,
            sender_contact_id: None,
            group: false,
        };
        let (jid, participant, participant_alt, push_name) = match &m.chat {
            Chat::Person { wa_id, phone, name } => {
                inbound.push(Inbound { wa_id: wa_id.clone(), phone_number: phone.clone(), name: name.clone(), ..base });
                continue;
            }
            Chat::Group { jid, participant, participant_alt, push_name } => (jid, participant, participant_alt, push_name),
        };
        let Some(chat) = Jid::parse(jid).filter(|j| j.kind() == JidKind::Group) else { continue };
        let Some(person) = Person::from_jids(participant, participant_alt.as_deref(), push_name.as_deref()) else { continue };
        // Nearly always a known member writes in a known group: two reads, no change.
        let known = match known_sender(state, inbox, &chat, &person, m).await {
            Ok(k) => k,
            Err(e) => return abandon(state, change, e).await,
        };
        let (group, sender, mentions) = match known {
            Some(known) => known,
            None => {
                let ch = match &mut change {
                    Some(c) => c,
                    None => change.insert(Change::begin(state).await?),
                };
                let participant = PersonChange { person, role: None, active: true };
                let recorded = async {
                    let (conn, out) = (&mut *ch.conn, &mut ch.out);
                    let (group, _) = group_of(state, conn, out, inbox, &chat).await?;
                    let (group, people) = record(state, conn, out, &group, std::slice::from_ref(&participant), false).await?;
                    // A new sender's picture is fetched (a group's comes with its sync).
                    for p in people.iter().filter(|p| p.new) {
                        let job = FetchAvatar { contact_id: p.contact.id, inbox_id: inbox.id, force: false };
                        switchboard_store::jobs::enqueue(conn, &job).await?;
                    }
                    let mentions = mentions_of(conn, inbox.account_id, m).await?;
                    let sender = people.into_iter().next().map(|r| r.contact);
                    CoreResult::Ok((group, sender, mentions))
                }
                .await;
                match recorded {
                    Ok((group, Some(sender), mentions)) => (group, sender, mentions),
                    Ok((_, None, _)) => continue,
                    Err(e) => return abandon(state, change, e).await,
                }
            }
        };
        let (content, content_attributes) = match mentions {
            Some((text, ids)) => {
                let mut attributes = base.content_attributes.clone();
                attributes["mentioned_contacts"] = json!(ids);
                (Some(text), attributes)
            }
            None => (base.content.clone(), base.content_attributes.clone()),
        };
        inbound.push(Inbound {
            wa_id: chat.user.to_string(),
            name: group.name,
            sender_contact_id: Some(sender.id),
            group: true,
            content,
            content_attributes,
            ..base
        });
        senders.push(sender);
    }
    if let Some(ch) = change {
        ch.finish(state, CoreResult::Ok(())).await?;
    }
    if inbound.is_empty() {
        return Ok(());
    }
    state.inbound.write(inbox.clone(), inbound, senders).await.map_err(|e| match e {
        // The inbox was deleted after it was looked up (a cached token): as if unknown.
        StoreError::Dangling { .. } => CoreError::NotFound,
        e => e.into(),
    })?;
    Ok(())
}

/// The group and sender of a message when both are known and nothing about the sender is new
/// (with the message's mentions linked); `None` sends the message the long way, which records.
async fn known_sender(
    state: &AppState,
    inbox: &Inbox,
    chat: &Jid<'_>,
    person: &Person,
    m: &InboundMessage,
) -> CoreResult<Option<(Contact, Contact, Option<(String, Vec<i64>)>)>> {
    let mut conn = state.conn().await?;
    let full = format!("{}@g.us", chat.user);
    let Some((group, _)) = switchboard_store::groups::find_group(&mut conn, inbox, &full, chat.user).await? else { return Ok(None) };
    let Some(sender) = switchboard_store::groups::known_member(&mut conn, inbox.account_id, group.id, person).await? else {
        return Ok(None);
    };
    let mentions = mentions_of(&mut conn, inbox.account_id, m).await?;
    Ok(Some((group, sender, mentions)))
}

/// Ends a delivery that failed half way: the open change (if any) is rolled back with the error.
async fn abandon(state: &AppState, change: Option<Change>, e: CoreError) -> CoreResult<()> {
    match change {
        Some(ch) => ch.finish(state, Err(e)).await,
        None => Err(e),
    }
}

/// The attachment of a message with a file: written now when the file came along (unless it is
/// too large to keep), else linked or left at the provider for a `DownloadMedia` job, which the
/// batch writer queues with the message.
async fn attachment_of(state: &AppState, inbox: &Inbox, m: &InboundMessage) -> CoreResult<Option<NewAttachment>> {
    let Some(file) = &m.file else { return Ok(None) };
    let mut attachment = NewAttachment {
        account_id: inbox.account_id,
        message_id: 0,
        file_type: file.file_type.to_string(),
        content_type: file.content_type.clone(),
        file_name: file.file_name.clone(),
        file_size: 0,
        storage_key: None,
        external_url: None,
        meta: file.meta.clone(),
    };
    let bytes = match &file.source {
        FileSource::Link(link) => {
            attachment.external_url = Some(link.clone());
            return Ok(Some(attachment));
        }
        FileSource::AtProvider => return Ok(Some(attachment)),
        // Too large to keep: fetched (and refused, visibly) by the job like any other.
        FileSource::Inline(bytes) if bytes.len() > state.settings.max_attachment_bytes => return Ok(Some(attachment)),
        FileSource::Inline(bytes) => bytes,
    };
    let (key, mut handle) = state.storage.create(inbox.account_id, &attachment.file_name).await?;
    crate::storage::write_chunk(&mut handle, bytes).await?;
    let head = &bytes[..bytes.len().min(switchboard_domain::attachments::SNIFF_BYTES)];
    attachment.content_type = switchboard_domain::attachments::real_content_type(&file.content_type, head);
    attachment.file_size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    attachment.storage_key = Some(key);
    Ok(Some(attachment))
}

/// The text of a message with mentions, its `@handle`s linked to the contacts they name, and
/// those contacts' ids. Only mentioned people we know are linked; `None` without mentions.
async fn mentions_of(conn: &mut AsyncPgConnection, account_id: i64, m: &InboundMessage) -> CoreResult<Option<(String, Vec<i64>)>> {
    if m.mentioned.is_empty() && !m.mentions_everyone {
        return Ok(None);
    }
    let mut handles = Vec::new();
    let mut ids = Vec::new();
    for jid in &m.mentioned {
        let (Some(parsed), Some(person)) = (Jid::parse(jid), Person::from_jids(jid, None, None)) else { continue };
        let mut found = switchboard_store::groups::find_person(conn, account_id, &person).await?;
        // A number written without (or with) a mobile prefix: the last 8 digits, if they name one.
        if let (None, Some(phone)) = (&found, &person.phone) {
            found = switchboard_store::groups::by_last_digits(conn, account_id, phone).await?;
        }
        if let Some(contact) = found {
            handles.push((parsed.user.to_string(), contact.id, contact.name.clone()));
            // The number is a handle too, when the text writes it instead of the LID.
            if let Some(phone) = &contact.phone_number {
                handles.push((phone.trim_start_matches('+').to_string(), contact.id, contact.name.clone()));
            }
            ids.push(contact.id);
        }
    }
    if m.mentions_everyone {
        ids.push(0);
    }
    let text = groups::link_mentions(m.content.as_deref().unwrap_or_default(), &handles, m.mentions_everyone);
    Ok(Some((text, ids)))
}

/// The events of a batch of stored deliveries, staged in the batch's transaction, in order:
/// per message, its new contact, its new or reopened conversation, then `message.created`.
/// Everything `message.created` needs came back from the write; new contacts and changed
/// conversations are rendered together, with a fixed number of queries for the whole batch.
/// Each delivery comes with `senders`: the participants who wrote its group messages
/// (everyone else's sender is the conversation's contact).
pub async fn announce_received(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    deliveries: &[(&[Received], &[switchboard_store::models::Contact])],
) -> CoreResult<()> {
    let all = || deliveries.iter().flat_map(|(received, _)| received.iter());
    let changed = |r: &Received| r.new_conversation || r.previous_status != r.conversation.status;
    // New contacts, with their identities: one query.
    let new_contacts: Vec<&switchboard_store::models::Contact> = all().filter(|r| r.new_contact).map(|r| &r.contact).collect();
    let identities = if new_contacts.is_empty() {
        vec![]
    } else {
        let ids: Vec<i64> = new_contacts.iter().map(|c| c.id).collect();
        switchboard_store::contacts::inboxes_of(conn, &ids).await?
    };
    // Changed conversations, as each message left them: one rendering per account.
    let mut accounts: Vec<i64> = all().filter(|r| changed(r)).map(|r| r.conversation.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut rendered: Vec<crate::views::Conversation> = Vec::new();
    let mut order: Vec<(i64, i64)> = Vec::new();
    for account_id in accounts {
        let list: Vec<switchboard_store::models::Conversation> =
            all().filter(|r| changed(r) && r.conversation.account_id == account_id).map(|r| r.conversation.clone()).collect();
        order.extend(list.iter().map(|c| (c.id, c.account_id)));
        rendered.extend(crate::present::conversations(state, conn, account_id, &list).await?);
    }
    let mut payloads = order.iter().zip(rendered);
    for (received, senders) in deliveries {
        for r in received.iter() {
            if r.new_contact {
                let payload = crate::views::contact(&r.contact, &identities);
                crate::events::contact(out, Event::ContactCreated, r.conversation.account_id, &payload)?;
            }
            if changed(r) {
                let event = if r.new_conversation { Event::ConversationCreated } else { Event::ConversationStatusChanged };
                if let Some((_, payload)) = payloads.next() {
                    let token = Some(r.identity.pubsub_token.clone());
                    let payload = crate::views::events::ConversationEvent { conversation: &payload, changed_attributes: None };
                    crate::events::conversation_with(out, event, &r.conversation, &payload, Default::default(), token)?;
                }
            }
            let mut files = Vec::with_capacity(r.files.len());
            for a in &r.files {
                files.push(crate::views::attachment(a, state.storage.url(&state.db, a).await?));
            }
            let sender = senders.iter().find(|c| Some(c.id) == r.message.sender_id).unwrap_or(&r.contact);
            let message = crate::views::message(
                &r.message,
                r.conversation.display_id,
                Some(crate::views::Sender::Contact(crate::views::contact_sender(sender))),
                files,
            );
            let token = Some(r.identity.pubsub_token.clone());
            crate::events::publish_with(out, &r.conversation, &r.message, &message, Event::MessageCreated, token)?;
        }
    }
    Ok(())
}
