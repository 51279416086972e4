//! WhatsApp through a Baileys-style provider: its connection, its webhooks (messages, in
//! groups too, and group changes), sends, and group syncs. Every change to a group's members
//! or settings ends with `contact.group_synced`, which carries the group and its members.

use std::collections::HashMap;

use base64::Engine;
use chrono::Utc;
use serde_json::{json, Value};
use switchboard_channels::aldeamo::SendError;
use switchboard_channels::baileys::{self, Connection, Event, GroupUpdate, ParticipantsUpdate, ProviderError, UpsertMessage};
use switchboard_domain::groups::{self, Jid, JidKind, MemberRole, Person, SettingsChange};
use switchboard_domain::whatsapp::{BaileysConfig, ChannelConfig};
use switchboard_realtime::Event as LiveEvent;
use switchboard_store::groups::{PersonChange, Recorded};
use switchboard_store::jobs::{BackgroundJob, FetchAvatar, SyncGroup};
use switchboard_store::models::{Contact, ContactInbox, Inbox, Job, NewAttachment};
use switchboard_store::whatsapp::{Inbound, Outgoing};
use switchboard_store::AsyncPgConnection;

use crate::change::{Change, Outbox};
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::tokens::random_token;

pub(crate) fn connection<'a>(config: &'a BaileysConfig, phone: &'a str) -> Connection<'a> {
    Connection { provider_url: &config.provider_url, api_key: &config.api_key, phone }
}

/// For the REST caller, any provider failure is "the provider is unavailable" (422).
pub(crate) fn unavailable(e: ProviderError) -> CoreError {
    CoreError::Upstream { refused: true, message: format!("the WhatsApp provider is unavailable: {}", e.message) }
}

pub fn config_of(inbox: &Inbox) -> CoreResult<BaileysConfig> {
    match ChannelConfig::from_stored(inbox.provider, &inbox.provider_config) {
        Some(ChannelConfig::Baileys(c)) => Ok(c),
        _ => Err(CoreError::internal(format!("inbox {} has no valid Baileys config", inbox.id))),
    }
}

/// Opens the number's connection at the provider, with the webhook it must call.
pub async fn connect(state: &AppState, config: &BaileysConfig, phone: &str, name: &str, webhook_token: &str) -> CoreResult<()> {
    let url = format!("{}/webhooks/whatsapp/{webhook_token}", state.settings.public_url.trim_end_matches('/'));
    let groups = state.settings.whatsapp.groups_enabled;
    state.provider.connect(&connection(config, phone), name, &url, &config.webhook_verify_token, groups).await.map_err(unavailable)
}

/// Closes the inbox's connection at the provider before the inbox goes (a connection the
/// provider no longer has is closed already). Inboxes of other providers have none.
pub async fn disconnect(state: &AppState, inbox: &Inbox) -> CoreResult<()> {
    let Some(ChannelConfig::Baileys(config)) = ChannelConfig::from_stored(inbox.provider, &inbox.provider_config) else {
        return Ok(());
    };
    let phone = inbox.phone_number.clone().unwrap_or_default();
    state.provider.disconnect(&connection(&config, &phone)).await.map_err(unavailable)
}

/// A webhook from the provider. The verify token must be the inbox's; an event we do not act on
/// is acknowledged and dropped.
pub async fn receive(state: &AppState, inbox: &Inbox, body: &Value) -> CoreResult<()> {
    let config = config_of(inbox)?;
    let hook = baileys::parse_webhook(body).map_err(|e| CoreError::BadRequest(e.to_string()))?;
    if hook.verify_token.as_deref() != Some(config.webhook_verify_token.as_str()) {
        return Err(CoreError::InvalidToken);
    }
    match hook.event {
        Event::Messages(list) => messages(state, inbox, &list, &hook.media).await,
        Event::Participants(update) => participants(state, inbox, &update).await,
        Event::Groups(list) => {
            for update in &list {
                group_settings(state, inbox, update).await?;
            }
            Ok(())
        }
        Event::Activity(list) => {
            for a in &list {
                group_activity(state, inbox, a).await?;
            }
            Ok(())
        }
        Event::Receipts(list) => {
            let none = json!({});
            let updates: Vec<crate::whatsapp::StatusChange<'_>> = list
                .iter()
                .filter_map(|r| {
                    let status = switchboard_domain::whatsapp::Delivery::parse(r.status)?;
                    Some(crate::whatsapp::StatusChange { source_id: &r.id, status, error: None, details: &none })
                })
                .collect();
            crate::whatsapp::apply_deliveries(state, inbox, &updates).await
        }
        Event::Ignored(_) => Ok(()),
    }
}

