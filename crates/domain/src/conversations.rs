//! Conversations and messages: statuses, priorities, what a new message does to its
//! conversation, and the activity lines the reference writes for each change.

use crate::ValidationError;

/// A conversation's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum Status {
    Open,
    Resolved,
    Pending,
    Snoozed,
}

impl Status {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        Self::from_column(raw.trim()).ok_or_else(|| ValidationError::new(field, "inclusion", "must be open, resolved, pending or snoozed"))
    }

    pub fn from_column(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            "pending" => Some(Self::Pending),
            "snoozed" => Some(Self::Snoozed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Pending => "pending",
            Self::Snoozed => "snoozed",
        }
    }

    /// `toggle_status` without a status flips between open and resolved.
    pub fn toggled(self) -> Self {
        if self == Self::Open {
            Self::Resolved
        } else {
            Self::Open
        }
    }
}

crate::text_columns!(Status);

/// Who wrote a message: a contact, an agent (`user`) or an agent bot. Stored as `contact`,
/// `user` and `agent_bot`; shown by the reference's class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum SenderType {
    Contact,
    User,
    AgentBot,
}

impl SenderType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::User => "user",
            Self::AgentBot => "agent_bot",
        }
    }

    pub fn from_column(raw: &str) -> Option<Self> {
        match raw {
            "contact" => Some(Self::Contact),
            "user" => Some(Self::User),
            "agent_bot" => Some(Self::AgentBot),
            _ => None,
        }
    }

    /// The reference's class name (`sender_type` in its payloads and events).
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Contact => "Contact",
            Self::User => "User",
            Self::AgentBot => "AgentBot",
        }
    }
}

crate::text_columns!(SenderType);

/// The list's status filter: one status, or all of them. Unknown values mean the default (open).
pub fn status_filter(raw: Option<&str>) -> Option<Status> {
    match raw.map(str::trim) {
        Some("all") => None,
        Some(s) => Some(Status::from_column(s).unwrap_or(Status::Open)),
        None => Some(Status::Open),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    /// `None` (or JSON null, or "none") clears the priority.
    pub fn parse(field: &str, raw: Option<&str>) -> Result<Option<Self>, ValidationError> {
        match raw.map(str::trim) {
            None | Some("") | Some("none") | Some("null") => Ok(None),
            Some(v) => Self::from_stored(v)
                .map(Some)
                .ok_or_else(|| ValidationError::new(field, "inclusion", "must be low, medium, high or urgent")),
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        match raw {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            "urgent" => Some(Self::Urgent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
}

/// A message's kind, stored as the reference's integer (`messages.message_type`, 0–3) and shown
/// as that integer in messages; webhooks name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::SmallInt))]
pub enum MessageType {
    Incoming = 0,
    Outgoing = 1,
    Activity = 2,
    Template = 3,
}

impl MessageType {
    /// Clients send the name; the reference also accepts the integer.
    pub fn parse(field: &str, raw: &serde_json::Value) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new(field, "inclusion", "must be incoming or outgoing");
        let ty = match raw {
            serde_json::Value::String(s) => match s.trim() {
                "incoming" => Self::Incoming,
                "outgoing" => Self::Outgoing,
                "template" => Self::Template,
                _ => return Err(invalid()),
            },
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(0) => Self::Incoming,
                Some(1) => Self::Outgoing,
                Some(3) => Self::Template,
                _ => return Err(invalid()),
            },
            _ => return Err(invalid()),
        };
        Ok(ty)
    }

    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// The kind's name, as clients send it and webhooks and automation conditions show it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Incoming => "incoming",
            Self::Outgoing => "outgoing",
            Self::Activity => "activity",
            Self::Template => "template",
        }
    }

    /// The kind a stored integer names; None for one we do not know (a corrupt row fails its
    /// read instead of becoming a kind).
    pub fn from_column(v: i16) -> Option<Self> {
        match v {
            0 => Some(Self::Incoming),
            1 => Some(Self::Outgoing),
            2 => Some(Self::Activity),
            3 => Some(Self::Template),
            _ => None,
        }
    }

    /// The kind an event's `message_type` (JSON from the log) names, outgoing if it names none.
    pub fn from_stored(v: i16) -> Self {
        match v {
            0 => Self::Incoming,
            2 => Self::Activity,
            3 => Self::Template,
            _ => Self::Outgoing,
        }
    }
}

#[cfg(feature = "diesel")]
impl diesel::deserialize::FromSql<diesel::sql_types::SmallInt, diesel::pg::Pg> for MessageType {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let raw = <i16 as diesel::deserialize::FromSql<diesel::sql_types::SmallInt, diesel::pg::Pg>>::from_sql(bytes)?;
        Self::from_column(raw).ok_or_else(|| format!("unknown message_type {raw}").into())
    }
}

