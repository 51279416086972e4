//! Macros: named lists of the automation actions, a user's own (`personal`) or the account's
//! (`global`), applied to chosen conversations on demand. Anyone in the account sees the
//! global ones and their own; agents write their own personal macros, administrators also the
//! global ones. Executing applies the actions in order to each conversation in its own
//! transaction, as its executor (activity lines name them), and answers what happened to each.

use serde_json::Value;
use switchboard_domain::automation::{stored_actions, Action};
use switchboard_domain::text::optional_text;
use switchboard_domain::ValidationError;
use switchboard_store::automation::Owner;
use switchboard_store::models::Macro;
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::automation::Acting;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::macros::{macro_view, MacroView, Outcome};

async fn views(conn: &mut AsyncPgConnection, list: Vec<Macro>) -> CoreResult<Vec<MacroView>> {
    let mut ids: Vec<i64> = list.iter().flat_map(|m| [m.created_by_id, m.updated_by_id]).flatten().collect();
    ids.sort_unstable();
    ids.dedup();
    let names = switchboard_store::users::names(conn, &ids).await?;
    Ok(list.into_iter().map(|m| macro_view(m, &names)).collect())
}

async fn view(conn: &mut AsyncPgConnection, m: Macro) -> CoreResult<MacroView> {
    views(conn, vec![m]).await?.pop().ok_or(CoreError::NotFound)
}

pub async fn list(state: &AppState, actor: &Actor) -> CoreResult<Vec<MacroView>> {
    let mut conn = state.conn().await?;
    let list = switchboard_store::macros::visible(&mut conn, actor.account_id, actor.user_id).await?;
    views(&mut conn, list).await
}

pub async fn show(state: &AppState, actor: &Actor, id: i64) -> CoreResult<MacroView> {
    let mut conn = state.conn().await?;
    let m = switchboard_store::macros::find(&mut conn, actor.account_id, actor.user_id, id).await?.ok_or(CoreError::NotFound)?;
    view(&mut conn, m).await
}

/// Who may change a macro: its author while it is personal; administrators when it is global.
fn may_change(actor: &Actor, m: &Macro) -> bool {
    match m.visibility.as_str() {
        "global" => actor.administrator,
        _ => m.created_by_id == Some(actor.user_id),
    }
}

#[derive(Debug, Default)]
pub struct MacroInput {
    pub name: Option<String>,
    pub visibility: Option<String>,
    pub actions: Option<Value>,
}

/// Creates (`id` None) or updates a macro, with its webhook endpoints and its audit entry.
pub async fn save(state: &AppState, actor: &Actor, id: Option<i64>, input: MacroInput) -> CoreResult<MacroView> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let conn = &mut *tx.conn;
        let current = match id {
            Some(id) => {
                let m = switchboard_store::macros::find(conn, actor.account_id, actor.user_id, id).await?.ok_or(CoreError::NotFound)?;
                if !may_change(actor, &m) {
                    return Err(CoreError::Forbidden);
                }
                Some(m)
            }
            None => None,
        };
        let name = match input.name {
            Some(n) => optional_text("name", Some(&n), 255)?.ok_or_else(|| ValidationError::blank("name"))?,
            None => current.as_ref().map(|c| c.name.clone()).ok_or_else(|| ValidationError::blank("name"))?,
        };
        let visibility = match input.visibility.as_deref().map(str::trim) {
            Some(v @ ("personal" | "global")) => v.to_string(),
            Some(_) => return Err(ValidationError::new("visibility", "inclusion", "must be personal or global").into()),
            None => current.as_ref().map_or_else(|| "personal".to_string(), |c| c.visibility.clone()),
        };
        if visibility == "global" && !actor.administrator {
            return Err(CoreError::Forbidden);
        }
        let raw = input.actions.or_else(|| current.as_ref().map(|c| c.actions.clone())).ok_or_else(|| ValidationError::blank("actions"))?;
        let actions = crate::automation::checked_actions(state, conn, actor.account_id, &raw).await?;
        let stored = Value::Array(actions.iter().map(Action::to_json).collect());
        let m = match &current {
            Some(c) => switchboard_store::macros::update(conn, c, actor.user_id, &name, &visibility, &stored).await?,
            None => switchboard_store::macros::create(conn, actor.account_id, actor.user_id, &name, &visibility, &stored).await?,
        };
        let urls: Vec<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::SendWebhookEvent(url) => Some(url.clone()),
                _ => None,
            })
            .collect();
        switchboard_store::automation::sync_endpoints(conn, actor.account_id, Owner::Macro(m.id), &urls, &crate::webhooks::new_secret())
            .await?;
        let shown = view(conn, m).await?;
        let action = if current.is_some() { "update" } else { "create" };
        crate::audit::record(conn, actor, "Macro", shown.id, action, crate::audit::changes(&shown)).await?;
        Ok(shown)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let conn = &mut *tx.conn;
        let m = switchboard_store::macros::find(conn, actor.account_id, actor.user_id, id).await?.ok_or(CoreError::NotFound)?;
        if !may_change(actor, &m) {
            return Err(CoreError::Forbidden);
        }
        switchboard_store::macros::delete(conn, m.id).await?;
        let shown = view(conn, m).await?;
        crate::audit::record(conn, actor, "Macro", id, "destroy", crate::audit::changes(&shown)).await
    }
    .await;
    tx.finish(state, result).await
}

/// Most conversations one execution may name.
pub const MAX_CONVERSATIONS: usize = 100;

/// Applies the macro to each conversation (display ids) the actor may see, each in its own
/// transaction; a conversation that fails (not visible, an action refused) is reported and
/// the others go on.
pub async fn execute(state: &AppState, actor: &Actor, id: i64, conversation_ids: &[i64]) -> CoreResult<Vec<Outcome>> {
    if conversation_ids.is_empty() {
        return Err(ValidationError::blank("conversation_ids").into());
    }
    if conversation_ids.len() > MAX_CONVERSATIONS {
        return Err(ValidationError::invalid("conversation_ids", format!("at most {MAX_CONVERSATIONS} conversations")).into());
    }
    let m = {
        let mut conn = state.conn().await?;
        switchboard_store::macros::find(&mut conn, actor.account_id, actor.user_id, id).await?.ok_or(CoreError::NotFound)?
    };
    let actions = stored_actions(&m.actions);
    let mut outcomes = Vec::with_capacity(conversation_ids.len());
    for &display_id in conversation_ids {
        let mut tx = Change::begin(state).await?;
        let applied = async {
            let (conn, out) = (&mut *tx.conn, &mut tx.out);
            // Each conversation's webhook deliveries have a number of their own.
            let seq = switchboard_store::automation::next_macro_execution(conn).await?;
            let acting = Acting { owner: Owner::Macro(m.id), seq, event: "macro.executed".into() };
            crate::automation::apply(state, conn, out, actor, display_id, &actions, &acting).await
        }
        .await;
        let outcome = match tx.finish(state, applied).await {
            Ok(done) => Outcome { conversation_id: display_id, status: "applied", actions: done, error: None },
            Err(e) => {
                Outcome { conversation_id: display_id, status: "failed", actions: vec![], error: Some(e.reason("no such conversation")) }
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
