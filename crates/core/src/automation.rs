//! Automation rules: their CRUD (administrators), the reader of the event log that runs them,
//! and the actions rules and macros share (`apply`).
//!
//! The reader takes an account's cursor, and for each event a rule waits for checks the
//! rule's conditions against the conversation, its contact and the message, then takes the
//! actions, records the run, and moves the cursor, all in the account's one transaction: a
//! crash anywhere makes the next reader read the events again, and nothing of the first read
//! remains. Each rule runs in a savepoint, so one rule's failure (an agent since deleted, a
//! closed WhatsApp window) is recorded as its run's error and does not undo another's.
//! Events a rule's actions cause carry its depth (`Outbox::automation_depth`); rules do not
//! run on events at `automation::MAX_DEPTH`, so rules that answer each other stop.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use switchboard_domain::automation::{parse_actions, stored_actions, Action, Trigger, MAX_DEPTH};
use switchboard_domain::conversations::{MessageType, Priority, Status};
use switchboard_domain::filters::{Condition, Fact, Groups, Kind, RawCondition};
use switchboard_domain::text::optional_text;
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::automation::{NewRun, Owner, RuleFields, READER};
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{AutomationRule, Contact, Conversation, ConversationChanges};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::{Change, Outbox};
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::automation::{AppliedAction, RuleView, RunView};
use crate::views::{Page, PageMeta};

/// What rule conditions may name besides the conversation's attributes (the filter API's) and
/// custom attributes: the message's (for `message_created`) and the contact's.
const MESSAGE_AND_CONTACT: &[(&str, Kind)] = &[
    ("message_type", Kind::Text),
    ("content", Kind::Text),
    ("private", Kind::Boolean),
    ("name", Kind::Text),
    ("email", Kind::Text),
    ("phone_number", Kind::Text),
    ("identifier", Kind::Text),
    ("city", Kind::Text),
    ("country_code", Kind::Text),
    ("company", Kind::Text),
];

/// Everything rule conditions may name besides custom attributes.
pub static KINDS: std::sync::LazyLock<Vec<(&'static str, Kind)>> =
    std::sync::LazyLock::new(|| switchboard_store::filters::CONVERSATION_KINDS.iter().chain(MESSAGE_AND_CONTACT).copied().collect());

/// A rule's fields as given; on update, those left out keep their value.
#[derive(Debug, Default)]
pub struct RuleInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub event_name: Option<String>,
    pub conditions: Option<Value>,
    pub actions: Option<Value>,
    pub active: Option<bool>,
}

/// Conditions parsed against what rules may name and the account's defined custom attributes
/// (of both models); errors name `conditions[i]…`.
async fn conditions(conn: &mut AsyncPgConnection, account_id: i64, raw: &Value) -> CoreResult<Groups> {
    let list: Vec<RawCondition> = serde_json::from_value(raw.clone()).map_err(|_| {
        ValidationError::invalid("conditions", "must be a list of {attribute_key, filter_operator, values, query_operator}")
    })?;
    let custom = crate::custom_attributes::filter_kinds(conn, account_id, None).await?;
    switchboard_domain::filters::parse_with(&list, &KINDS, &custom).map_err(|mut e| {
        e.field = e.field.replacen("payload", "conditions", 1);
        e.into()
    })
}

/// Checks actions for the account: agents, teams and uploads must be its own, URLs public.
/// Returns them in their stored form.
pub(crate) async fn checked_actions(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    account_id: i64,
    raw: &Value,
) -> CoreResult<Vec<Action>> {
    let actions = parse_actions(raw)?;
    for (i, a) in actions.iter().enumerate() {
        let field = format!("actions[{i}].action_params");
        let refused = match a {
            Action::AssignAgent(Some(id)) => {
                switchboard_store::account_users::find(conn, account_id, *id).await?.is_none().then_some("is not an agent of this account")
            }
            Action::AssignTeam(Some(id)) => {
                switchboard_store::teams::find(conn, account_id, *id, 0).await?.is_none().then_some("is not a team of this account")
            }
            Action::SendAttachment(ids) => (switchboard_store::uploads::of_account(conn, account_id, ids).await?.len() != ids.len())
                .then_some("is not a file uploaded to this account"),
            Action::SendWebhookEvent(url) => {
                crate::webhooks::checked_url(state, &field, url).await?;
                None
            }
            _ => None,
        };
        if let Some(message) = refused {
            return Err(ValidationError::invalid(&field, message).into());
        }
    }
    Ok(actions)
}

