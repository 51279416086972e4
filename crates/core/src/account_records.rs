//! Teams and labels: an account's administrators create, change and delete them, each write
//! with its audit entry in one transaction; and a team's members.

use switchboard_store::labels::NewLabel;
use switchboard_store::models::{Agent, Label, LabelChanges, Team, TeamChanges};

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

pub async fn create_team(state: &AppState, actor: &Actor, name: &str, changes: &TeamChanges) -> CoreResult<Team> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let team = switchboard_store::teams::create(&mut tx.conn, actor.account_id, name, changes).await?;
        crate::audit::record(&mut tx.conn, actor, "Team", team.id, "create", crate::audit::changes(&crate::views::team(&team, false)))
            .await?;
        Ok(team)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn update_team(state: &AppState, actor: &Actor, id: i64, changes: &TeamChanges) -> CoreResult<Team> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let team = switchboard_store::teams::update(&mut tx.conn, actor.account_id, id, changes).await?.ok_or(CoreError::NotFound)?;
        crate::audit::record(&mut tx.conn, actor, "Team", team.id, "update", crate::audit::changes(&crate::views::team(&team, false)))
            .await?;
        Ok(team)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn delete_team(state: &AppState, actor: &Actor, team: &Team) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        if !switchboard_store::teams::delete(&mut tx.conn, actor.account_id, team.id).await? {
            return Err(CoreError::NotFound);
        }
        crate::audit::record(&mut tx.conn, actor, "Team", team.id, "destroy", crate::audit::changes(&crate::views::team(team, false))).await
    }
    .await;
    tx.finish(state, result).await
}

pub async fn create_label(state: &AppState, actor: &Actor, new: &NewLabel<'_>) -> CoreResult<Label> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let label = switchboard_store::labels::create(&mut tx.conn, actor.account_id, new).await?;
        crate::audit::record(&mut tx.conn, actor, "Label", label.id, "create", crate::audit::changes(&crate::views::label(&label))).await?;
        Ok(label)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn update_label(state: &AppState, actor: &Actor, id: i64, changes: &LabelChanges) -> CoreResult<Label> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let label = switchboard_store::labels::update(&mut tx.conn, actor.account_id, id, changes).await?.ok_or(CoreError::NotFound)?;
        crate::audit::record(&mut tx.conn, actor, "Label", label.id, "update", crate::audit::changes(&crate::views::label(&label))).await?;
        Ok(label)
    }
    .await;
    tx.finish(state, result).await
}

pub async fn delete_label(state: &AppState, actor: &Actor, id: i64) -> CoreResult<()> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let label = switchboard_store::labels::find(&mut tx.conn, actor.account_id, id).await?.ok_or(CoreError::NotFound)?;
        switchboard_store::labels::delete(&mut tx.conn, actor.account_id, id).await?;
        crate::audit::record(&mut tx.conn, actor, "Label", id, "destroy", crate::audit::changes(&crate::views::label(&label))).await
    }
    .await;
    tx.finish(state, result).await
}

/// How a team's members change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// These users join (those already in stay).
    Add,
    /// The team becomes exactly these users.
    Replace,
    /// These users leave.
    Remove,
}

/// Changes a team's members (users of the account only: the caller checks them) and answers
/// with what the reference shows: the users added, the whole team, or nobody.
pub async fn change_members(state: &AppState, actor: &Actor, team: &Team, how: Membership, user_ids: &[i64]) -> CoreResult<Vec<Agent>> {
    if team.account_id != actor.account_id {
        return Err(CoreError::NotFound);
    }
    let mut conn = state.conn().await?;
    let conn = &mut *conn;
    Ok(match how {
        Membership::Add => {
            switchboard_store::teams::add_members(conn, team.id, user_ids).await?;
            switchboard_store::teams::members(conn, team, Some(user_ids)).await?
        }
        Membership::Replace => {
            switchboard_store::teams::replace_members(conn, team.id, user_ids).await?;
            switchboard_store::teams::members(conn, team, None).await?
        }
        Membership::Remove => {
            switchboard_store::teams::remove_members(conn, team.id, user_ids).await?;
            vec![]
        }
    })
}
