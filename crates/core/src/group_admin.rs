//! Administering a WhatsApp group from the inbox, through its provider's `Groups`:
//! members, subject, description and picture, the invite link, join requests, settings,
//! leaving, and creating a group. Every write asks the provider first: only what it accepted
//! changes here, and it changes as an inbound change would, with its activity lines and
//! `contact.group_synced` in one change. A provider failure changes nothing and is passed on.

use base64::Engine;
use serde_json::{json, Value};
use switchboard_channels::channel::{ChannelError, Groups};
use switchboard_channels::groups::JoinRequest;
use switchboard_channels::Channel;
use switchboard_domain::groups::{self, GroupSetting, Jid, JidKind, MemberRole, Person};
use switchboard_domain::whatsapp::Provider;
use switchboard_domain::ValidationError;
use switchboard_store::groups::{MemberChange, PersonChange};
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{Contact, ContactInbox, GroupMember, Inbox};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::{Change, Outbox};
use crate::channel::line::{unavailable, Line};
use crate::error::{CoreError, CoreResult};
use crate::groups::{activity, describe, group_of, group_synced, record};
use crate::state::AppState;
use crate::views::groups::{described, Created, Described, Invite, Outcome};

/// A group contact the actor may administer, with its identity and inbox.
pub struct Group {
    pub contact: Contact,
    pub identity: ContactInbox,
    pub inbox: Inbox,
    line: Line,
}

impl Group {
    /// The group's inbox's provider, ready to call.
    fn channel<'a>(&'a self, state: &'a AppState) -> Box<dyn Channel + 'a> {
        self.line.open(state)
    }
    pub fn jid(&self) -> &str {
        self.contact.identifier.as_deref().unwrap_or_default()
    }
}

/// What the group is looked up for: reading (a contact that is no group is a bad request, as
/// `sync_group` answers) or changing it (422, and a group the number left cannot be changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Write,
}

/// The account's contact `contact_id` (404 otherwise), which must be a group with a JID in a
/// Baileys inbox, in an inbox the actor works in (not authorized otherwise).
pub async fn find(conn: &mut AsyncPgConnection, actor: &Actor, contact_id: i64, purpose: Purpose) -> CoreResult<Group> {
    let contact = switchboard_store::contacts::find(conn, actor.account_id, contact_id).await?.ok_or(CoreError::NotFound)?;
    let not_a_group = || match purpose {
        Purpose::Read => CoreError::BadRequest("Contact is not a valid group".into()),
        Purpose::Write => ValidationError::new("contact", "invalid_group", "is not a valid group").into(),
    };
    if contact.group_type != "group" || contact.identifier.is_none() {
        return Err(not_a_group());
    }
    let (identity, inbox) = switchboard_store::groups::group_inbox(conn, &contact).await?.ok_or_else(not_a_group)?;
    allowed(conn, actor, inbox.id).await?;
    if purpose == Purpose::Write && identity.group_left_at.is_some() {
        return Err(ValidationError::new("contact", "group_left", "is a group this inbox's number has left").into());
    }
    let line = Line::of(&inbox)?;
    Ok(Group { contact, identity, inbox, line })
}

/// A channel's group administration; a provider without groups reaches none.
fn admin(channel: &dyn Channel) -> CoreResult<&dyn Groups> {
    channel.groups().ok_or_else(|| ValidationError::new("inbox_id", "invalid", "is not a WhatsApp inbox that reaches groups").into())
}

/// Access follows the inbox: administrators everywhere, agents in their inboxes.
async fn allowed(conn: &mut AsyncPgConnection, actor: &Actor, inbox_id: i64) -> CoreResult<()> {
    match actor.visibility {
        Visibility::All => Ok(()),
        Visibility::MemberOf(user_id) => {
            let mine = switchboard_store::inboxes::member_inbox_ids(conn, actor.account_id, user_id).await?;
            if mine.contains(&inbox_id) {
                Ok(())
            } else {
                Err(CoreError::Forbidden)
            }
        }
        // Bots do not administer groups (their token reaches three operations only).
        Visibility::AgentBot(_) => Err(CoreError::Forbidden),
    }
}