pub async fn list(state: &AppState, account_id: i64) -> CoreResult<Vec<RuleView>> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::automation::list(&mut conn, account_id).await?.into_iter().map(RuleView::from).collect())
}

pub async fn show(state: &AppState, account_id: i64, id: i64) -> CoreResult<RuleView> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::automation::find(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?.into())
}

/// Creates (`id` None) or updates a rule, its webhook endpoints, and its audit entry.
pub async fn save(state: &AppState, actor: &Actor, id: Option<i64>, input: RuleInput) -> CoreResult<RuleView> {
    let account_id = actor.account_id;
    let mut tx = Change::begin(state).await?;
    let result = async {
        let conn = &mut *tx.conn;
        let current = match id {
            Some(id) => Some(switchboard_store::automation::find(conn, account_id, id).await?.ok_or(CoreError::NotFound)?),
            None => None,
        };
        let name = match input.name {
            Some(n) => optional_text("name", Some(&n), 255)?.ok_or_else(|| ValidationError::blank("name"))?,
            None => current.as_ref().map(|c| c.name.clone()).ok_or_else(|| ValidationError::blank("name"))?,
        };
        let description = match input.description {
            Some(d) => optional_text("description", d.as_deref(), 2000)?.unwrap_or_default(),
            None => current.as_ref().map(|c| c.description.clone()).unwrap_or_default(),
        };
        let event_name = match input.event_name {
            Some(e) => Trigger::parse("event_name", &e)?,
            None => {
                current.as_ref().and_then(|c| Trigger::from_stored(&c.event_name)).ok_or_else(|| ValidationError::blank("event_name"))?
            }
        };
        let raw_conditions = input
            .conditions
            .or_else(|| current.as_ref().map(|c| c.conditions.clone()))
            .ok_or_else(|| ValidationError::blank("conditions"))?;
        conditions(conn, account_id, &raw_conditions).await?;
        let raw_actions =
            input.actions.or_else(|| current.as_ref().map(|c| c.actions.clone())).ok_or_else(|| ValidationError::blank("actions"))?;
        let actions = checked_actions(state, conn, account_id, &raw_actions).await?;
        let stored = Value::Array(actions.iter().map(Action::to_json).collect());
        let fields = RuleFields {
            name: &name,
            description: &description,
            event_name: event_name.as_str(),
            conditions: &raw_conditions,
            actions: &stored,
            active: input.active.or(current.as_ref().map(|c| c.active)).unwrap_or(true),
        };
        let rule = match &current {
            Some(c) => switchboard_store::automation::update(conn, account_id, c.id, &fields).await?.ok_or(CoreError::NotFound)?,
            None => switchboard_store::automation::create(conn, account_id, &fields).await?,
        };
        let urls: Vec<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::SendWebhookEvent(url) => Some(url.clone()),
                _ => None,
            })
            .collect();
        let owner = switchboard_store::automation::Owner::Rule(rule.id);
        switchboard_store::automation::sync_endpoints(conn, account_id, owner, &urls, &crate::webhooks::new_secret()).await?;
        let view = RuleView::from(rule);
        let audit_action = if current.is_some() { "update" } else { "create" };
        crate::audit::record(conn, actor, "AutomationRule", view.id, audit_action, crate::audit::changes(&view)).await?;
        Ok(view)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let conn = &mut *tx.conn;
        let rule = switchboard_store::automation::find(conn, actor.account_id, id).await?.ok_or(CoreError::NotFound)?;
        switchboard_store::automation::delete(conn, actor.account_id, id).await?;
        crate::audit::record(conn, actor, "AutomationRule", id, "destroy", crate::audit::changes(&RuleView::from(rule))).await
    }
    .await;
    tx.finish(state, result).await
}

/// A copy of a rule, named "… (copy)" (the reference's `clone`).
pub async fn clone(state: &AppState, actor: &Actor, id: i64) -> CoreResult<RuleView> {
    let rule = show(state, actor.account_id, id).await?;
    let input = RuleInput {
        name: Some(format!("{} (copy)", rule.name).chars().take(255).collect()),
        description: Some(Some(rule.description)),
        event_name: Some(rule.event_name),
        conditions: Some(rule.conditions),
        actions: Some(rule.actions),
        active: Some(rule.active),
    };
    save(state, actor, None, input).await
}

