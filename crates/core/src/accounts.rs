//! Accounts: an administrator's changes to their account (its settings merged key by key, so
//! concurrent edits of different keys both stay), and the accounts a platform app creates and
//! deletes, with the app's permission granted or revoked in the same transaction.

use serde_json::{Map, Value};
use switchboard_store::models::{Account, AccountChanges};
use switchboard_store::platform::Permissible;

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// A key to set (`Some(Some(v))`), clear (`Some(None)`) or leave (`None`) in a JSON object.
pub type Patch = Vec<(&'static str, Option<Option<Value>>)>;

/// An administrator's change to their account: its columns, and keys of its `settings` and
/// `custom_attributes`.
pub struct AccountUpdate {
    pub changes: AccountChanges,
    pub settings: Patch,
    pub custom_attributes: Patch,
}

fn merge(target: &Value, patch: Patch) -> Value {
    let mut merged: Map<String, Value> = target.as_object().cloned().unwrap_or_default();
    for (key, value) in patch {
        match value {
            None => {}
            Some(value) => {
                merged.insert(key.into(), value.unwrap_or(Value::Null));
            }
        }
    }
    Value::Object(merged)
}

/// Applies an administrator's change to their account, reading and writing it under a lock.
pub async fn update(state: &AppState, actor: &Actor, update: AccountUpdate) -> CoreResult<Account> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let account = switchboard_store::accounts::lock(&mut tx.conn, actor.account_id).await?;
        let changes = AccountChanges {
            settings: Some(merge(&account.settings, update.settings)),
            custom_attributes: Some(merge(&account.custom_attributes, update.custom_attributes)),
            ..update.changes
        };
        Ok(switchboard_store::accounts::update(&mut tx.conn, actor.account_id, &changes).await?)
    }
    .await;
    tx.finish(state, result).await
}

/// A platform app's new account, which the app may manage from then on.
pub async fn create_for_app(state: &AppState, app_id: i64, changes: &AccountChanges) -> CoreResult<Account> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let account = switchboard_store::accounts::create(&mut tx.conn, changes).await?;
        switchboard_store::platform::grant(&mut tx.conn, app_id, Permissible::Account(account.id)).await?;
        Ok(account)
    }
    .await;
    tx.finish(state, result).await
}

/// A platform app's change to an account it manages.
pub async fn update_for_app(state: &AppState, account_id: i64, changes: &AccountChanges) -> CoreResult<Account> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::accounts::update(&mut conn, account_id, changes).await?)
}

/// Deletes an account (everything it owns goes with it) and every app's permission on it.
pub async fn delete_for_app(state: &AppState, account_id: i64) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        switchboard_store::accounts::delete(&mut tx.conn, account_id).await?;
        switchboard_store::platform::revoke_all(&mut tx.conn, Permissible::Account(account_id)).await?;
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}