/// The group contact of a JID with its identity, created (and a sync queued) when new.
pub(crate) async fn group_of(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    inbox: &Inbox,
    jid: &Jid<'_>,
) -> CoreResult<(Contact, ContactInbox)> {
    let full = format!("{}@g.us", jid.user);
    let (group, identity, created) = switchboard_store::groups::ensure_group(conn, inbox, &full, jid.user, &random_token(24)).await?;
    if created {
        state.jobs.notify_one();
        let rendered = crate::present::contact(conn, &group).await?;
        crate::events::contact(out, LiveEvent::ContactCreated, group.account_id, rendered);
    }
    Ok((group, identity))
}

/// People WhatsApp shows by LID and number at once who were two contacts here (one seen by
/// LID, one by number) become one: the newer is merged into the older, with a line saying why in
/// the person's latest conversation.
async fn unite(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    account_id: i64,
    people: &[PersonChange<'_>],
) -> CoreResult<()> {
    let persons: Vec<&Person> = people.iter().map(|p| &p.person).collect();
    for (base, mergee) in switchboard_store::groups::split_people(conn, account_id, &persons).await? {
        let (merged, _) = crate::contacts::merge_in(state, conn, out, &base, &mergee).await?;
        let line = groups::merged_line(&mergee.name, &merged.name, merged.identifier.as_deref(), merged.phone_number.as_deref());
        if let Some(c) = switchboard_store::conversations::latest_of_contact(conn, merged.id).await? {
            let line = line.render(locale_of(conn, account_id).await?);
            let (c, activities) = crate::conversations::change(conn, &c, Default::default(), vec![line]).await?;
            crate::events::announce(state, conn, out, &c, LiveEvent::ConversationUpdated, &activities, Default::default()).await?;
        }
        tracing::info!(base = base.id, mergee = mergee.id, "merged two contacts WhatsApp shows are one person");
    }
    Ok(())
}

/// The group's name (when given) and attributes (merged into what it has), as the provider or
/// an accepted change says.
pub(crate) async fn describe(conn: &mut AsyncPgConnection, group: &Contact, name: Option<&str>, attributes: &Value) -> CoreResult<Contact> {
    Ok(switchboard_store::groups::describe(conn, group.id, name, attributes).await?)
}

/// Records people of a group and announces the contacts that are new.
pub(crate) async fn record(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    group: &Contact,
    people: &[PersonChange<'_>],
    exhaustive: bool,
) -> CoreResult<(Contact, Vec<Recorded>)> {
    unite(state, conn, out, group.account_id, people).await?;
    let (group, recorded) = switchboard_store::groups::record(conn, group.account_id, group.id, people, exhaustive).await?;
    // A sync may bring hundreds of new people: their identities are read in one query.
    let new: Vec<&Contact> = recorded.iter().filter(|r| r.new).map(|r| &r.contact).collect();
    if !new.is_empty() {
        let ids: Vec<i64> = new.iter().map(|c| c.id).collect();
        let identities = switchboard_store::contacts::inboxes_of(conn, &ids).await?;
        for c in new {
            crate::events::contact(out, LiveEvent::ContactCreated, c.account_id, crate::views::contact(c, &identities));
        }
    }
    Ok((group, recorded))
}

/// `messages.upsert`: messages from people and groups, stored through the batch writer like the
/// BSP's. In a group the conversation is the group's and the sender the participant, who is
/// recorded as an active member, and mentions become links to their contacts. Files are kept
/// (from `extra.media`, or fetched by a job). Reactions land on the message they react to, and
/// group stubs change the group; our own messages store nothing.
async fn messages(state: &AppState, inbox: &Inbox, list: &[UpsertMessage], media: &HashMap<String, String>) -> CoreResult<()> {
    let mut inbound = Vec::new();
    let mut senders: Vec<Contact> = Vec::new();
    // Begun by the first group message (its group and sender are recorded with their events),
    // kept for the rest of the delivery, and committed before the messages are written.
    let mut change: Option<Change> = None;
    for m in list.iter().filter(|m| m.is_message && !m.from_me) {
        let Some(chat) = Jid::parse(&m.remote_jid) else { continue };
        let attachment = match attachment_of(state, inbox, m, media).await {
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
        match chat.kind() {
            JidKind::Group => {
                let participant = m.participant.as_deref().unwrap_or_default();
                let Some(person) = Person::from_jids(participant, m.participant_alt.as_deref(), m.push_name.as_deref()) else { continue };
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
            JidKind::User | JidKind::Lid => {
                let wa_id = if chat.kind() == JidKind::Lid { format!("{}@lid", chat.user) } else { chat.user.to_string() };
                let phone =
                    chat.phone_digits().and_then(|d| switchboard_domain::contacts::phone_number("phone_number", &format!("+{d}")).ok());
                let name = m.push_name.clone().or_else(|| phone.clone()).unwrap_or_else(|| wa_id.clone());
                inbound.push(Inbound { wa_id, phone_number: phone, name, ..base });
            }
            JidKind::Other => {}
        }
    }
    if let Some(ch) = change {
        ch.finish(state, CoreResult::Ok(())).await?;
    }
    if !inbound.is_empty() {
        state.inbound.write(inbox.clone(), inbound, senders).await.map_err(|e| match e {
            switchboard_store::StoreError::Dangling { .. } => CoreError::NotFound,
            e => e.into(),
        })?;
    }
    // After the messages: a reaction may be to one of them.
    let reactions: Vec<&UpsertMessage> = list.iter().filter(|m| m.reaction.is_some()).collect();
    if !reactions.is_empty() {
        react(state, inbox, &reactions).await?;
    }
    for m in list.iter().filter(|m| m.stub.is_some()) {
        stub(state, inbox, m).await?;
    }
    Ok(())
}

/// `groups.activity` (groups soft-disabled): the group and its conversation exist, the
/// conversation's last activity and unseen count follow the summary (`conversation.updated`),
/// and a sync is queued; no message is stored.
async fn group_activity(state: &AppState, inbox: &Inbox, a: &switchboard_channels::baileys::GroupActivity) -> CoreResult<()> {
    let Some(chat) = Jid::parse(&a.jid).filter(|j| j.kind() == JidKind::Group) else { return Ok(()) };
    let at = a.last_message_at.unwrap_or_else(Utc::now);
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let (group, identity) = group_of(state, conn, out, inbox, &chat).await?;
        if identity.group_left_at.is_some() {
            return Ok(());
        }
        // A sync unless one is fresh (a new group has one queued already).
        switchboard_store::jobs::enqueue(conn, &SyncGroup { contact_id: group.id, force: false }).await?;
        let summary = json!({ "unread_count": a.unread_count, "last_message_at": at.timestamp() });
        let (conversation, created) =
            switchboard_store::groups::touch_conversation(conn, inbox, &group, &identity, at, &summary, &random_token(16)).await?;
        let event = if created { LiveEvent::ConversationCreated } else { LiveEvent::ConversationUpdated };
        crate::events::announce(state, conn, out, &conversation, event, &[], Default::default()).await?;
        Ok(())
    }
    .await;
    let done = tx.finish(state, result).await;
    state.jobs.notify_one();
    done
}

/// The group and sender of a message when both are known and nothing about the sender is new
/// (with the message's mentions linked); `None` sends the message the long way, which records.
async fn known_sender(
    state: &AppState,
    inbox: &Inbox,
    chat: &Jid<'_>,
    person: &Person,
    m: &UpsertMessage,
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

/// The attachment of a message with a file: written now when the provider sent the file along
/// (`extra.media`), else left for a `DownloadMedia` job (queued with the message).
async fn attachment_of(
    state: &AppState,
    inbox: &Inbox,
    m: &UpsertMessage,
    media: &HashMap<String, String>,
) -> CoreResult<Option<NewAttachment>> {
    let Some(file) = &m.media else { return Ok(None) };
    let declared = file.mime_type.as_deref().map(|t| t.split(';').next().unwrap_or(t).trim().to_string());
    let file_name = file.file_name.clone().unwrap_or_else(|| format!("{}.{}", m.id, extension_for(declared.as_deref())));
    let mut meta = json!({});
    if file.voice {
        meta["is_recorded_audio"] = json!(true);
    }
    let mut attachment = NewAttachment {
        account_id: inbox.account_id,
        message_id: 0,
        file_type: file.file_type.to_string(),
        content_type: declared.clone().unwrap_or_else(|| "application/octet-stream".into()),
        file_name,
        file_size: 0,
        storage_key: None,
        external_url: None,
        meta,
    };
    let Some(bytes) = media.get(&m.id).and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok()) else {
        return Ok(Some(attachment));
    };
    if bytes.len() > state.settings.max_attachment_bytes {
        // Too large to keep: fetched (and refused, visibly) by the job like any other.
        return Ok(Some(attachment));
    }
    let (key, mut handle) = state.storage.create(inbox.account_id, &attachment.file_name).await?;
    crate::storage::write_chunk(&mut handle, &bytes).await?;
    let head = &bytes[..bytes.len().min(switchboard_domain::attachments::SNIFF_BYTES)];
    attachment.content_type = switchboard_domain::attachments::real_content_type(declared.as_deref().unwrap_or_default(), head);
    attachment.file_size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    attachment.storage_key = Some(key);
    Ok(Some(attachment))
}

/// A file name's extension for a MIME type WhatsApp uses; `bin` for others.
fn extension_for(mime: Option<&str>) -> &'static str {
    match mime.unwrap_or_default() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

/// The text of a message with mentions, its `@handle`s linked to the contacts they name, and
/// those contacts' ids. Only mentioned people we know are linked; `None` without mentions.
async fn mentions_of(conn: &mut AsyncPgConnection, account_id: i64, m: &UpsertMessage) -> CoreResult<Option<(String, Vec<i64>)>> {
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

/// Reactions, on the messages they react to; one per person (ours, made on the phone, too).
async fn react(state: &AppState, inbox: &Inbox, reactions: &[&UpsertMessage]) -> CoreResult<()> {
    let from: Vec<String> = reactions
        .iter()
        .map(|m| if m.from_me { "me".to_string() } else { m.participant.clone().unwrap_or_else(|| m.remote_jid.clone()) })
        .collect();
    let changes: Vec<crate::whatsapp::ReactionChange<'_>> = reactions
        .iter()
        .zip(&from)
        .filter_map(|(m, from)| {
            let r = m.reaction.as_ref()?;
            Some(crate::whatsapp::ReactionChange { target: &r.target, from, name: m.push_name.as_deref(), emoji: r.emoji.as_deref() })
        })
        .collect();
    crate::whatsapp::apply_reactions(state, inbox, &changes).await
}

/// A group's system message: a request to join made or withdrawn, a new picture, the group
/// created (with us in it).
async fn stub(state: &AppState, inbox: &Inbox, m: &UpsertMessage) -> CoreResult<()> {
    let Some(stub) = &m.stub else { return Ok(()) };
    let Some(chat) = Jid::parse(&m.remote_jid).filter(|j| j.kind() == JidKind::Group) else { return Ok(()) };
    let Some(kind) = groups::StubKind::of(&stub.kind, &stub.parameters) else { return Ok(()) };
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let (group, identity) = group_of(state, conn, out, inbox, &chat).await?;
        let (attributes, lines) = match &kind {
            groups::StubKind::Created => {
                // Ours again, if we had left it; and synced now, whatever we knew.
                switchboard_store::groups::set_left(conn, identity.id, false).await?;
                switchboard_store::jobs::enqueue(conn, &SyncGroup { contact_id: group.id, force: true }).await?;
                state.jobs.notify_one();
                (json!({}), vec![groups::Line::Created])
            }
            groups::StubKind::IconChanged => {
                switchboard_store::jobs::enqueue(conn, &FetchAvatar { contact_id: group.id, inbox_id: inbox.id, force: true }).await?;
                state.jobs.notify_one();
                (json!({ "avatar_updated_at": Utc::now().timestamp() }), vec![groups::Line::PictureChanged])
            }
            groups::StubKind::JoinRequest { person, withdrawn } => {
                let pending = groups::pending_join_requests(&group.additional_attributes, person, *withdrawn, Utc::now().timestamp());
                let who = person.phone.clone().or_else(|| person.lid.clone()).unwrap_or_default();
                let line = if *withdrawn { groups::Line::JoinWithdrawn(who) } else { groups::Line::JoinRequested(who) };
                (json!({ "pending_join_requests": pending }), vec![line])
            }
        };
        let group = describe(conn, &group, None, &attributes).await?;
        activity(conn, out, &identity, lines).await?;
        group_synced(conn, out, &group).await
    }
    .await;
    tx.finish(state, result).await
}

/// The language of an account's activity lines.
pub(crate) async fn locale_of(conn: &mut AsyncPgConnection, account_id: i64) -> CoreResult<groups::Locale> {
    Ok(groups::Locale::of(&switchboard_store::accounts::find(conn, account_id).await?.locale))
}

/// Activity lines in the group's current conversation, if it has one, in the account's language.
pub(crate) async fn activity(
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    identity: &ContactInbox,
    lines: Vec<groups::Line>,
) -> CoreResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let Some(conversation) = switchboard_store::groups::current_conversation(conn, identity.id).await? else { return Ok(()) };
    let locale = locale_of(conn, conversation.account_id).await?;
    for line in lines {
        let new = crate::conversations::activity(&conversation, line.render(locale));
        let (message, conversation, _) = switchboard_store::messages::create_in(conn, &conversation, &new, &[], &[], false).await?;
        let rendered = crate::views::message(&message, conversation.display_id, None, vec![]);
        crate::events::publish(conn, out, &conversation, &message, &rendered, LiveEvent::MessageCreated).await?;
    }
    Ok(())
}

/// `group-participants.update`: memberships, an activity line per participant, then the
/// group's members for everyone.
async fn participants(state: &AppState, inbox: &Inbox, update: &ParticipantsUpdate) -> CoreResult<()> {
    let Some(chat) = Jid::parse(&update.group).filter(|j| j.kind() == JidKind::Group) else { return Ok(()) };
    let Some((active, role)) = groups::participant_action(&update.action) else { return Ok(()) };
    let people: Vec<PersonChange<'_>> = update
        .participants
        .iter()
        .filter_map(|p| Person::from_jids(&p.id, p.phone_number.as_deref(), None))
        .map(|person| PersonChange { person, role: role.map(MemberRole::as_str), active })
        .collect();
    let author = update.author.as_deref().and_then(|a| Person::from_jids(a, None, None));
    let mut change = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *change.conn, &mut change.out);
        let (group, identity) = group_of(state, conn, out, inbox, &chat).await?;
        let (group, recorded) = record(state, conn, out, &group, &people, false).await?;
        let same = |a: &Person, b: &Person| (a.lid.is_some() && a.lid == b.lid) || (a.phone.is_some() && a.phone == b.phone);
        // Only what changed leaves a line: the same event delivered again adds nothing.
        let lines = people
            .iter()
            .zip(&recorded)
            .filter(|(_, r)| r.membership_changed)
            .filter_map(|(p, r)| {
                let by_self = author.as_ref().is_some_and(|a| same(a, &p.person));
                groups::participant_activity(&update.action, &r.contact.name, by_self, author.is_some())
            })
            .collect();
        activity(conn, out, &identity, lines).await?;
        // Our own number: removed (or gone) means the group is left for this inbox; added back
        // means it is ours to answer again.
        let own = inbox.phone_number.as_deref().unwrap_or_default();
        if people.iter().any(|p| p.person.phone.as_deref().is_some_and(|phone| groups::is_same_number(phone, own))) {
            match update.action.as_str() {
                "remove" => {
                    let by_us = author.as_ref().and_then(|a| a.phone.as_deref()).is_some_and(|a| groups::is_same_number(a, own));
                    let why = if by_us { groups::Line::InboxLeft } else { groups::Line::InboxRemoved };
                    left(state, conn, out, &identity, &why).await?;
                }
                "add" => {
                    switchboard_store::groups::set_left(conn, identity.id, false).await?;
                }
                _ => {}
            }
        }
        group_synced(conn, out, &group).await
    }
    .await;
    change.finish(state, result).await
}

