//! Automation rules and macros: the events a rule waits for, which log events are which, the
//! actions rules and macros take (checked when saved, kept in their checked form), and how
//! deep a chain of rules may go.

use serde_json::{json, Value};

use crate::conversations::Priority;
use crate::ValidationError;

/// How many rule steps a chain may take. An event a person or a channel caused is depth 0;
/// what a rule does because of it is depth 1, and so on. Rules do not run on events of depth
/// `MAX_DEPTH`, so rules that answer each other stop after three steps.
pub const MAX_DEPTH: i16 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    ConversationCreated,
    ConversationUpdated,
    ConversationResolved,
    MessageCreated,
}

impl Trigger {
    pub const ALL: [Self; 4] = [Self::ConversationCreated, Self::ConversationUpdated, Self::ConversationResolved, Self::MessageCreated];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ConversationCreated => "conversation_created",
            Self::ConversationUpdated => "conversation_updated",
            Self::ConversationResolved => "conversation_resolved",
            Self::MessageCreated => "message_created",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw.trim()).ok_or_else(|| {
            ValidationError::new(
                field,
                "inclusion",
                "must be conversation_created, conversation_updated, conversation_resolved or message_created",
            )
        })
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// The rule events a log event is. A status change is an update, and a resolution also
/// `conversation_resolved`. Activity lines are not messages.
pub fn triggers(log_event: &str, data: &Value) -> Vec<Trigger> {
    match log_event {
        "conversation.created" => vec![Trigger::ConversationCreated],
        "conversation.status_changed" => {
            let mut t = vec![Trigger::ConversationUpdated];
            if data.get("status").and_then(Value::as_str) == Some("resolved") {
                t.push(Trigger::ConversationResolved);
            }
            t
        }
        "conversation.updated" | "assignee.changed" | "team.changed" | "conversation.contact_changed" => {
            vec![Trigger::ConversationUpdated]
        }
        "message.created" if data.get("message_type").and_then(Value::as_i64) != Some(2) => vec![Trigger::MessageCreated],
        _ => vec![],
    }
}

/// The conversation (display id) a log event is about.
pub fn conversation_of(log_event: &str, data: &Value) -> Option<i64> {
    match log_event {
        "message.created" => data.get("conversation_id").and_then(Value::as_i64),
        _ => data.get("id").and_then(Value::as_i64),
    }
}

/// One checked action.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// An agent of the account (None: unassign).
    AssignAgent(Option<i64>),
    AssignTeam(Option<i64>),
    AddLabels(Vec<String>),
    RemoveLabels(Vec<String>),
    SendMessage(String),
    /// A URL, checked against private addresses when saved.
    SendWebhookEvent(String),
    Mute,
    Snooze,
    Resolve,
    Open,
    ChangePriority(Option<Priority>),
    /// Uploaded files (`…/automation_rules/attach_file` or `…/macros/attach_file`).
    SendAttachment(Vec<i64>),
    AddPrivateNote(String),
}

