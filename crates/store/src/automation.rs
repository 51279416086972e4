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

/// The rule's endpoint for `url` (made on first use, with its own signing secret), and the
/// rule's endpoints for URLs its actions no longer name removed.
pub async fn sync_endpoints(conn: &mut AsyncPgConnection, rule: &AutomationRule, urls: &[String], secret: &str) -> StoreResult<()> {
    diesel::delete(webhooks::table.filter(webhooks::automation_rule_id.eq(rule.id)).filter(webhooks::url.ne_all(urls)))
        .execute(conn)
        .await?;
    for url in urls {
        diesel::insert_into(webhooks::table)
            .values((
                webhooks::account_id.eq(rule.account_id),
                webhooks::automation_rule_id.eq(rule.id),
                webhooks::name.eq(format!("automation rule {}", rule.id)),
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

/// The rule's endpoint for `url`.
pub async fn endpoint(conn: &mut AsyncPgConnection, rule_id: i64, url: &str) -> StoreResult<Option<Webhook>> {
    Ok(webhooks::table
        .filter(webhooks::automation_rule_id.eq(rule_id))
        .filter(webhooks::url.eq(url))
        .select(Webhook::as_select())
        .first(conn)
        .await
        .optional()?)
}