/// Our number is no longer in the group (it left, or was removed): the group is marked left for
/// the inbox, and its open and pending conversations are resolved with `why` as their line.
/// Nothing happens when that was known.
pub(crate) async fn left(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    identity: &ContactInbox,
    why: &groups::Line,
) -> CoreResult<()> {
    if !switchboard_store::groups::set_left(conn, identity.id, true).await? {
        return Ok(());
    }
    let mut locale = None;
    for c in switchboard_store::groups::waiting_conversations(conn, identity.id).await? {
        let locale = match locale {
            Some(l) => l,
            None => *locale.insert(locale_of(conn, c.account_id).await?),
        };
        let changes = switchboard_store::models::ConversationChanges {
            status: Some(switchboard_domain::conversations::Status::Resolved),
            ..Default::default()
        };
        let (c, activities) = crate::conversations::change(conn, &c, changes, vec![why.render(locale)]).await?;
        crate::events::announce(state, conn, out, &c, LiveEvent::ConversationStatusChanged, &activities, Default::default()).await?;
    }
    Ok(())
}

/// `groups.update`: the group's name and settings, an activity line per change, then the group
/// for everyone.
async fn group_settings(state: &AppState, inbox: &Inbox, update: &GroupUpdate) -> CoreResult<()> {
    let Some(chat) = Jid::parse(&update.id).filter(|j| j.kind() == JidKind::Group) else { return Ok(()) };
    let mut change = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *change.conn, &mut change.out);
        let (group, identity) = group_of(state, conn, out, inbox, &chat).await?;
        // Only what differs from what we know leaves a line: the same event delivered again adds nothing.
        let known = &group.additional_attributes;
        let differs = |key: &str, v: Option<bool>| v.filter(|v| known.get(key).and_then(Value::as_bool) != Some(*v));
        let settings = SettingsChange {
            subject: update.subject.as_deref().filter(|s| *s != group.name),
            description: update.desc.as_ref().map(|d| d.as_deref()).filter(|d| known.get("description").and_then(Value::as_str) != *d),
            invite_reset: update.invite_code.as_deref().is_some_and(|c| known.get("invite_code").and_then(Value::as_str) != Some(c)),
            announce: differs("announce", update.announce),
            restrict: differs("restrict", update.restrict),
            join_approval: differs("join_approval_mode", update.join_approval_mode),
            member_add: differs("member_add_mode", update.member_add_mode),
        };
        let mut attributes = serde_json::Map::new();
        if let Some(d) = &update.desc {
            attributes.insert("description".into(), json!(d));
        }
        if let Some(code) = &update.invite_code {
            attributes.insert("invite_code".into(), json!(code));
        }
        for (key, value) in [
            ("announce", update.announce),
            ("restrict", update.restrict),
            ("join_approval_mode", update.join_approval_mode),
            ("member_add_mode", update.member_add_mode),
        ] {
            if let Some(v) = value {
                attributes.insert(key.into(), json!(v));
            }
        }
        let group = describe(conn, &group, update.subject.as_deref(), &Value::Object(attributes)).await?;
        activity(conn, out, &identity, settings.activity()).await?;
        group_synced(conn, out, &group).await
    }
    .await;
    change.finish(state, result).await
}