/// Commits `f`'s records, activity lines and `contact.group_synced` for the group as one change.
async fn recorded<T, F>(state: &AppState, group: &Group, f: F) -> CoreResult<T>
where
    T: Send,
    F: for<'c> AsyncFnOnce(&'c mut AsyncPgConnection, &'c mut Outbox, &'c Contact) -> CoreResult<(T, Vec<groups::Line>)>,
{
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let (value, lines) = f(conn, out, &group.contact).await?;
        activity(conn, out, &group.identity, lines).await?;
        let current = switchboard_store::contacts::by_id(conn, group.contact.id).await?;
        group_synced(conn, out, &current).await?;
        Ok(value)
    }
    .await;
    tx.finish(state, result).await
}

/// `POST …/group_members {participants}`: one provider call per participant; those it added
/// become active members. Answers each participant's outcome. When every call failed, the
/// first failure is the answer.
pub async fn add_members(state: &AppState, actor: &Actor, contact_id: i64, participants: &[String]) -> CoreResult<Vec<Outcome>> {
    let jids = groups::participant_jids("participants", participants)?;
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let channel = group.channel(state);
    let at = admin(&*channel)?;
    let mut outcomes = Vec::with_capacity(jids.len());
    let mut first_failure = None;
    for (raw, jid) in participants.iter().zip(&jids) {
        let outcome = match at.participant(group.jid(), jid, "add").await {
            Ok(status) => {
                let success = status == "200";
                let error = (!success).then(|| format!("the provider answered {status} for this participant"));
                Outcome { participant: raw.clone(), jid: jid.clone(), status: Some(status), success, error }
            }
            Err(e) => {
                let outcome =
                    Outcome { participant: raw.clone(), jid: jid.clone(), status: None, success: false, error: Some(e.message.clone()) };
                first_failure.get_or_insert(e);
                outcome
            }
        };
        outcomes.push(outcome);
    }
    if let Some(e) = first_failure.filter(|_| outcomes.iter().all(|o| o.status.is_none())) {
        return Err(unavailable(e));
    }
    let people: Vec<PersonChange<'_>> = outcomes
        .iter()
        .filter(|o| o.success)
        .filter_map(|o| Person::from_jids(&o.jid, None, None))
        .map(|person| PersonChange { person, role: Some(MemberRole::Member.as_str()), active: true })
        .collect();
    if people.is_empty() {
        return Ok(outcomes);
    }
    recorded(state, &group, async |conn, out, contact| {
        let (_, people_recorded) = record(state, conn, out, contact, &people, false).await?;
        let lines = people_recorded
            .iter()
            .filter(|r| r.membership_changed)
            .filter_map(|r| groups::participant_activity("add", &r.contact.name, false, true))
            .collect();
        Ok(((), lines))
    })
    .await?;
    Ok(outcomes)
}

/// The JID the provider knows a member by: their LID, else their number.
fn member_jid(c: &Contact) -> CoreResult<String> {
    groups::contact_jid(c.identifier.as_deref(), c.phone_number.as_deref())
        .ok_or_else(|| ValidationError::new("member_id", "invalid", "names a member with no WhatsApp number or LID").into())
}

/// A participant call the provider must accept for this one member: a `406` is the group's
/// creator, whom nobody can change.
async fn change_participant(state: &AppState, group: &Group, member: &Contact, action: &str) -> CoreResult<()> {
    let jid = member_jid(member)?;
    let channel = group.channel(state);
    let status = admin(&*channel)?.participant(group.jid(), &jid, action).await.map_err(unavailable)?;
    match status.as_str() {
        "200" => Ok(()),
        "406" => {
            Err(ValidationError::new("member_id", "group_creator_not_modifiable", "is the group's creator, who cannot be changed").into())
        }
        other => Err(CoreError::Upstream { refused: true, message: format!("the provider answered {other} for this participant") }),
    }
}

async fn active_member(state: &AppState, group: &Group, member_id: i64) -> CoreResult<(GroupMember, Contact)> {
    switchboard_store::groups::member(&mut *state.conn().await?, group.contact.id, member_id).await?.ok_or(CoreError::NotFound)
}

