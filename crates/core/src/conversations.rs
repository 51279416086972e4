//! Conversation changes: the fields, the activity lines they leave, and their events, in one
//! change.

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_domain::conversations::{MessageType, Priority, Status};
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::models::{Conversation, ConversationChanges, Inbox, NewConversation, NewMessage, NewNotification, Team, User};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::tokens::random_token;

/// An activity line for `conversation`, as the reference writes them.
pub fn activity(conversation: &Conversation, content: String) -> NewMessage {
    NewMessage::text(conversation, MessageType::Activity, Some(content), None)
}

/// Applies `changes` and writes `lines` as activity messages in one transaction; returns the
/// conversation and the activity messages, for the events that follow the commit.
pub async fn change(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    changes: ConversationChanges,
    lines: Vec<String>,
) -> CoreResult<(Conversation, Vec<switchboard_store::models::Message>)> {
    let (c, activities, _) = change_notifying(conn, conversation, changes, lines, &[]).await?;
    Ok((c, activities))
}

/// `change`, also writing the notifications it causes in the same transaction.
pub async fn change_notifying(
    conn: &mut AsyncPgConnection,
    conversation: &Conversation,
    changes: ConversationChanges,
    lines: Vec<String>,
    notify: &[NewNotification],
) -> CoreResult<(Conversation, Vec<switchboard_store::models::Message>, Vec<switchboard_store::models::Notification>)> {
    let activities = lines.into_iter().map(|l| activity(conversation, l)).collect();
    Ok(switchboard_store::conversations::change(conn, conversation.id, &changes, activities, notify).await?)
}

/// The conversation with this display id, if the actor may see it.
pub async fn visible(conn: &mut AsyncPgConnection, actor: &Actor, display_id: i64) -> CoreResult<Conversation> {
    actor.conversation(conn, display_id).await
}

/// Changes a conversation the actor may see: `decide` looks at it as it is and says what changes
/// and which activity lines that leaves. The update, the lines and `event` (after the lines'
/// `message.created`) are one change. Returns the conversation as changed and its payload.
pub async fn change_one(
    state: &AppState,
    actor: &Actor,
    display_id: i64,
    event: Event,
    decide: impl FnOnce(&Conversation) -> (ConversationChanges, Vec<String>) + Send,
) -> CoreResult<(Conversation, crate::views::Conversation)> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        change_one_in(state, conn, out, actor, display_id, event, decide).await
    }
    .await;
    tx.finish(state, result).await
}

/// `change_one`, in the caller's change.
#[allow(clippy::too_many_arguments)]
pub async fn change_one_in(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut crate::change::Outbox,
    actor: &Actor,
    display_id: i64,
    event: Event,
    decide: impl FnOnce(&Conversation) -> (ConversationChanges, Vec<String>) + Send,
) -> CoreResult<(Conversation, crate::views::Conversation)> {
    let before = visible(conn, actor, display_id).await?;
    let (changes, lines) = decide(&before);
    let (c, activities) = change(conn, &before, changes, lines).await?;
    let payload = crate::events::announce_change(state, conn, out, &before, &c, event, &activities, Default::default()).await?;
    Ok((c, payload))
}

/// Sets a conversation's status (`requested`, or the toggle of the current one) with its
/// activity line. When a bot hands the conversation over (`agent_bots::is_handoff`), the
/// inbox's agents are notified as of a new conversation (`conversation_creation`, as the
/// reference does on handoff) and a `conversation.bot_handoff` is logged for reporting.
pub async fn set_status(
    state: &AppState,
    actor: &Actor,
    display_id: i64,
    requested: Option<Status>,
    snoozed_until: Option<DateTime<Utc>>,
) -> CoreResult<Conversation> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        set_status_in(state, conn, out, actor, display_id, requested, snoozed_until).await
    }
    .await;
    tx.finish(state, result).await
}