/// `contact.group_synced`: the group contact as `contact.updated` shows it, plus its active
/// members, so a dashboard can redraw both at once.
pub async fn group_synced(conn: &mut AsyncPgConnection, out: &mut Outbox, group: &Contact) -> CoreResult<()> {
    let mut payload = crate::present::contact(conn, group).await?;
    let (members, _) = switchboard_store::groups::members(conn, group.id, None, 0, i64::MAX).await?;
    payload["group_members"] = json!(members.iter().map(|(m, c)| crate::views::group_member(m, c)).collect::<Vec<_>>());
    crate::events::contact(out, LiveEvent::ContactGroupSynced, group.account_id, payload);
    Ok(())
}

/// Runs a group sync job: metadata from the provider, then names, settings and members (the
/// provider's list is the whole truth: anyone not in it is no longer a member), then
/// `contact.group_synced`. A sync less than `SYNC_FRESH` old is not repeated unless forced.
pub async fn sync(state: &AppState, job: &Job, payload: SyncGroup) -> CoreResult<()> {
    let SyncGroup { contact_id, force } = payload;
    let mut conn = state.conn().await?;
    let group = switchboard_store::contacts::by_id(&mut conn, contact_id).await.ok();
    let found = match &group {
        Some(g) if g.group_type == "group" && g.identifier.is_some() => {
            // A group our number has left tells us nothing more: it is not synced.
            switchboard_store::groups::group_inbox(&mut conn, g)
                .await?
                .filter(|(identity, _)| identity.group_left_at.is_none())
                .map(|(_, inbox)| (g.clone(), inbox))
        }
        _ => None,
    };
    let Some((group, inbox)) = found else {
        // The group or its inbox is gone: nothing to sync.
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    let synced_at = group.additional_attributes.get("group_last_synced_at").and_then(Value::as_i64);
    let fresh = synced_at.is_some_and(|t| Utc::now().timestamp() - t < groups::SYNC_FRESH.as_secs() as i64);
    if fresh && !force {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    }
    drop(conn);
    let config = config_of(&inbox)?;
    let phone = inbox.phone_number.clone().unwrap_or_default();
    let jid = group.identifier.clone().unwrap_or_default();
    let metadata = match state.provider.group_metadata(&connection(&config, &phone), &jid).await {
        Ok(m) => m,
        Err(e) => {
            let mut conn = state.conn().await?;
            let attempt = job.attempts as u32 + 1;
            if let Some(wait) = SyncGroup::retry(state.settings.whatsapp.retry()).after(attempt) {
                tracing::info!(contact_id, attempt, ?wait, error = %e, "group sync will be retried");
                return Ok(switchboard_store::jobs::retry(&mut conn, job.id, wait, &e.message).await?);
            }
            tracing::warn!(contact_id, error = %e, "group sync failed; giving up until the next one");
            return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
        }
    };
    let (people, attributes) = from_metadata(&metadata);
    let name = Some(metadata.subject.trim()).filter(|s| !s.is_empty());
    let mut change = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *change.conn, &mut change.out);
        let (group, _) = record(state, conn, out, &group, &people, true).await?;
        let group = describe(conn, &group, name, &attributes).await?;
        switchboard_store::jobs::complete(conn, job.id).await?;
        switchboard_store::jobs::enqueue(conn, &FetchAvatar { contact_id: group.id, inbox_id: inbox.id, force: false }).await?;
        group_synced(conn, out, &group).await
    }
    .await;
    change.finish(state, result).await
}

