//! Who works an inbox: adding, replacing and removing its agents, each one change that tells
//! the sockets of everyone whose access changed (`access.changed`).

use switchboard_domain::ValidationError;
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::Agent;
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// What to do with the given agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Add,
    /// They become the inbox's only agents.
    Replace,
    Remove,
}

/// The given users, each a member of the account; one foreign id refuses them all.
pub async fn account_members(conn: &mut AsyncPgConnection, account_id: i64, ids: &[i64]) -> CoreResult<Vec<i64>> {
    let mut wanted = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let found = switchboard_store::account_users::member_ids(conn, account_id, &wanted).await?;
    if found.len() != wanted.len() {
        return Err(ValidationError::invalid("user_ids", "contains users who are not agents of this account").into());
    }
    Ok(wanted)
}

/// Changes an inbox's agents; answers its agents afterwards (none for `Remove`, which answers
/// nothing). Administrators only.
pub async fn change(state: &AppState, actor: &Actor, inbox_id: i64, user_ids: &[i64], how: Membership) -> CoreResult<Vec<Agent>> {
    if !actor.administrator {
        return Err(CoreError::Forbidden);
    }
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let inbox =
            switchboard_store::inboxes::find(conn, actor.account_id, inbox_id, Visibility::All).await?.ok_or(CoreError::NotFound)?;
        let changed = match how {
            Membership::Add => {
                let ids = account_members(conn, actor.account_id, user_ids).await?;
                switchboard_store::inboxes::add_members(conn, inbox.id, &ids).await?;
                ids
            }
            Membership::Replace => {
                let ids = account_members(conn, actor.account_id, user_ids).await?;
                let before: Vec<i64> = switchboard_store::inboxes::members(conn, &inbox).await?.iter().map(|m| m.user.id).collect();
                switchboard_store::inboxes::replace_members(conn, inbox.id, &ids).await?;
                // Only those who joined or left: the others' access is as it was.
                let mut changed: Vec<i64> =
                    before.iter().chain(&ids).copied().filter(|id| before.contains(id) != ids.contains(id)).collect();
                changed.sort_unstable();
                changed.dedup();
                changed
            }
            Membership::Remove => {
                switchboard_store::inboxes::remove_members(conn, inbox.id, user_ids).await?;
                user_ids.to_vec()
            }
        };
        crate::events::access_changed(out, actor.account_id, &changed)?;
        if how == Membership::Remove {
            return Ok(vec![]);
        }
        Ok(switchboard_store::inboxes::members(conn, &inbox).await?)
    }
    .await;
    tx.finish(state, result).await
}