/// `set_status`, in the caller's change.
#[allow(clippy::too_many_arguments)]
pub async fn set_status_in(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut crate::change::Outbox,
    actor: &Actor,
    display_id: i64,
    requested: Option<Status>,
    snoozed_until: Option<DateTime<Utc>>,
) -> CoreResult<Conversation> {
    let c = visible(conn, actor, display_id).await?;
    use switchboard_domain::conversations::activity;
    let current = c.status;
    let next = requested.unwrap_or_else(|| current.toggled());
    let lines = if next != current { vec![activity::status(next, &actor.name)] } else { vec![] };
    let changes = ConversationChanges {
        status: Some(next),
        snoozed_until: Some(if next == Status::Snoozed { snoozed_until } else { None }),
        ..Default::default()
    };
    let handoff = switchboard_domain::agent_bots::is_handoff(actor.agent_bot_id.is_some(), current, next);
    // Read once: the handoff notifies its agents, a resolution may survey its contact.
    let inbox = switchboard_store::inboxes::find(conn, c.account_id, c.inbox_id, switchboard_store::inboxes::Visibility::All)
        .await?
        .ok_or(CoreError::NotFound)?;
    let notify = if handoff { handoff_notices(conn, &inbox, &c).await? } else { vec![] };
    let before = c;
    let (c, activities, notifications) = change_notifying(conn, &before, changes, lines, &notify).await?;
    let payload =
        crate::events::announce_change(state, conn, out, &before, &c, Event::ConversationStatusChanged, &activities, Default::default())
            .await?;
    if handoff {
        let payload = crate::views::events::ConversationEvent { conversation: &payload, changed_attributes: None };
        crate::events::conversation(conn, out, Event::ConversationBotHandoff, &c, &payload, Default::default()).await?;
    }
    if switchboard_domain::csat::surveys_on(inbox.csat_survey_enabled, current, next) {
        crate::csat::send_survey(state, conn, out, &inbox, &c).await?;
    }
    crate::notifications::publish(state, conn, out, &notifications).await?;
    Ok(c)
}

/// `conversation_creation` for each agent of the conversation's inbox.
async fn handoff_notices(conn: &mut AsyncPgConnection, inbox: &Inbox, c: &Conversation) -> CoreResult<Vec<NewNotification>> {
    let agents = switchboard_store::inboxes::members(conn, inbox).await?;
    Ok(agents
        .iter()
        .map(|a| NewNotification {
            account_id: c.account_id,
            user_id: a.user.id,
            notification_type: "conversation_creation".into(),
            conversation_id: c.id,
            secondary_actor_type: None,
            secondary_actor_id: None,
        })
        .collect())
}

/// A `conversation_assignment` notification for the new assignee, unless they assigned
/// themselves (the reference does not notify anyone of their own act).
pub fn assignment_notice(conversation: &Conversation, assignee: Option<i64>, by: i64) -> Vec<NewNotification> {
    match assignee {
        Some(user_id) if user_id != by => vec![NewNotification {
            account_id: conversation.account_id,
            user_id,
            notification_type: "conversation_assignment".into(),
            conversation_id: conversation.id,
            secondary_actor_type: Some("User".into()),
            secondary_actor_id: Some(by),
        }],
        _ => vec![],
    }
}

/// Reopens snoozed conversations when their time comes, every `settings.snooze_check`, for as
/// long as the server runs, and announces each. Errors are logged and retried on the next tick.
pub async fn wake_snoozed_forever(state: std::sync::Arc<crate::state::AppState>) {
    let mut tick = tokio::time::interval(state.settings.snooze_check);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let line = |c: &Conversation| {
            activity(c, switchboard_domain::conversations::activity::status(switchboard_domain::conversations::Status::Open, "System"))
        };
        // The reopening and its events commit together: a conversation is never reopened unheard.
        let Ok(mut tx) = crate::change::Change::begin(&state).await else { continue };
        let result = async {
            let (conn, out) = (&mut *tx.conn, &mut tx.out);
            let woken = switchboard_store::conversations::wake_snoozed(conn, line).await?;
            for (c, line) in &woken {
                crate::events::announce(
                    &state,
                    conn,
                    out,
                    c,
                    Event::ConversationStatusChanged,
                    std::slice::from_ref(line),
                    Default::default(),
                )
                .await?;
            }
            CoreResult::Ok(woken.len())
        }
        .await;
        match tx.finish(&state, result).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "reopened snoozed conversations"),
            Err(e) => tracing::warn!(error = %e, "waking snoozed conversations failed"),
        }
    }
}

/// Whose conversation a new one is: the contact's identity in the inbox, or a contact of the
/// account (given an identity in the inbox if it has none).
#[derive(Debug, Clone)]
pub enum ContactRef {
    SourceId(String),
    ContactId(i64),
}