#[cfg(feature = "diesel")]
impl diesel::serialize::ToSql<diesel::sql_types::SmallInt, diesel::pg::Pg> for MessageType {
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
        use std::io::Write;
        // Postgres' binary int2: two bytes, big-endian.
        out.write_all(&self.as_i16().to_be_bytes())?;
        Ok(diesel::serialize::IsNull::No)
    }
}

/// Messages show the reference's integer.
impl serde::Serialize for MessageType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i16(self.as_i16())
    }
}

/// Message content types clients may send.
pub fn content_type(field: &str, raw: &str) -> Result<String, ValidationError> {
    const KNOWN: &[&str] = &[
        "text",
        "input_text",
        "input_textarea",
        "input_email",
        "input_select",
        "cards",
        "form",
        "article",
        "incoming_email",
        "input_csat",
        "sticker",
    ];
    let v = raw.trim();
    if KNOWN.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(ValidationError::new(field, "inclusion", format!("must be one of {}", KNOWN.join(", "))))
    }
}

/// User ids mentioned in a note, written as the dashboard does: `[@Ana](mention://user/7/Ana)`.
pub fn mentioned_user_ids(content: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = content
        .split("mention://user/")
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .filter_map(|digits| digits.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What a new message changes on its conversation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MessageEffects {
    /// The contact wrote: the conversation waits for an answer (unless it already did).
    pub start_waiting: bool,
    /// An agent answered the contact: no longer waiting, and maybe the first reply.
    pub replied: bool,
    /// A resolved or snoozed conversation opens again.
    pub reopen: bool,
    /// Activity lines do not count as activity.
    pub bump_activity: bool,
}

pub fn message_effects(ty: MessageType, private: bool, status: Status) -> MessageEffects {
    match ty {
        MessageType::Incoming => MessageEffects {
            start_waiting: true,
            replied: false,
            reopen: matches!(status, Status::Resolved | Status::Snoozed),
            bump_activity: true,
        },
        // Private notes never count as replies.
        MessageType::Outgoing | MessageType::Template => {
            MessageEffects { start_waiting: false, replied: !private, reopen: false, bump_activity: true }
        }
        MessageType::Activity => MessageEffects::default(),
    }
}

/// The reference's activity lines.
pub mod activity {
    use super::{Priority, Status};

    pub fn status(status: Status, by: &str) -> String {
        match status {
            Status::Resolved => format!("Conversation was marked resolved by {by}"),
            Status::Open => format!("Conversation was reopened by {by}"),
            Status::Pending => format!("Conversation was marked as pending by {by}"),
            Status::Snoozed => format!("Conversation was snoozed by {by}"),
        }
    }

    pub fn reopened_by_contact() -> String {
        "System reopened the conversation due to a new incoming message.".into()
    }

    pub fn priority(old: Option<Priority>, new: Option<Priority>, by: &str) -> Option<String> {
        match (old, new) {
            (a, b) if a == b => None,
            (None, Some(n)) => Some(format!("{by} set the priority to {}", n.as_str())),
            (Some(o), Some(n)) => Some(format!("{by} changed the priority from {} to {}", o.as_str(), n.as_str())),
            (Some(_), None) => Some(format!("{by} removed the priority")),
            (None, None) => None,
        }
    }

    pub fn assignee(new_assignee: Option<&str>, self_assigned: bool, by: &str) -> String {
        match new_assignee {
            Some(_) if self_assigned => format!("{by} self-assigned this conversation"),
            Some(name) => format!("Assigned to {name} by {by}"),
            None => format!("Conversation unassigned by {by}"),
        }
    }

    pub fn team(new_team: Option<&str>, old_team: Option<&str>, by: &str) -> Option<String> {
        match (new_team, old_team) {
            (Some(t), _) => Some(format!("Assigned to {t} by {by}")),
            (None, Some(old)) => Some(format!("Unassigned from {old} by {by}")),
            (None, None) => None,
        }
    }

    pub fn labels(added: &[String], removed: &[String], by: &str) -> Vec<String> {
        let mut lines = Vec::new();
        if !added.is_empty() {
            lines.push(format!("{by} added {}", added.join(", ")));
        }
        if !removed.is_empty() {
            lines.push(format!("{by} removed {}", removed.join(", ")));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_types_read_back_only_the_kinds_they_wrote() {
        for kind in [MessageType::Incoming, MessageType::Outgoing, MessageType::Activity, MessageType::Template] {
            assert_eq!(MessageType::from_column(kind.as_i16()), Some(kind));
            assert_eq!(serde_json::to_value(kind).ok(), Some(json!(kind.as_i16())), "messages show the integer");
            if kind != MessageType::Activity {
                assert_eq!(MessageType::parse("message_type", &json!(kind.name())), Ok(kind), "clients send the name");
            }
        }
        assert_eq!(MessageType::from_column(4), None, "a corrupt row is not read as a kind");
        assert_eq!(MessageType::from_column(-1), None);
    }

    #[test]
    fn statuses_toggle_between_open_and_resolved() {
        assert_eq!(Status::Open.toggled(), Status::Resolved);
        assert_eq!(Status::Resolved.toggled(), Status::Open);
        assert_eq!(Status::Pending.toggled(), Status::Open);
        assert!(Status::parse("status", "closed").is_err());
    }

    #[test]
    fn list_status_filter_is_lenient() {
        assert_eq!(status_filter(None), Some(Status::Open));
        assert_eq!(status_filter(Some("all")), None);
        assert_eq!(status_filter(Some("pending")), Some(Status::Pending));
        assert_eq!(status_filter(Some("weird")), Some(Status::Open));
    }

    #[test]
    fn priorities() {
        assert_eq!(Priority::parse("p", Some("urgent")).ok(), Some(Some(Priority::Urgent)));
        assert_eq!(Priority::parse("p", None).ok(), Some(None));
        assert!(Priority::parse("p", Some("asap")).is_err());
    }

    #[test]
    fn message_types_by_name_or_number() {
        assert_eq!(MessageType::parse("m", &json!("incoming")).ok(), Some(MessageType::Incoming));
        assert_eq!(MessageType::parse("m", &json!(1)).ok(), Some(MessageType::Outgoing));
        assert!(MessageType::parse("m", &json!(2)).is_err(), "clients cannot write activity");
        assert!(MessageType::parse("m", &json!("shout")).is_err());
    }

    #[test]
    fn what_messages_do_to_conversations() {
        let incoming = message_effects(MessageType::Incoming, false, Status::Resolved);
        assert!(incoming.start_waiting && incoming.reopen && incoming.bump_activity && !incoming.replied);
        assert!(!message_effects(MessageType::Incoming, false, Status::Pending).reopen);
        assert!(message_effects(MessageType::Outgoing, false, Status::Open).replied);
        assert!(!message_effects(MessageType::Outgoing, true, Status::Open).replied, "private notes are not replies");
        assert_eq!(message_effects(MessageType::Activity, false, Status::Open), MessageEffects::default());
    }

    #[test]
    fn mentions_are_found() {
        let note = "ping [@Ana](mention://user/7/Ana) and [@Bo](mention://user/12/Bo), again mention://user/7/Ana, not mention://user/x";
        assert_eq!(mentioned_user_ids(note), vec![7, 12]);
        assert!(mentioned_user_ids("no mentions").is_empty());
    }

    #[test]
    fn activity_lines() {
        assert_eq!(activity::status(Status::Resolved, "Ana"), "Conversation was marked resolved by Ana");
        assert_eq!(activity::priority(None, Some(Priority::High), "Ana").as_deref(), Some("Ana set the priority to high"));
        assert_eq!(activity::priority(Some(Priority::High), Some(Priority::High), "Ana"), None);
        assert_eq!(activity::assignee(Some("Bo"), false, "Ana"), "Assigned to Bo by Ana");
        assert_eq!(activity::assignee(Some("Ana"), true, "Ana"), "Ana self-assigned this conversation");
        assert_eq!(activity::labels(&["vip".into()], &[], "Ana"), vec!["Ana added vip".to_string()]);
    }
}

/// A person or team a conversation is given to: its id and the name its activity line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<'a> {
    pub id: i64,
    pub name: &'a str,
}

/// A request to change a conversation's assignee and/or team. `None`: left as it is;
/// `Some(None)`: taken away.
#[derive(Debug, Clone, Copy)]
pub struct Reassignment<'a> {
    /// Who asks: their id and the name activity lines show.
    pub by: Named<'a>,
    pub assignee_before: Option<i64>,
    pub team_before: Option<Named<'a>>,
    pub assignee: Option<Option<Named<'a>>>,
    pub team: Option<Option<Named<'a>>>,
}

/// What a conversation event announces about a reassignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReassignmentEvent {
    AssigneeChanged,
    TeamChanged,
    Updated,
}

/// What a reassignment does, decided before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassignmentPlan {
    /// Activity lines, team first, as the reference writes them.
    pub lines: Vec<String>,
    /// The new assignee, notified unless they assigned themselves (nobody is told of their own act).
    pub notify: Option<i64>,
    /// The events, in order: the first carries the activity lines.
    pub events: Vec<ReassignmentEvent>,
    /// The previous and the new assignee hear of it even outside the inbox.
    pub involved: Vec<i64>,
}

