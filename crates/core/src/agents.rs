//! An account's agents: changing one's role or availability, and removing one, never leaving the
//! account without an administrator. A change of role or membership tells the sockets of the
//! person concerned (`access.changed`).

use serde_json::Value;
use switchboard_domain::users::{Availability, Role};
use switchboard_store::account_users::{Guarded, MemberChange};
use switchboard_store::models::{AccountUser, AccountUserChanges};

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// A guarded membership change's outcome: the membership, not found for a non-member, or the
/// refusal when it would leave the account without an administrator.
fn guarded(outcome: Result<Option<AccountUser>, Guarded>) -> CoreResult<AccountUser> {
    match outcome {
        Ok(Some(member)) => Ok(member),
        Ok(None) => Err(CoreError::NotFound),
        Err(Guarded::Refused(e)) => Err(e.into()),
        Err(Guarded::Store(e)) => Err(e.into()),
    }
}

/// Changes an agent's membership; answers the agent as the API shows it. Administrators only.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    role: Option<Role>,
    availability: Option<Availability>,
    auto_offline: Option<bool>,
) -> CoreResult<Value> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let agent = switchboard_store::account_users::find(conn, actor.account_id, user_id).await?.ok_or(CoreError::NotFound)?;
        let changes = AccountUserChanges {
            role: role.map(|r| r.as_str().into()),
            availability: availability.map(|a| a.as_str().into()),
            auto_offline,
        };
        let member = guarded(
            switchboard_store::account_users::change_keeping_an_administrator(
                conn,
                actor.account_id,
                user_id,
                MemberChange::Update(&changes),
            )
            .await,
        )?;
        if role.is_some() {
            crate::events::access_changed(out, actor.account_id, &[user_id]);
        }
        Ok(crate::views::agent(&switchboard_store::models::Agent { user: agent.user, member }))
    }
    .await;
    tx.finish(state, result).await
}

/// Removes an agent from the account. Administrators only.
pub async fn remove(state: &AppState, actor: &Actor, user_id: i64) -> CoreResult<()> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        guarded(
            switchboard_store::account_users::change_keeping_an_administrator(conn, actor.account_id, user_id, MemberChange::Remove).await,
        )?;
        crate::events::access_changed(out, actor.account_id, &[user_id]);
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}