/// A page (25 a page) of the rule's runs, newest first: `{payload, meta: {count, current_page}}`.
pub async fn runs(state: &AppState, account_id: i64, id: i64, page: i64) -> CoreResult<Page<PageMeta, Vec<RunView>>> {
    const PER_PAGE: i64 = 25;
    let mut conn = state.conn().await?;
    switchboard_store::automation::find(&mut conn, account_id, id).await?.ok_or(CoreError::NotFound)?;
    let page = page.clamp(1, 100_000);
    let (list, total) = switchboard_store::automation::runs(&mut conn, id, page, PER_PAGE).await?;
    let payload: Vec<RunView> = list.into_iter().map(RunView::from).collect();
    Ok(Page { payload, meta: PageMeta { count: total, current_page: page, per_page: Some(PER_PAGE) } })
}

// The reader.

/// Events read per account and transaction.
const BATCH: i64 = 200;
/// Accounts looked at per round.
const ACCOUNTS: i64 = 64;
/// How often the log is looked at. Polled, not woken by the log writer: the writer's wake-up
/// stays the webhook dispatcher's alone (with a second reader woken on every batch, the outbound
/// benchmark's deliveries stalled for ten seconds in 4 runs of 6, against none of 10 without);
/// a rule acts within about a second of its event.
const POLL: Duration = Duration::from_secs(1);

/// Runs the rules every `POLL`, as long as there is more to read. Several processes share the
/// work: an account's cursor is held by one at a time.
pub async fn run_forever(state: Arc<AppState>) {
    loop {
        tokio::time::sleep(POLL).await;
        loop {
            match run_once(&state).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "automation rules failed; the events stay unread for the next round");
                    break;
                }
            }
        }
    }
}

/// One round over the accounts whose log the rules are behind on; true when some have more.
pub async fn run_once(state: &AppState) -> CoreResult<bool> {
    let accounts = {
        let mut conn = state.conn().await?;
        switchboard_store::events::readers_behind(&mut conn, READER, ACCOUNTS).await?
    };
    let mut more = false;
    for account_id in accounts {
        let mut change = Change::begin(state).await?;
        let read = read_account(state, &mut change, account_id).await;
        more |= change.finish(state, read).await? >= BATCH as usize;
    }
    Ok(more)
}

/// A rule as the reader uses it.
struct Loaded {
    rule: AutomationRule,
    trigger: Trigger,
    groups: Groups,
    actions: Vec<Action>,
}

/// The actor rules act as: the whole account, named as the reference names it.
fn system(account_id: i64) -> Actor {
    Actor {
        account_id,
        user_id: 0,
        agent_bot_id: None,
        name: "Automation System".into(),
        visibility: Visibility::All,
        administrator: true,
        email: None,
        remote_address: None,
    }
}