/// A group as the provider's metadata describes it: every participant as an active member (admins
/// as `admin`), and the attributes a sync keeps.
pub(crate) fn from_metadata(metadata: &switchboard_channels::baileys::GroupMetadata) -> (Vec<PersonChange<'static>>, Value) {
    let people = metadata
        .participants
        .iter()
        .filter_map(|p| {
            let person = Person::from_jids(&p.id, p.phone_number.as_deref(), None)?;
            Some(PersonChange { person, role: Some(MemberRole::from_admin(p.admin.as_deref()).as_str()), active: true })
        })
        .collect();
    let attributes = json!({
        "description": metadata.desc,
        "owner": metadata.owner,
        "owner_pn": metadata.owner_pn,
        "announce": metadata.announce,
        "restrict": metadata.restrict,
        "join_approval_mode": metadata.join_approval_mode,
        "member_add_mode": metadata.member_add_mode,
        "group_last_synced_at": Utc::now().timestamp(),
    });
    (people, attributes)
}

/// Queues a sync of the group now (`POST …/contacts/{id}/sync_group`).
pub async fn request_sync(state: &AppState, conn: &mut AsyncPgConnection, group: &Contact) -> CoreResult<()> {
    switchboard_store::jobs::enqueue(conn, &SyncGroup { contact_id: group.id, force: true }).await?;
    state.jobs.notify_one();
    Ok(())
}