/// A new conversation, as checked from what a client sent.
#[derive(Debug, Clone)]
pub struct Opening {
    pub inbox_id: i64,
    pub contact: ContactRef,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub status: Status,
    pub priority: Option<Priority>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
    /// A first message from the actor, checked and sent as any message of the conversation's
    /// inbox is (a WhatsApp template through the job queue, say).
    pub first_message: Option<switchboard_domain::messages::Draft>,
}

/// An agent of the account, or a 422 on `assignee_id`.
async fn agent(conn: &mut AsyncPgConnection, actor: &Actor, id: i64) -> CoreResult<User> {
    match switchboard_store::account_users::find(conn, actor.account_id, id).await? {
        Some(agent) => Ok(agent.user),
        None => Err(ValidationError::invalid("assignee_id", "is not an agent of this account").into()),
    }
}

/// A team of the account, or a 422 on `team_id`.
async fn team(conn: &mut AsyncPgConnection, actor: &Actor, id: i64) -> CoreResult<Team> {
    match switchboard_store::teams::find(conn, actor.account_id, id, actor.user_id).await? {
        Some((team, _)) => Ok(team),
        None => Err(ValidationError::invalid("team_id", "is not a team of this account").into()),
    }
}

/// Opens a conversation in an inbox the actor may see, with its first message and the
/// assignee's notification; answers it as the API shows it.
pub async fn open(state: &AppState, actor: &Actor, o: Opening) -> CoreResult<crate::views::Conversation> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let inbox = switchboard_store::inboxes::find(conn, actor.account_id, o.inbox_id, actor.visibility)
            .await?
            .ok_or_else(|| ValidationError::invalid("inbox_id", "is not an inbox of this account"))?;
        let identity = match &o.contact {
            ContactRef::SourceId(source_id) => switchboard_store::contacts::find_identity(conn, inbox.id, source_id)
                .await?
                .ok_or_else(|| ValidationError::invalid("source_id", "is not a contact of this inbox"))?,
            ContactRef::ContactId(contact_id) => {
                let contact = switchboard_store::contacts::find(conn, actor.account_id, *contact_id)
                    .await?
                    .ok_or_else(|| ValidationError::invalid("contact_id", "is not a contact of this account"))?;
                match switchboard_store::contacts::identity_in(conn, contact.id, inbox.id).await? {
                    Some(ci) => ci,
                    None => {
                        let source_id = crate::contacts::source_id_in(&inbox, None, contact.phone_number.as_deref())?;
                        switchboard_store::contacts::add_inbox(conn, contact.id, inbox.id, &source_id, &random_token(16)).await?
                    }
                }
            }
        };
        crate::custom_attributes::check(
            conn,
            actor.account_id,
            switchboard_domain::custom_attributes::Model::Conversation,
            &o.custom_attributes,
        )
        .await?;
        if let Some(id) = o.assignee_id {
            agent(conn, actor, id).await?;
        }
        if let Some(id) = o.team_id {
            team(conn, actor, id).await?;
        }
        let new = NewConversation {
            account_id: actor.account_id,
            inbox_id: inbox.id,
            contact_id: identity.contact_id,
            contact_inbox_id: Some(identity.id),
            assignee_id: o.assignee_id,
            team_id: o.team_id,
            status: o.status,
            priority: o.priority.map(|p| p.as_str().into()),
            group_type: "individual".into(),
            snoozed_until: o.snoozed_until,
            uuid: random_token(16),
            additional_attributes: o.additional_attributes,
            custom_attributes: o.custom_attributes,
        };
        let sender = actor.user_id;
        let assignee = new.assignee_id;
        let notify = move |c: &Conversation| assignment_notice(c, assignee, sender);
        let none: Option<fn(&Conversation) -> NewMessage> = None;
        let (conversation, _, notifications) = switchboard_store::conversations::create(conn, &new, none, notify).await?;
        let mut payload =
            crate::events::announce(state, conn, out, &conversation, Event::ConversationCreated, &[], Default::default()).await?;
        crate::notifications::publish(state, conn, out, &notifications).await?;
        if let Some(draft) = o.first_message {
            // The same checks, job and events as any message; its errors name `message.…`.
            let composed = crate::messages::Composed { draft, echo_id: None, files: &[] };
            crate::messages::create_in(state, conn, out, actor, &conversation, composed).await.map_err(|e| match e {
                CoreError::Invalid(mut v) if !v.field.starts_with("message") => {
                    v.field = format!("message.{}", v.field);
                    CoreError::Invalid(v)
                }
                e => e,
            })?;
            let current = switchboard_store::conversations::by_id(conn, conversation.id).await?;
            payload = crate::present::conversation(state, conn, &current).await?;
        }
        Ok(payload)
    }
    .await;
    tx.finish(state, result).await
}