impl Action {
    pub const NAMES: [&'static str; 13] = [
        "assign_agent",
        "assign_team",
        "add_label",
        "remove_label",
        "send_message",
        "send_webhook_event",
        "mute_conversation",
        "snooze_conversation",
        "resolve_conversation",
        "open_conversation",
        "change_priority",
        "send_attachment",
        "add_private_note",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Self::AssignAgent(_) => "assign_agent",
            Self::AssignTeam(_) => "assign_team",
            Self::AddLabels(_) => "add_label",
            Self::RemoveLabels(_) => "remove_label",
            Self::SendMessage(_) => "send_message",
            Self::SendWebhookEvent(_) => "send_webhook_event",
            Self::Mute => "mute_conversation",
            Self::Snooze => "snooze_conversation",
            Self::Resolve => "resolve_conversation",
            Self::Open => "open_conversation",
            Self::ChangePriority(_) => "change_priority",
            Self::SendAttachment(_) => "send_attachment",
            Self::AddPrivateNote(_) => "add_private_note",
        }
    }

    /// The action as it is stored and shown: `{action_name, action_params}`.
    pub fn to_json(&self) -> Value {
        let params = match self {
            Self::AssignAgent(id) | Self::AssignTeam(id) => vec![id.map_or(json!("nil"), |id| json!(id))],
            Self::AddLabels(l) | Self::RemoveLabels(l) => l.iter().map(|l| json!(l)).collect(),
            Self::SendMessage(t) | Self::SendWebhookEvent(t) | Self::AddPrivateNote(t) => vec![json!(t)],
            Self::Mute | Self::Snooze | Self::Resolve | Self::Open => vec![],
            Self::ChangePriority(p) => vec![p.map_or(json!("nil"), |p| json!(p.as_str()))],
            Self::SendAttachment(ids) => ids.iter().map(|id| json!(id)).collect(),
        };
        json!({ "action_name": self.name(), "action_params": params })
    }
}

fn param_texts(v: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        // The dashboard sends {id, name} objects for agents and teams.
        Value::Object(o) => o.get("id").map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_string)),
        Value::Null => Some("nil".into()),
        _ => None,
    };
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(Value::Null) | None => vec![],
        Some(other) => one(other).into_iter().collect(),
    }
}

/// An id, or None for "nil" (take away).
fn optional_id(field: &str, params: &[String]) -> Result<Option<i64>, ValidationError> {
    match params.first().map(String::as_str) {
        None | Some("nil") | Some("") => Ok(None),
        Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| ValidationError::invalid(field, "must be an id")),
    }
}

fn text(field: &str, params: &[String], max: usize) -> Result<String, ValidationError> {
    let t = params.first().map(|s| s.trim()).filter(|s| !s.is_empty()).ok_or_else(|| ValidationError::blank(field))?;
    if t.chars().count() > max {
        return Err(ValidationError::too_long(field, max));
    }
    Ok(t.to_string())
}