/// What the provider's send-message gets for a stored message: text, or one file (base64) with
/// its caption, with the mentions in it and the message it quotes. Groups get their JID; people
/// their number's or LID's.
async fn content_for(state: &AppState, out: &Outgoing) -> Result<(String, Value), String> {
    let group = out.contact.group_type == "group";
    let jid = if group {
        if out.identity.as_ref().is_some_and(|i| i.group_left_at.is_some()) {
            return Err("the inbox's number has left this group".into());
        }
        out.contact.identifier.clone().ok_or("the group has no JID")?
    } else {
        match (&out.identity, &out.contact.phone_number) {
            (Some(ci), _) => groups::send_jid(&ci.source_id),
            (None, Some(phone)) => groups::send_jid(phone),
            (None, None) => return Err("the contact has no WhatsApp number".into()),
        }
    };
    // A reaction (the reference's `is_reaction`, answering the message it reacts to).
    if out.message.content_attributes.get("is_reaction").and_then(Value::as_bool) == Some(true) {
        let quoted = quoted_message(out, &jid, group).ok_or("a reaction must answer a message WhatsApp knows (in_reply_to)")?;
        let emoji = out.message.content.clone().unwrap_or_default();
        return Ok((jid, json!({ "react": { "key": quoted["key"], "text": emoji.trim() } })));
    }
    let (text, mentions, everyone) = outgoing_mentions(state, out).await?;
    let mut content = match &out.attachment {
        None => {
            if text.trim().is_empty() {
                return Err("the message has no text".into());
            }
            json!({ "text": text })
        }
        Some(file) => {
            let bytes = match &file.storage_key {
                Some(key) => tokio::fs::read(state.storage.path_of(key)).await.map_err(|e| format!("the file could not be read: {e}"))?,
                None => return Err("the file is not stored here".into()),
            };
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            let kind = match file.file_type.as_str() {
                "image" if out.message.content_type == "sticker" => "sticker",
                "image" | "video" | "audio" => file.file_type.as_str(),
                _ => "document",
            };
            let mut content = json!({ kind: data, "fileName": file.file_name });
            if !text.is_empty() && kind != "audio" && kind != "sticker" {
                content["caption"] = json!(text);
            }
            if kind == "document" {
                content["mimetype"] = json!(file.content_type);
            }
            if kind == "audio" && file.meta.get("is_recorded_audio").and_then(Value::as_bool) == Some(true) {
                content["ptt"] = json!(true);
            }
            content
        }
    };
    if !mentions.is_empty() {
        content["mentions"] = json!(mentions);
    }
    if everyone {
        content["groupMentions"] = json!([{ "groupSubject": "everyone" }]);
    }
    if let Some(quoted) = quoted_message(out, &jid, group) {
        content["quotedMessage"] = quoted;
    }
    Ok((jid, content))
}