/// `PATCH …/group_members/{member_id} {role}`: promotes or demotes a member.
pub async fn set_role(
    state: &AppState,
    actor: &Actor,
    contact_id: i64,
    member_id: i64,
    role: &str,
) -> CoreResult<crate::views::GroupMember> {
    let role = match role.trim() {
        "admin" => MemberRole::Admin,
        "member" => MemberRole::Member,
        _ => return Err(ValidationError::new("role", "invalid_role", "must be admin or member").into()),
    };
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let (member, person) = active_member(state, &group, member_id).await?;
    let action = if role == MemberRole::Admin { "promote" } else { "demote" };
    change_participant(state, &group, &person, action).await?;
    recorded(state, &group, async |conn, _out, contact| {
        let change = MemberChange { contact_id: person.id, role: Some(role.as_str()), active: true };
        let changed = switchboard_store::groups::apply_members(conn, contact.account_id, contact.id, &[change]).await?;
        let lines =
            if changed.is_empty() { vec![] } else { groups::participant_activity(action, &person.name, false, true).into_iter().collect() };
        let member = GroupMember { role: role.as_str().to_string(), ..member };
        Ok((crate::views::group_member(&member, &person), lines))
    })
    .await
}

/// `DELETE …/group_members/{member_id}`: removes a member from the group.
pub async fn remove_member(state: &AppState, actor: &Actor, contact_id: i64, member_id: i64) -> CoreResult<()> {
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let (_, person) = active_member(state, &group, member_id).await?;
    change_participant(state, &group, &person, "remove").await?;
    recorded(state, &group, async |conn, _out, contact| {
        let change = MemberChange { contact_id: person.id, role: None, active: false };
        let changed = switchboard_store::groups::apply_members(conn, contact.account_id, contact.id, &[change]).await?;
        let lines = if changed.is_empty() {
            vec![]
        } else {
            groups::participant_activity("remove", &person.name, false, true).into_iter().collect()
        };
        Ok(((), lines))
    })
    .await
}

/// What `PATCH …/group_metadata` may change.
#[derive(Debug, Default)]
pub struct MetadataChange {
    pub subject: Option<String>,
    pub description: Option<String>,
    /// The new picture's bytes (an image).
    pub avatar: Option<Vec<u8>>,
}

/// `PATCH …/group_metadata`: the subject, description and picture, each through the provider.
/// What it accepted is kept even when a later part fails (the group has changed at WhatsApp);
/// the failure is still the answer. Returns `{id, name, additional_attributes}`.
pub async fn update_metadata(state: &AppState, actor: &Actor, contact_id: i64, change: MetadataChange) -> CoreResult<Described> {
    let subject = change.subject.as_deref().map(|s| groups::subject("subject", s)).transpose()?;
    let description = change.description.as_deref().map(|d| groups::description("description", d)).transpose()?;
    if let Some(bytes) = &change.avatar {
        if !infer::is_image(bytes) {
            return Err(ValidationError::invalid("avatar", "must be an image").into());
        }
    }
    if subject.is_none() && description.is_none() && change.avatar.is_none() {
        return Err(ValidationError::blank("subject").into());
    }
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let channel = group.channel(state);
    let at = admin(&*channel)?;
    let mut accepted = groups::SettingsChange::default();
    let mut attributes = serde_json::Map::new();
    let mut failure: Option<ChannelError> = None;
    if let Some(s) = &subject {
        match at.set_subject(group.jid(), s).await {
            Ok(()) => accepted.subject = Some(s.as_str()).filter(|s| *s != group.contact.name),
            Err(e) => failure = Some(e),
        }
    }
    if let (Some(d), None) = (&description, &failure) {
        match at.set_description(group.jid(), d).await {
            Ok(()) => {
                let known = group.contact.additional_attributes.get("description").and_then(Value::as_str);
                let new = Some(d.as_str()).filter(|d| !d.is_empty());
                if known != new {
                    accepted.description = Some(new);
                }
                attributes.insert("description".into(), json!(new));
            }
            Err(e) => failure = Some(e),
        }
    }
    let mut picture_changed = false;
    if let (Some(bytes), None) = (&change.avatar, &failure) {
        let image = base64::engine::general_purpose::STANDARD.encode(bytes);
        match at.set_picture(group.jid(), &image).await {
            Ok(()) => {
                picture_changed = true;
                attributes.insert("avatar_updated_at".into(), json!(chrono::Utc::now().timestamp()));
            }
            Err(e) => failure = Some(e),
        }
    }
    let name = subject.as_deref().filter(|_| failure.is_none() || accepted.subject.is_some());
    let anything = name.is_some() || !attributes.is_empty();
    let answer = if anything {
        let attributes = Value::Object(attributes);
        recorded(state, &group, async |conn, _out, contact| {
            let group = describe(conn, contact, name, &attributes).await?;
            let mut lines = accepted.activity();
            if picture_changed {
                lines.push(groups::Line::PictureChanged);
            }
            Ok((described(&group), lines))
        })
        .await?
    } else {
        described(&group.contact)
    };
    match failure {
        Some(e) => Err(unavailable(e)),
        None => Ok(answer),
    }
}