/// The reference's rules for an assignment: a line for each real change, a notification for a
/// new assignee other than the actor, `assignee.changed` (and `team.changed` too when both
/// changed), `team.changed` for the team alone, and `conversation.updated` when nothing changed.
pub fn reassign(r: Reassignment<'_>) -> ReassignmentPlan {
    let mut lines = Vec::new();
    let team_changed = r.team.is_some_and(|t| t.map(|t| t.id) != r.team_before.map(|t| t.id));
    if team_changed {
        let new = r.team.flatten().map(|t| t.name);
        lines.extend(activity::team(new, r.team_before.map(|t| t.name), r.by.name));
    }
    let assignee_changed = r.assignee.is_some_and(|a| a.map(|a| a.id) != r.assignee_before);
    let mut notify = None;
    if assignee_changed {
        let new = r.assignee.flatten();
        let self_assigned = new.is_some_and(|a| a.id == r.by.id);
        lines.push(activity::assignee(new.map(|a| a.name), self_assigned, r.by.name));
        notify = new.map(|a| a.id).filter(|id| *id != r.by.id);
    }
    let events = match (assignee_changed, team_changed) {
        (true, true) => vec![ReassignmentEvent::AssigneeChanged, ReassignmentEvent::TeamChanged],
        (true, false) => vec![ReassignmentEvent::AssigneeChanged],
        (false, true) => vec![ReassignmentEvent::TeamChanged],
        (false, false) => vec![ReassignmentEvent::Updated],
    };
    let after = match r.assignee {
        Some(a) => a.map(|a| a.id),
        None => r.assignee_before,
    };
    let mut involved: Vec<i64> = r.assignee_before.into_iter().chain(after).collect();
    involved.dedup();
    ReassignmentPlan { lines, notify, events, involved }
}