/// The text with each stored mention (`[@Name](mention://contact/…)`) written as WhatsApp
/// shows it (`@<LID or number>`), the mentioned JIDs, and whether everyone is mentioned.
async fn outgoing_mentions(state: &AppState, out: &Outgoing) -> Result<(String, Vec<String>, bool), String> {
    let text = out.message.content.clone().unwrap_or_default();
    let found = groups::contact_mentions(&text);
    if found.is_empty() {
        return Ok((text, vec![], false));
    }
    let ids: Vec<i64> = found.iter().filter(|m| !m.everyone()).map(|m| m.contact_id).collect();
    let contacts = async {
        let mut conn = state.conn().await?;
        Ok::<_, CoreError>(switchboard_store::contacts::by_ids(&mut conn, out.message.account_id, &ids).await?)
    }
    .await
    .map_err(|e| format!("the mentioned contacts could not be read: {e}"))?;
    let mut written = String::with_capacity(text.len());
    let mut jids = Vec::new();
    let mut last = 0;
    for m in &found {
        written.push_str(&text[last..m.range.start]);
        last = m.range.end;
        if m.everyone() {
            written.push_str("@everyone");
            continue;
        }
        let jid = contacts
            .iter()
            .find(|c| c.id == m.contact_id)
            .and_then(|c| groups::contact_jid(c.identifier.as_deref(), c.phone_number.as_deref()));
        match jid {
            Some(jid) => {
                written.push('@');
                written.push_str(jid.split('@').next().unwrap_or_default());
                jids.push(jid);
            }
            // A contact we cannot name to WhatsApp is written by name.
            None => {
                written.push('@');
                written.push_str(&m.name);
            }
        }
    }
    written.push_str(&text[last..]);
    Ok((written, jids, found.iter().any(|m| m.everyone())))
}