/// Checks a list of `{action_name, action_params}`; errors name `actions[i]…`. At least one
/// action, at most 20.
pub fn parse_actions(raw: &Value) -> Result<Vec<Action>, ValidationError> {
    let items = raw.as_array().ok_or_else(|| ValidationError::invalid("actions", "must be a list of {action_name, action_params}"))?;
    if items.is_empty() {
        return Err(ValidationError::blank("actions"));
    }
    if items.len() > 20 {
        return Err(ValidationError::invalid("actions", "at most 20 actions"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = |what: &str| format!("actions[{i}].{what}");
            let name = item.get("action_name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
            let params = param_texts(item.get("action_params"));
            let p = at("action_params");
            Ok(match name {
                "assign_agent" => Action::AssignAgent(optional_id(&p, &params)?),
                "assign_team" => Action::AssignTeam(optional_id(&p, &params)?),
                "add_label" | "remove_label" => {
                    let labels = crate::contacts::label_list(&p, &params)?;
                    if labels.is_empty() {
                        return Err(ValidationError::blank(&p));
                    }
                    if name == "add_label" {
                        Action::AddLabels(labels)
                    } else {
                        Action::RemoveLabels(labels)
                    }
                }
                "send_message" => Action::SendMessage(text(&p, &params, 150_000)?),
                "add_private_note" => Action::AddPrivateNote(text(&p, &params, 150_000)?),
                "send_webhook_event" => Action::SendWebhookEvent(text(&p, &params, 2048)?),
                "mute_conversation" => Action::Mute,
                "snooze_conversation" => Action::Snooze,
                "resolve_conversation" => Action::Resolve,
                "open_conversation" => Action::Open,
                "change_priority" => Action::ChangePriority(match params.first().map(String::as_str) {
                    None | Some("nil") | Some("") | Some("none") => None,
                    Some(raw) => Priority::parse(&p, Some(raw))?,
                }),
                "send_attachment" => {
                    let ids = params
                        .iter()
                        .map(|s| s.parse::<i64>().map_err(|_| ValidationError::invalid(&p, "must be the ids of uploaded files")))
                        .collect::<Result<Vec<_>, _>>()?;
                    if ids.is_empty() {
                        return Err(ValidationError::blank(&p));
                    }
                    Action::SendAttachment(ids)
                }
                _ => {
                    return Err(ValidationError::new(
                        at("action_name"),
                        "inclusion",
                        format!("must be one of {}", Action::NAMES.join(", ")),
                    ))
                }
            })
        })
        .collect()
}

/// The stored actions, read back. Actions were checked when saved; one that no longer reads is
/// left out rather than failing the rule.
pub fn stored_actions(raw: &Value) -> Vec<Action> {
    raw.as_array()
        .map(|items| items.iter().filter_map(|item| parse_actions(&Value::Array(vec![item.clone()])).ok()?.pop()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_checked_and_stored_in_their_checked_form() {
        let raw = json!([
            { "action_name": "add_label", "action_params": ["Bug", "support"] },
            { "action_name": "assign_agent", "action_params": [{ "id": 7, "name": "Ann" }] },
            { "action_name": "assign_team", "action_params": ["nil"] },
            { "action_name": "change_priority", "action_params": ["urgent"] },
            { "action_name": "resolve_conversation", "action_params": [] }
        ]);
        let actions = parse_actions(&raw).unwrap_or_default();
        assert_eq!(actions.len(), 5);
        assert_eq!(actions[0], Action::AddLabels(vec!["bug".into(), "support".into()]));
        assert_eq!(actions[1], Action::AssignAgent(Some(7)));
        assert_eq!(actions[2], Action::AssignTeam(None));
        assert_eq!(actions[1].to_json(), json!({ "action_name": "assign_agent", "action_params": [7] }));
        let stored = Value::Array(actions.iter().map(Action::to_json).collect());
        assert_eq!(stored_actions(&stored), actions, "what is stored reads back the same");
    }

    #[test]
    fn bad_actions_name_their_place() {
        let field = |v: Value| parse_actions(&v).err().map(|e| e.field);
        assert_eq!(field(json!([{ "action_name": "launch_rocket" }])), Some("actions[0].action_name".into()));
        assert_eq!(field(json!([{ "action_name": "send_message", "action_params": [""] }])), Some("actions[0].action_params".into()));
        assert_eq!(
            field(json!([{ "action_name": "resolve_conversation" }, { "action_name": "assign_agent", "action_params": ["bob"] }])),
            Some("actions[1].action_params".into())
        );
        assert_eq!(
            field(json!([{ "action_name": "change_priority", "action_params": ["whenever"] }])),
            Some("actions[0].action_params".into())
        );
        assert_eq!(field(json!([])), Some("actions".into()));
        assert_eq!(field(json!({})), Some("actions".into()));
    }

    #[test]
    fn log_events_trigger_rule_events() {
        assert_eq!(triggers("conversation.created", &json!({})), vec![Trigger::ConversationCreated]);
        assert_eq!(
            triggers("conversation.status_changed", &json!({ "status": "resolved" })),
            vec![Trigger::ConversationUpdated, Trigger::ConversationResolved]
        );
        assert_eq!(triggers("assignee.changed", &json!({})), vec![Trigger::ConversationUpdated]);
        assert_eq!(triggers("message.created", &json!({ "message_type": 0 })), vec![Trigger::MessageCreated]);
        assert_eq!(triggers("message.created", &json!({ "message_type": 2 })), vec![], "activity lines are not messages");
        assert_eq!(triggers("contact.updated", &json!({})), vec![]);
        assert_eq!(conversation_of("message.created", &json!({ "conversation_id": 4, "id": 99 })), Some(4));
        assert_eq!(conversation_of("conversation.updated", &json!({ "id": 4 })), Some(4));
    }
}
