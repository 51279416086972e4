//! The audit log: who changed what in an account. Operations call `record` in the change's
//! own transaction, so an entry exists exactly when its change committed. What is recorded is
//! the object as the API shows it, with every secret taken out (`changes`).

use serde::Serialize;
use serde_json::{json, Value};
use switchboard_store::models::{NewAuditLog, User};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::error::CoreResult;
use crate::state::AppState;
use crate::views::audit::{AuditPage, EntryView};

/// Keys whose values are secrets: never written to the log, at any depth.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "secret",
    "password",
    "password_hash",
    "token",
    "api_key",
    "hmac_token",
    "pubsub_token",
    "provider_config",
    "webhook_verify_token",
];

/// The object as recorded: its serialized form with secrets removed.
pub fn changes<T: Serialize>(v: &T) -> Value {
    let mut value = serde_json::to_value(v).unwrap_or(Value::Null);
    scrub(&mut value);
    value
}

fn scrub(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !SECRET_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(scrub);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

fn entry(actor: &Actor, auditable_type: &str, auditable_id: Option<i64>, action: &str, changes: Value) -> NewAuditLog {
    let (user_id, user_type) = match (actor.user_id, actor.agent_bot_id) {
        (id, _) if id > 0 => (Some(id), "User"),
        (_, Some(bot)) => (Some(bot), "AgentBot"),
        _ => (None, "System"),
    };
    NewAuditLog {
        account_id: actor.account_id,
        auditable_type: auditable_type.into(),
        auditable_id,
        action: action.into(),
        user_id,
        user_type: Some(user_type.into()),
        username: actor.email.clone().or_else(|| (user_type != "User").then(|| actor.name.clone())),
        audited_changes: changes,
        remote_address: actor.remote_address.clone(),
    }
}

/// Records one change by the actor, in the caller's transaction.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    auditable_type: &str,
    auditable_id: i64,
    action: &str,
    changes: Value,
) -> CoreResult<()> {
    switchboard_store::audit::append(conn, &[entry(actor, auditable_type, Some(auditable_id), action, changes)]).await?;
    Ok(())
}

/// A sign-in (or a failed one) by `user`, in each account they belong to.
pub async fn sign_in(conn: &mut AsyncPgConnection, user: &User, remote_address: Option<String>, succeeded: bool) -> CoreResult<()> {
    let action = if succeeded { "sign_in" } else { "sign_in_failed" };
    by_user_everywhere(conn, user, action, json!({}), remote_address).await
}

/// An act of `user` on themselves, in each account they belong to (a user belongs to no one
/// account).
async fn by_user_everywhere(
    conn: &mut AsyncPgConnection,
    user: &User,
    action: &str,
    changes: Value,
    remote_address: Option<String>,
) -> CoreResult<()> {
    let accounts = crate::events::accounts_of(conn, user.id).await?;
    let rows: Vec<NewAuditLog> = accounts
        .into_iter()
        .map(|account_id| NewAuditLog {
            account_id,
            auditable_type: "User".into(),
            auditable_id: Some(user.id),
            action: action.into(),
            user_id: Some(user.id),
            user_type: Some("User".into()),
            username: Some(user.email.clone()),
            audited_changes: changes.clone(),
            remote_address: remote_address.clone(),
        })
        .collect();
    switchboard_store::audit::append(conn, &rows).await?;
    Ok(())
}

/// A change of a user's own profile (by themselves or a platform app), in each of their accounts.
pub async fn user_changed(conn: &mut AsyncPgConnection, user: &User, changes: Value) -> CoreResult<()> {
    by_user_everywhere(conn, user, "update", changes, None).await
}

/// Entries per page, as the reference pages them.
pub const PER_PAGE: i64 = 15;

/// A page of the account's entries, newest first, as the reference answers it.
pub async fn page(state: &AppState, account_id: i64, page: i64) -> CoreResult<AuditPage> {
    let page = page.clamp(1, 1_000_000);
    let mut conn = state.conn().await?;
    let (list, total) = switchboard_store::audit::page(&mut conn, account_id, page, PER_PAGE).await?;
    let entries: Vec<EntryView> = list.into_iter().map(EntryView::from).collect();
    Ok(AuditPage { per_page: PER_PAGE, total_entries: total, current_page: page, audit_logs: entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_log() {
        let v = json!({ "id": 1, "secret": "whsec_x", "nested": [{ "access_token": "t", "name": "n" }], "provider_config": { "api_key": "k" } });
        assert_eq!(changes(&v), json!({ "id": 1, "nested": [{ "name": "n" }] }));
    }
}