/// Gives a conversation to another agent and/or team (`None`: left as it is; `Some(None)`:
/// taken away), as `domain::conversations::reassign` plans it. Answers the new assignee (an
/// agent), or the team when only the team was given, or null.
pub async fn reassign(
    state: &AppState,
    actor: &Actor,
    display_id: i64,
    assignee: Option<Option<i64>>,
    team_id: Option<Option<i64>>,
) -> CoreResult<Option<crate::views::Assigned>> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        reassign_in(state, conn, out, actor, display_id, assignee, team_id).await
    }
    .await;
    tx.finish(state, result).await
}

/// `reassign`, in the caller's change.
#[allow(clippy::too_many_arguments)]
pub async fn reassign_in(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut crate::change::Outbox,
    actor: &Actor,
    display_id: i64,
    assignee: Option<Option<i64>>,
    team_id: Option<Option<i64>>,
) -> CoreResult<Option<crate::views::Assigned>> {
    use switchboard_domain::conversations::{Named, Reassignment, ReassignmentEvent};
    let c = visible(conn, actor, display_id).await?;
    let mut changes = ConversationChanges::default();
    let mut answer = None;
    let (mut new_team, mut old_team) = (None, None);
    if let Some(id) = team_id {
        let given = match id {
            Some(id) => Some(team(conn, actor, id).await?),
            None => None,
        };
        if let Some(id) = c.team_id {
            old_team = switchboard_store::teams::find(conn, actor.account_id, id, actor.user_id).await?.map(|(t, _)| t);
        }
        answer = given.as_ref().map(|t| crate::views::Assigned::Team(crate::views::team(t, false)));
        changes.team_id = Some(given.as_ref().map(|t| t.id));
        new_team = Some(given);
    }
    let mut new_assignee = None;
    if let Some(id) = assignee {
        let user = match id {
            Some(id) => Some(agent(conn, actor, id).await?),
            None => None,
        };
        answer = match &user {
            Some(u) => switchboard_store::account_users::find(conn, actor.account_id, u.id)
                .await?
                .map(|a| crate::views::Assigned::Agent(crate::views::agent(&a))),
            None => None,
        };
        changes.assignee_id = Some(user.as_ref().map(|u| u.id));
        new_assignee = Some(user);
    }
    let plan = switchboard_domain::conversations::reassign(Reassignment {
        by: Named { id: actor.user_id, name: &actor.name },
        assignee_before: c.assignee_id,
        team_before: old_team.as_ref().map(|t| Named { id: t.id, name: &t.name }),
        assignee: new_assignee.as_ref().map(|u| u.as_ref().map(|u| Named { id: u.id, name: crate::views::available_name(u) })),
        team: new_team.as_ref().map(|t| t.as_ref().map(|t| Named { id: t.id, name: &t.name })),
    });
    let notify = assignment_notice(&c, plan.notify, actor.user_id);
    let before = c;
    let (c, activities, notifications) = change_notifying(conn, &before, changes, plan.lines, &notify).await?;
    let involved = switchboard_realtime::Audience { users: plan.involved, ..Default::default() };
    for (i, event) in plan.events.iter().enumerate() {
        let event = match event {
            ReassignmentEvent::AssigneeChanged => Event::AssigneeChanged,
            ReassignmentEvent::TeamChanged => Event::TeamChanged,
            ReassignmentEvent::Updated => Event::ConversationUpdated,
        };
        // The activity lines once, with the first event.
        let lines = if i == 0 { &activities[..] } else { &[] };
        crate::events::announce_change(state, conn, out, &before, &c, event, lines, involved.clone()).await?;
    }
    crate::notifications::publish(state, conn, out, &notifications).await?;
    Ok(answer)
}
