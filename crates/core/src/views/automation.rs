//! Automation rules and their runs as the API shows them.

use serde::Serialize;
use serde_json::Value;
use switchboard_store::models::{AutomationRule, AutomationRuleRun};

/// The reference's rule as its API shows it.
#[derive(Debug, Serialize)]
pub struct RuleView {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub description: String,
    pub event_name: String,
    pub conditions: Value,
    pub actions: Value,
    pub created_on: i64,
    pub active: bool,
}

impl From<AutomationRule> for RuleView {
    fn from(r: AutomationRule) -> Self {
        Self {
            id: r.id,
            account_id: r.account_id,
            name: r.name,
            description: r.description,
            event_name: r.event_name,
            conditions: r.conditions,
            actions: r.actions,
            created_on: r.created_at.timestamp(),
            active: r.active,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RunView {
    pub id: i64,
    pub rule_id: i64,
    pub event_name: String,
    pub conversation_id: Option<i64>,
    pub depth: i16,
    pub conditions: Value,
    pub actions: Value,
    pub error: Option<String>,
    pub created_at: i64,
}

impl From<AutomationRuleRun> for RunView {
    fn from(r: AutomationRuleRun) -> Self {
        Self {
            id: r.id,
            rule_id: r.rule_id,
            event_name: r.event_name,
            conversation_id: r.conversation_id,
            depth: r.depth,
            conditions: r.conditions,
            actions: r.actions,
            error: r.error,
            created_at: r.created_at.timestamp(),
        }
    }
}

/// An action as it was taken: the action as stored, and whether it changed anything
/// (`applied`) or found the conversation already so (`unchanged`).
#[derive(Debug, Clone, Serialize)]
pub struct AppliedAction {
    #[serde(flatten)]
    pub action: Value,
    pub result: &'static str,
}
