//! An account's agents: changing one's role or availability, and removing one, never leaving the
//! account without an administrator. A change of role or membership tells the sockets of the
//! person concerned (`access.changed`).

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
) -> CoreResult<crate::views::Agent> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let agent = switchboard_store::account_users::find(conn, actor.account_id, user_id).await?.ok_or(CoreError::NotFound)?;
        let changes = AccountUserChanges { role, availability: availability.map(|a| a.as_str().into()), auto_offline };
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
            crate::events::access_changed(out, actor.account_id, &[user_id])?;
        }
        let shown = crate::views::agent(&switchboard_store::models::Agent { user: agent.user, member });
        let mut entry = crate::audit::changes(&shown);
        if let (Some(role), Some(obj)) = (role, entry.as_object_mut()) {
            // A role change says what it was.
            obj.insert("role_changed".into(), serde_json::json!({ "from": agent.member.role, "to": role.as_str() }));
        }
        crate::audit::record(conn, actor, "AccountUser", user_id, "update", entry).await?;
        Ok(shown)
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
        crate::events::access_changed(out, actor.account_id, &[user_id])?;
        crate::audit::record(conn, actor, "AccountUser", user_id, "destroy", serde_json::json!({ "user_id": user_id })).await
    }
    .await;
    tx.finish(state, result).await
}

/// Adds a member: the user with `new_user`'s email joins the account, or is created first;
/// with its audit entry, in one transaction. An existing member's email is a 422 (taken).
pub async fn add(
    state: &AppState,
    actor: &Actor,
    new_user: crate::users::NewUserInput,
    role: Role,
    availability: Availability,
    auto_offline: bool,
) -> CoreResult<crate::views::Agent> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let conn = &mut *tx.conn;
        let user = match switchboard_store::users::find_by_email(conn, new_user.email.as_str()).await? {
            Some(user) => user,
            None => crate::users::create_user(conn, new_user).await?,
        };
        let member = switchboard_store::models::NewAccountUser {
            account_id: actor.account_id,
            user_id: user.id,
            role,
            availability: availability.as_str().into(),
            auto_offline,
            inviter_id: Some(actor.user_id).filter(|id| *id > 0),
        };
        let member = switchboard_store::account_users::add(conn, &member).await.map_err(|e| match e {
            switchboard_store::StoreError::Conflict { .. } => CoreError::Invalid(switchboard_domain::ValidationError::taken("email")),
            other => other.into(),
        })?;
        let shown = crate::views::agent(&switchboard_store::models::Agent { user, member });
        crate::audit::record(conn, actor, "AccountUser", shown.id, "create", crate::audit::changes(&shown)).await?;
        Ok(shown)
    }
    .await;
    tx.finish(state, result).await
}
