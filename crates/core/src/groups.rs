//! WhatsApp groups: the group contacts and their members, what a group's changes do here (its
//! members, settings and system messages, each with activity lines), and group syncs from the
//! provider. Every change to a group's members or settings ends with `contact.group_synced`,
//! which carries the group and its members.

use chrono::Utc;
use serde_json::{json, Value};
use switchboard_channels::baileys::{GroupUpdate, ParticipantsUpdate};
use switchboard_channels::inbound::{GroupActivity, GroupStub};
use switchboard_domain::groups::{self, Jid, JidKind, MemberRole, Person, SettingsChange};
use switchboard_realtime::Event as LiveEvent;
use switchboard_store::groups::{PersonChange, Recorded};
use switchboard_store::jobs::{BackgroundJob, FetchAvatar, SyncGroup};
use switchboard_store::models::{Contact, ContactInbox, Inbox, Job};
use switchboard_store::AsyncPgConnection;

use crate::change::{Change, Outbox};
use crate::channel::line::Line;
use crate::error::CoreResult;
use crate::state::AppState;
use crate::tokens::random_token;

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
        crate::events::contact(out, LiveEvent::ContactCreated, group.account_id, &rendered)?;
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
            crate::events::contact(out, LiveEvent::ContactCreated, c.account_id, &crate::views::contact(c, &identities))?;
        }
    }
    Ok((group, recorded))
}

/// `groups.activity` (groups soft-disabled): the group and its conversation exist, the
/// conversation's last activity and unseen count follow the summary (`conversation.updated`),
/// and a sync is queued; no message is stored.
pub(crate) async fn group_activity(state: &AppState, inbox: &Inbox, a: &GroupActivity) -> CoreResult<()> {
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

/// A group's system message: a request to join made or withdrawn, a new picture, the group
/// created (with us in it).
pub(crate) async fn stub(state: &AppState, inbox: &Inbox, s: &GroupStub) -> CoreResult<()> {
    let stub = &s.stub;
    let Some(chat) = Jid::parse(&s.jid).filter(|j| j.kind() == JidKind::Group) else { return Ok(()) };
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
pub(crate) async fn participants(state: &AppState, inbox: &Inbox, update: &ParticipantsUpdate) -> CoreResult<()> {
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
pub(crate) async fn group_settings(state: &AppState, inbox: &Inbox, update: &GroupUpdate) -> CoreResult<()> {
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
    let payload = crate::present::group(conn, group).await?;
    crate::events::contact(out, LiveEvent::ContactGroupSynced, group.account_id, &payload)
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
    let line = Line::of(&inbox)?;
    let channel = line.open(state);
    let jid = group.identifier.clone().unwrap_or_default();
    let Some(at) = channel.groups() else {
        // The inbox's provider reaches no groups (any more): nothing to sync.
        let mut conn = state.conn().await?;
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    let metadata = match at.metadata(&jid).await {
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
pub(crate) fn from_metadata(metadata: &switchboard_channels::groups::GroupMetadata) -> (Vec<PersonChange<'static>>, Value) {
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