/// `GET …/group_invite`: the group's invite link, as the provider has it now.
pub async fn invite(state: &AppState, actor: &Actor, contact_id: i64) -> CoreResult<Invite> {
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let code = admin(&*group.channel(state))?.invite_code(group.jid()).await.map_err(unavailable)?;
    Ok(Invite::of(code))
}

/// `POST …/group_invite/revoke`: a new invite link; the old one stops working.
pub async fn revoke_invite(state: &AppState, actor: &Actor, contact_id: i64) -> CoreResult<Invite> {
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let code = admin(&*group.channel(state))?.revoke_invite(group.jid()).await.map_err(unavailable)?;
    let attributes = json!({ "invite_code": code });
    recorded(state, &group, async |conn, _out, contact| {
        describe(conn, contact, None, &attributes).await?;
        Ok(((), groups::SettingsChange { invite_reset: true, ..Default::default() }.activity()))
    })
    .await?;
    Ok(Invite::of(code))
}

/// `GET …/group_join_requests`: the requests waiting for an admin, from the provider.
pub async fn join_requests(state: &AppState, actor: &Actor, contact_id: i64) -> CoreResult<Vec<JoinRequest>> {
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let channel = group.channel(state);
    admin(&*channel)?.join_requests(group.jid()).await.map_err(unavailable)
}

/// Whether a pending request (as stub messages record them: `{lid, pn}`, or as the provider
/// lists them: `{jid, phone_number}`) is from one of these participants.
fn handled(entry: &Value, jids: &[String]) -> bool {
    let ids = ["lid", "pn", "jid", "phone_number"]
        .iter()
        .filter_map(|k| entry.get(*k).and_then(Value::as_str))
        .filter_map(groups::participant_jid);
    ids.into_iter().any(|id| jids.contains(&id))
}

/// `POST …/group_join_requests/handle {request_action, participants}`: approves or rejects;
/// handled requests leave `pending_join_requests`, and approved people become members.
pub async fn handle_join_requests(
    state: &AppState,
    actor: &Actor,
    contact_id: i64,
    action: &str,
    participants: &[String],
) -> CoreResult<()> {
    let approve = match action.trim() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ValidationError::new("request_action", "inclusion", "must be approve or reject").into()),
    };
    let jids = groups::participant_jids("participants", participants)?;
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    let verb = if approve { "approve" } else { "reject" };
    admin(&*group.channel(state))?.handle_join_requests(group.jid(), &jids, verb).await.map_err(unavailable)?;
    let pending: Vec<Value> = group
        .contact
        .additional_attributes
        .get("pending_join_requests")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter(|e| !handled(e, &jids)).cloned().collect())
        .unwrap_or_default();
    let attributes = json!({ "pending_join_requests": pending });
    let people: Vec<PersonChange<'_>> = if approve {
        jids.iter()
            .filter_map(|j| Person::from_jids(j, None, None))
            .map(|person| PersonChange { person, role: Some(MemberRole::Member.as_str()), active: true })
            .collect()
    } else {
        vec![]
    };
    recorded(state, &group, async |conn, out, contact| {
        let (_, people) = record(state, conn, out, contact, &people, false).await?;
        describe(conn, contact, None, &attributes).await?;
        let lines = if approve {
            people.iter().filter(|r| r.membership_changed).map(|r| groups::Line::JoinApproved(r.contact.name.clone())).collect()
        } else {
            vec![groups::Line::JoinRejected(jids.len())]
        };
        Ok(((), lines))
    })
    .await
}