#[cfg(test)]
mod reassignment_tests {
    use super::*;

    const ADA: Named<'static> = Named { id: 1, name: "Ada" };
    const BOB: Named<'static> = Named { id: 2, name: "Bob" };
    const SALES: Named<'static> = Named { id: 7, name: "sales" };

    fn by_ada() -> Reassignment<'static> {
        Reassignment { by: ADA, assignee_before: None, team_before: None, assignee: None, team: None }
    }

    #[test]
    fn assigning_someone_else_notifies_them() {
        let plan = reassign(Reassignment { assignee: Some(Some(BOB)), ..by_ada() });
        assert_eq!(plan.lines, ["Assigned to Bob by Ada"]);
        assert_eq!(plan.notify, Some(2));
        assert_eq!(plan.events, [ReassignmentEvent::AssigneeChanged]);
        assert_eq!(plan.involved, [2]);
    }

    #[test]
    fn self_assignment_notifies_nobody() {
        let plan = reassign(Reassignment { assignee: Some(Some(ADA)), ..by_ada() });
        assert_eq!(plan.lines, ["Ada self-assigned this conversation"]);
        assert_eq!(plan.notify, None);
    }

    #[test]
    fn both_changing_announces_both_team_line_first() {
        let plan = reassign(Reassignment { assignee_before: Some(1), assignee: Some(Some(BOB)), team: Some(Some(SALES)), ..by_ada() });
        assert_eq!(plan.lines, ["Assigned to sales by Ada", "Assigned to Bob by Ada"]);
        assert_eq!(plan.events, [ReassignmentEvent::AssigneeChanged, ReassignmentEvent::TeamChanged]);
        assert_eq!(plan.involved, [1, 2], "the previous assignee hears of it too");
    }

    #[test]
    fn unassigning_and_repeating_change_what_they_change() {
        let plan = reassign(Reassignment { assignee_before: Some(2), assignee: Some(None), ..by_ada() });
        assert_eq!(plan.lines, ["Conversation unassigned by Ada"]);
        assert_eq!((plan.notify, plan.involved.clone()), (None, vec![2]));
        // The same assignee again: no line, nobody notified, only an update.
        let plan = reassign(Reassignment { assignee_before: Some(2), assignee: Some(Some(BOB)), ..by_ada() });
        assert!(plan.lines.is_empty());
        assert_eq!(plan.notify, None);
        assert_eq!(plan.events, [ReassignmentEvent::Updated]);
        let plan = reassign(Reassignment { team_before: Some(SALES), team: Some(None), ..by_ada() });
        assert_eq!(plan.lines, ["Unassigned from sales by Ada"]);
        assert_eq!(plan.events, [ReassignmentEvent::TeamChanged]);
    }
}