/// `quotedMessage` for a reply: the quoted message's key (in a group, a contact's message names
/// its writer as `participant`) and what it said.
fn quoted_message(out: &Outgoing, chat: &str, group: bool) -> Option<Value> {
    let (quoted, sender) = out.quoted.as_ref()?;
    let id = quoted.source_id.as_deref()?;
    let from_me = quoted.message_type != switchboard_domain::conversations::MessageType::Incoming.as_i16();
    let mut key = json!({ "id": id, "remoteJid": chat, "fromMe": from_me });
    if group && !from_me {
        if let Some(jid) = sender.as_ref().and_then(|c| groups::contact_jid(c.identifier.as_deref(), c.phone_number.as_deref())) {
            key["participant"] = json!(jid);
        }
    }
    Some(json!({ "key": key, "message": { "conversation": quoted.content.clone().unwrap_or_default() } }))
}

/// Sends one stored message through the provider; the provider's id for it.
pub async fn send(state: &AppState, out: &Outgoing) -> Result<Option<String>, SendError> {
    let config = config_of(&out.inbox).map_err(|e| SendError::Rejected(e.to_string()))?;
    let (jid, content) = content_for(state, out).await.map_err(SendError::Rejected)?;
    let phone = out.inbox.phone_number.clone().unwrap_or_default();
    let idempotency = format!("{}:{}", out.message.id, out.message.created_at.timestamp_millis());
    state.provider.send(&connection(&config, &phone), &jid, &content, &idempotency).await
}