/// `PATCH …/group_admin {property, enabled}`: one of the group's settings.
pub async fn set_setting(state: &AppState, actor: &Actor, contact_id: i64, setting: GroupSetting) -> CoreResult<()> {
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    admin(&*group.channel(state))?.set_setting(group.jid(), &setting).await.map_err(unavailable)?;
    let (key, value) = setting.attribute();
    let known = group.contact.additional_attributes.get(key).and_then(Value::as_bool);
    let attributes = json!({ key: value });
    recorded(state, &group, async |conn, _out, contact| {
        describe(conn, contact, None, &attributes).await?;
        Ok(((), if known == Some(value) { vec![] } else { setting.as_change().activity() }))
    })
    .await
}

/// `POST …/group_admin/leave`: our number leaves the group.
pub async fn leave(state: &AppState, actor: &Actor, contact_id: i64) -> CoreResult<()> {
    let group = find(&mut *state.conn().await?, actor, contact_id, Purpose::Write).await?;
    admin(&*group.channel(state))?.leave(group.jid()).await.map_err(unavailable)?;
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        crate::groups::left(state, conn, out, &group.identity, &groups::Line::InboxLeft).await?;
        let current = switchboard_store::contacts::by_id(conn, group.contact.id).await?;
        group_synced(conn, out, &current).await
    }
    .await;
    tx.finish(state, result).await
}

/// `POST /groups {inbox_id, subject, participants}`: creates the group at the provider with our
/// number as its creator, then the group contact and its members as the provider reports them.
pub async fn create(state: &AppState, actor: &Actor, inbox_id: i64, subject: &str, participants: &[String]) -> CoreResult<Created> {
    let subject = groups::subject("subject", subject)?;
    let jids = groups::participant_jids("participants", participants)?;
    let inbox = {
        let mut conn = state.conn().await?;
        let inbox = switchboard_store::inboxes::find(&mut conn, actor.account_id, inbox_id, Visibility::All)
            .await?
            .ok_or_else(|| ValidationError::new("inbox_id", "invalid", "names no inbox of this account"))?;
        allowed(&mut conn, actor, inbox.id).await?;
        inbox
    };
    let reaches_groups = || ValidationError::new("inbox_id", "invalid", "is not a WhatsApp inbox that reaches groups");
    if !Provider::of(inbox.provider).capabilities().groups {
        return Err(reaches_groups().into());
    }
    let line = Line::of(&inbox).map_err(|_| reaches_groups())?;
    let channel = line.open(state);
    let metadata = admin(&*channel)?.create(&subject, &jids).await.map_err(unavailable)?;
    let jid = Jid::parse(&metadata.id)
        .filter(|j| j.kind() == JidKind::Group)
        .ok_or_else(|| CoreError::Upstream { refused: true, message: format!("the created group has no group JID ({:?})", metadata.id) })?;
    let (people, attributes) = crate::groups::from_metadata(&metadata);
    let name = Some(metadata.subject.trim()).filter(|s| !s.is_empty()).unwrap_or(&subject).to_string();
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let (group, _) = group_of(state, conn, out, &inbox, &jid).await?;
        let (group, _) = record(state, conn, out, &group, &people, true).await?;
        let group = describe(conn, &group, Some(&name), &attributes).await?;
        group_synced(conn, out, &group).await?;
        Ok(Created { group_jid: format!("{}@g.us", jid.user), subject: name.clone(), contact_id: group.id })
    }
    .await;
    tx.finish(state, result).await
}
