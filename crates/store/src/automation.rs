//! Automation rules, their recorded runs, and the endpoints of their `send_webhook_event`
//! actions. The rule reader's cursor is `READER` in `event_readers`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::models::{AutomationRule, AutomationRuleRun, Webhook};
use crate::schema::{automation_rule_runs as runs, automation_rules as rules, webhooks};
use crate::StoreResult;

/// The name of the rule reader's cursor in `event_readers`.
pub const READER: &str = "automation";

pub struct RuleFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub event_name: &'a str,
    pub conditions: &'a Value,
    pub actions: &'a Value,
    pub active: bool,
}

pub async fn list(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<AutomationRule>> {
    Ok(rules::table.filter(rules::account_id.eq(account_id)).order(rules::id).select(AutomationRule::as_select()).load(conn).await?)
}

/// The account's active rules, for the reader.
pub async fn active(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<AutomationRule>> {
    Ok(rules::table
        .filter(rules::account_id.eq(account_id))
        .filter(rules::active.eq(true))
        .order(rules::id)
        .select(AutomationRule::as_select())
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<Option<AutomationRule>> {
    Ok(rules::table
        .filter(rules::account_id.eq(account_id))
        .filter(rules::id.eq(id))
        .select(AutomationRule::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A new rule, and the account's rule reader (which starts at the account's newest event).
pub async fn create(conn: &mut AsyncPgConnection, account_id: i64, f: &RuleFields<'_>) -> StoreResult<AutomationRule> {
    crate::events::ensure_reader(conn, account_id, READER).await?;
    Ok(diesel::insert_into(rules::table)
        .values((
            rules::account_id.eq(account_id),
            rules::name.eq(f.name),
            rules::description.eq(f.description),
            rules::event_name.eq(f.event_name),
            rules::conditions.eq(f.conditions),
            rules::actions.eq(f.actions),
            rules::active.eq(f.active),
        ))
        .returning(AutomationRule::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(conn: &mut AsyncPgConnection, account_id: i64, id: i64, f: &RuleFields<'_>) -> StoreResult<Option<AutomationRule>> {
    Ok(diesel::update(rules::table.filter(rules::account_id.eq(account_id)).filter(rules::id.eq(id)))
        .set((
            rules::name.eq(f.name),
            rules::description.eq(f.description),
            rules::event_name.eq(f.event_name),
            rules::conditions.eq(f.conditions),
            rules::actions.eq(f.actions),
            rules::active.eq(f.active),
            rules::updated_at.eq(diesel::dsl::now),
        ))
        .returning(AutomationRule::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(rules::table.filter(rules::account_id.eq(account_id)).filter(rules::id.eq(id))).execute(conn).await? > 0)
}

pub struct NewRun<'a> {
    pub account_id: i64,
    pub rule_id: i64,
    pub seq: i64,
    pub event_name: &'a str,
    pub conversation_id: Option<i64>,
    pub depth: i16,
    pub conditions: &'a Value,
    pub actions: &'a Value,
    pub error: Option<&'a str>,
}

/// Records a run; false when this rule already ran for this event (the reader read it
/// twice), and then the caller must not act again.
pub async fn record_run(conn: &mut AsyncPgConnection, r: &NewRun<'_>) -> StoreResult<bool> {
    Ok(diesel::insert_into(runs::table)
        .values((
            runs::account_id.eq(r.account_id),
            runs::rule_id.eq(r.rule_id),
            runs::seq.eq(r.seq),
            runs::event_name.eq(r.event_name),
            runs::conversation_id.eq(r.conversation_id),
            runs::depth.eq(r.depth),
            runs::conditions.eq(r.conditions),
            runs::actions.eq(r.actions),
            runs::error.eq(r.error),
        ))
        .on_conflict((runs::rule_id, runs::seq))
        .do_nothing()
        .execute(conn)
        .await?
        > 0)
}

/// A page of the rule's runs, newest first, and their total.
pub async fn runs(conn: &mut AsyncPgConnection, rule_id: i64, page: i64, per_page: i64) -> StoreResult<(Vec<AutomationRuleRun>, i64)> {
    let total = runs::table.filter(runs::rule_id.eq(rule_id)).count().get_result(conn).await?;
    let list = runs::table
        .filter(runs::rule_id.eq(rule_id))
        .order(runs::id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(AutomationRuleRun::as_select())
        .load(conn)
        .await?;
    Ok((list, total))
}

/// What owns a `send_webhook_event` endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Rule(i64),
    Macro(i64),
}

impl Owner {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Rule(id) => (Some(id), None),
            Self::Macro(id) => (None, Some(id)),
        }
    }
}

/// The owner's endpoint for each of `urls` (made on first use, with its own signing secret),
/// and its endpoints for URLs its actions no longer name removed.
pub async fn sync_endpoints(conn: &mut AsyncPgConnection, account_id: i64, owner: Owner, urls: &[String], secret: &str) -> StoreResult<()> {
    let (rule, macro_id) = owner.ids();
    let mine = webhooks::table
        .filter(webhooks::automation_rule_id.is_not_distinct_from(rule))
        .filter(webhooks::macro_id.is_not_distinct_from(macro_id))
        .filter(webhooks::account_id.eq(account_id));
    diesel::delete(mine.filter(webhooks::url.ne_all(urls))).execute(conn).await?;
    let name = match owner {
        Owner::Rule(id) => format!("automation rule {id}"),
        Owner::Macro(id) => format!("macro {id}"),
    };
    for url in urls {
        diesel::insert_into(webhooks::table)
            .values((
                webhooks::account_id.eq(account_id),
                webhooks::automation_rule_id.eq(rule),
                webhooks::macro_id.eq(macro_id),
                webhooks::name.eq(&name),
                webhooks::url.eq(url),
                webhooks::subscriptions.eq(Vec::<String>::new()),
                webhooks::secret.eq(secret),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The owner's endpoint for `url`.
pub async fn endpoint(conn: &mut AsyncPgConnection, owner: Owner, url: &str) -> StoreResult<Option<Webhook>> {
    let (rule, macro_id) = owner.ids();
    Ok(webhooks::table
        .filter(webhooks::automation_rule_id.is_not_distinct_from(rule))
        .filter(webhooks::macro_id.is_not_distinct_from(macro_id))
        .filter(webhooks::url.eq(url))
        .select(Webhook::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A number for one macro execution (its webhook deliveries' key).
pub async fn next_macro_execution(conn: &mut AsyncPgConnection) -> StoreResult<i64> {
    Ok(diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("nextval('macro_executions')")).get_result(conn).await?)
}