async fn read_account(state: &AppState, change: &mut Change, account_id: i64) -> CoreResult<usize> {
    let (conn, out) = (&mut *change.conn, &mut change.out);
    let Some(seq) = switchboard_store::events::lock_reader(conn, account_id, READER).await? else { return Ok(0) };
    let events = switchboard_store::events::after(conn, account_id, seq, BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else { return Ok(0) };
    let custom = crate::custom_attributes::filter_kinds(conn, account_id, None).await?;
    // A rule whose conditions no longer parse (a custom attribute's type changed) is skipped.
    let rules: Vec<Loaded> = switchboard_store::automation::active(conn, account_id)
        .await?
        .into_iter()
        .filter_map(|rule| {
            let trigger = Trigger::from_stored(&rule.event_name)?;
            let list: Vec<RawCondition> = serde_json::from_value(rule.conditions.clone()).ok()?;
            let groups = switchboard_domain::filters::parse_with(&list, &KINDS, &custom).ok()?;
            let actions = stored_actions(&rule.actions);
            Some(Loaded { rule, trigger, groups, actions })
        })
        .collect();
    // One change may log several update events (assignee and team): the rules hear it once.
    let mut last_update: Option<(i64, Value)> = None;
    for e in &events {
        let depth = e.audience.get("automation_depth").and_then(Value::as_i64).unwrap_or(0) as i16;
        let mut triggers = switchboard_domain::automation::triggers(&e.event, &e.data);
        let Some(display_id) = switchboard_domain::automation::conversation_of(&e.event, &e.data) else { continue };
        if triggers.contains(&Trigger::ConversationUpdated) {
            let changed = e.data.get("changed_attributes").cloned().unwrap_or(Value::Null);
            let key = (display_id, changed);
            if e.event != Event::ConversationStatusChanged.as_str() && last_update.as_ref() == Some(&key) {
                triggers.retain(|t| *t != Trigger::ConversationUpdated);
            }
            last_update = Some(key);
        }
        if depth >= MAX_DEPTH || rules.iter().all(|r| !triggers.contains(&r.trigger)) {
            continue;
        }
        // The conversation and its contact are read once per event, and again only after a
        // rule changed them.
        let mut seen: Option<Subject> = None;
        for trigger in triggers {
            for loaded in rules.iter().filter(|r| r.trigger == trigger) {
                let subject = match seen.take() {
                    Some(s) => s,
                    None => match subject(conn, account_id, display_id).await? {
                        Some(s) => s,
                        None => break,
                    },
                };
                let acted = run_rule(state, conn, out, loaded, e.seq, depth, &subject, &e.data).await?;
                if !acted {
                    seen = Some(subject);
                }
            }
        }
    }
    switchboard_store::events::advance_reader(conn, account_id, READER, last).await?;
    Ok(events.len())
}

/// The conversation an event is about, with its contact, as they are now.
type Subject = (Conversation, Option<Contact>);

async fn subject(conn: &mut AsyncPgConnection, account_id: i64, display_id: i64) -> CoreResult<Option<Subject>> {
    let Some(c) = switchboard_store::conversations::by_display_ids(conn, account_id, &[display_id]).await?.pop() else {
        return Ok(None);
    };
    let contact = switchboard_store::contacts::find(conn, account_id, c.contact_id).await?;
    Ok(Some((c, contact)))
}

/// Checks one rule against the conversation and the event's message, and runs its actions in
/// a savepoint; records the run when its conditions held. True when it ran (the conversation
/// may have changed).
#[allow(clippy::too_many_arguments)]
async fn run_rule(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    loaded: &Loaded,
    seq: i64,
    depth: i16,
    (c, contact): &Subject,
    data: &Value,
) -> CoreResult<bool> {
    let account_id = loaded.rule.account_id;
    let display_id = c.display_id;
    let message = (loaded.trigger == Trigger::MessageCreated).then_some(data);
    if !switchboard_domain::filters::matches(&loaded.groups, Utc::now(), |cond| fact(cond, c, contact.as_ref(), message)) {
        return Ok(false);
    }
    let mark = out.len();
    switchboard_store::pool::begin(conn).await?;
    out.automation_depth = depth + 1;
    let ctx = Acting { owner: Owner::Rule(loaded.rule.id), seq, event: format!("automation_event.{}", loaded.trigger.as_str()) };
    let taken = apply(state, conn, out, &system(account_id), display_id, &loaded.actions, &ctx).await;
    out.automation_depth = 0;
    let (actions, error) = match taken {
        Ok(done) => {
            switchboard_store::pool::commit(conn).await?;
            (crate::views::value(&done)?, None)
        }
        Err(e) => {
            switchboard_store::pool::rollback(conn).await?;
            out.truncate(mark);
            let error = e.reason("the conversation or a record an action names no longer exists");
            (Value::Array(loaded.actions.iter().map(Action::to_json).collect()), Some(error))
        }
    };
    let run = NewRun {
        account_id,
        rule_id: loaded.rule.id,
        seq,
        event_name: loaded.trigger.as_str(),
        conversation_id: Some(display_id),
        depth: depth + 1,
        conditions: &loaded.rule.conditions,
        actions: &actions,
        error: error.as_deref(),
    };
    switchboard_store::automation::record_run(conn, &run).await?;
    Ok(true)
}

/// A condition's value for this conversation, its contact and the event's message. Custom
/// attributes are the conversation's, else the contact's.
fn fact(cond: &Condition, c: &Conversation, contact: Option<&Contact>, message: Option<&Value>) -> Fact {
    let text = |s: Option<&str>| s.map_or(Fact::Missing, |s| Fact::Text(s.to_string()));
    let number = |n: Option<i64>| n.map_or(Fact::Missing, Fact::Number);
    let contact_extra = |k: &str| contact.and_then(|p| p.additional_attributes.get(k)).and_then(Value::as_str);
    match cond.attribute {
        Some("status") => Fact::Text(c.status.as_str().to_string()),
        Some("priority") => text(c.priority.as_deref()),
        Some("assignee_id") => number(c.assignee_id),
        Some("inbox_id") => Fact::Number(c.inbox_id),
        Some("team_id") => number(c.team_id),
        Some("contact_id") => Fact::Number(c.contact_id),
        Some("display_id") => Fact::Number(c.display_id),
        Some("labels") => Fact::Labels(c.labels.clone()),
        Some("created_at") => Fact::Date(c.created_at),
        Some("last_activity_at") => Fact::Date(c.last_activity_at),
        Some("browser_language") => text(c.additional_attributes.get("browser_language").and_then(Value::as_str)),
        Some("referer") => text(c.additional_attributes.get("referer").and_then(Value::as_str)),
        Some("group_type") => Fact::Text(c.group_type.clone()),
        Some("message_type") => {
            text(message.and_then(|m| m.get("message_type")).and_then(Value::as_i64).map(|t| MessageType::from_stored(t as i16).name()))
        }
        Some("content") => text(message.and_then(|m| m.get("content")).and_then(Value::as_str)),
        Some("private") => message.and_then(|m| m.get("private")).and_then(Value::as_bool).map_or(Fact::Missing, Fact::Boolean),
        Some("name") => text(contact.map(|p| p.name.as_str())),
        Some("email") => text(contact.and_then(|p| p.email.as_deref())),
        Some("phone_number") => text(contact.and_then(|p| p.phone_number.as_deref())),
        Some("identifier") => text(contact.and_then(|p| p.identifier.as_deref())),
        Some("city") => text(contact_extra("city")),
        Some("country_code") => text(contact_extra("country_code")),
        Some("company") => text(contact_extra("company_name")),
        _ => {
            let own = c.custom_attributes.get(&cond.key);
            let theirs = contact.and_then(|p| p.custom_attributes.get(&cond.key));
            Fact::from_json(own.or(theirs), cond.kind)
        }
    }
}

/// Who applies actions, and why: a rule (for the event `seq`) or a macro (for its execution
/// `seq`); `event` names their webhook deliveries.
pub struct Acting {
    pub owner: Owner,
    pub seq: i64,
    pub event: String,
}

/// Applies the actions in order to one conversation, in the caller's transaction; returns
/// each action with what it did (`result`: "applied", or "unchanged" when the conversation
/// already was so). An action that changes nothing writes nothing and announces nothing, so
/// applying the same actions twice changes nothing the second time.
pub async fn apply(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    actor: &Actor,
    display_id: i64,
    actions: &[Action],
    acting: &Acting,
) -> CoreResult<Vec<AppliedAction>> {
    use switchboard_domain::conversations::activity;
    let mut done = Vec::with_capacity(actions.len());
    for action in actions {
        let c = crate::conversations::visible(conn, actor, display_id).await?;
        let status = c.status;
        let applied = match action {
            Action::AssignAgent(id) if c.assignee_id != *id => {
                crate::conversations::reassign_in(state, conn, out, actor, display_id, Some(*id), None).await?;
                true
            }
            Action::AssignTeam(id) if c.team_id != *id => {
                crate::conversations::reassign_in(state, conn, out, actor, display_id, None, Some(*id)).await?;
                true
            }
            Action::AddLabels(labels) | Action::RemoveLabels(labels) => {
                let adding = matches!(action, Action::AddLabels(_));
                let next: Vec<String> = if adding {
                    c.labels.iter().chain(labels.iter().filter(|l| !c.labels.contains(l))).cloned().collect()
                } else {
                    c.labels.iter().filter(|l| !labels.contains(l)).cloned().collect()
                };
                if next == c.labels {
                    false
                } else {
                    let added: Vec<String> = next.iter().filter(|l| !c.labels.contains(l)).cloned().collect();
                    let removed: Vec<String> = c.labels.iter().filter(|l| !next.contains(l)).cloned().collect();
                    let lines = activity::labels(&added, &removed, &actor.name);
                    let changes = ConversationChanges { labels: Some(next), ..Default::default() };
                    crate::conversations::change_one_in(state, conn, out, actor, display_id, Event::ConversationUpdated, |_| {
                        (changes, lines)
                    })
                    .await?;
                    true
                }
            }
            Action::ChangePriority(p) if c.priority.as_deref().and_then(Priority::from_stored) != *p => {
                let line = activity::priority(c.priority.as_deref().and_then(Priority::from_stored), *p, &actor.name);
                let changes = ConversationChanges { priority: Some(p.map(|p| p.as_str().to_string())), ..Default::default() };
                crate::conversations::change_one_in(state, conn, out, actor, display_id, Event::ConversationUpdated, |_| {
                    (changes, line.into_iter().collect())
                })
                .await?;
                true
            }
            Action::Resolve if status != Status::Resolved => {
                crate::conversations::set_status_in(state, conn, out, actor, display_id, Some(Status::Resolved), None).await?;
                true
            }
            Action::Open if status != Status::Open => {
                crate::conversations::set_status_in(state, conn, out, actor, display_id, Some(Status::Open), None).await?;
                true
            }
            Action::Snooze if status != Status::Snoozed => {
                crate::conversations::set_status_in(state, conn, out, actor, display_id, Some(Status::Snoozed), None).await?;
                true
            }
            Action::Mute if !c.muted => {
                if status != Status::Resolved {
                    crate::conversations::set_status_in(state, conn, out, actor, display_id, Some(Status::Resolved), None).await?;
                }
                let line = format!("{} has muted the conversation", actor.name);
                let changes = ConversationChanges { muted: Some(true), ..Default::default() };
                crate::conversations::change_one_in(state, conn, out, actor, display_id, Event::ConversationUpdated, |_| {
                    (changes, vec![line])
                })
                .await?;
                true
            }
            Action::SendMessage(text) | Action::AddPrivateNote(text) => {
                let private = matches!(action, Action::AddPrivateNote(_));
                send(state, conn, out, actor, &c, Some(text.clone()), private, &[], acting).await?;
                true
            }
            Action::SendAttachment(ids) => {
                let uploads = switchboard_store::uploads::of_account(conn, actor.account_id, ids).await?;
                let mut files = Vec::with_capacity(uploads.len());
                for u in uploads {
                    files.push(crate::messages::StoredFile {
                        key: state.storage.copy(actor.account_id, &u.storage_key, &u.file_name).await?,
                        file_name: u.file_name,
                        content_type: u.content_type,
                        size: u.size,
                        recorded_audio: false,
                    });
                }
                if files.is_empty() {
                    return Err(ValidationError::invalid("send_attachment", "its files were deleted").into());
                }
                send(state, conn, out, actor, &c, None, false, &files, acting).await?;
                true
            }
            Action::SendWebhookEvent(url) => {
                let endpoint = switchboard_store::automation::endpoint(conn, acting.owner, url).await?.ok_or(CoreError::NotFound)?;
                let conversation = crate::present::conversation(state, conn, &c).await?;
                let body = crate::views::events::WithEvent { body: &conversation, event: &acting.event };
                let row = switchboard_store::webhooks::NewDelivery {
                    account_id: actor.account_id,
                    webhook_id: endpoint.id,
                    seq: acting.seq,
                    event: acting.event.clone(),
                    ordering_key: Some(format!("conversation:{display_id}")),
                    body: serde_json::to_string(&body).map_err(CoreError::caused_by)?,
                    queue: endpoint.enabled,
                };
                switchboard_store::webhooks::insert_deliveries(conn, std::slice::from_ref(&row)).await?;
                true
            }
            _ => false,
        };
        done.push(AppliedAction { action: action.to_json(), result: if applied { "applied" } else { "unchanged" } });
    }
    Ok(done)
}

/// A message from an action: outgoing (or a private note), marked with the rule that sent it,
/// sent like any other (a WhatsApp message checks its window and queues its send job).
#[allow(clippy::too_many_arguments)]
async fn send(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    out: &mut Outbox,
    actor: &Actor,
    c: &Conversation,
    content: Option<String>,
    private: bool,
    files: &[crate::messages::StoredFile],
    acting: &Acting,
) -> CoreResult<()> {
    let attributes = match acting.owner {
        Owner::Rule(id) => json!({ "automation_rule_id": id }),
        Owner::Macro(id) => json!({ "macro_id": id }),
    };
    let draft = switchboard_domain::messages::Draft {
        message_type: MessageType::Outgoing,
        content,
        content_type: "text".into(),
        content_attributes: attributes,
        template: None,
        private,
        in_reply_to: None,
    };
    let composed = crate::messages::Composed { draft, echo_id: None, files };
    crate::messages::create_in(state, conn, out, actor, c, composed).await?;
    Ok(())
}
