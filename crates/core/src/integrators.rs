//! Integrators of other products reach an account through its slug and one of its API keys
//! (`api-login`/`api-key`, or `Slug`/`Api-Key`). Keys are made by administrators, shown once,
//! stored as digests, and revoked one by one; each key has its own per-minute allowance.

use chrono::{DateTime, Utc};
use switchboard_domain::text::required_name;
use switchboard_domain::ValidationError;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::tokens::{random_token, token_digest};
use crate::views::integrators::KeyView;

fn administrator(actor: &Actor) -> CoreResult<()> {
    if actor.administrator {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// A new key for the account; the answer is the only time the key is shown.
pub async fn create_key(state: &AppState, actor: &Actor, name: &str) -> CoreResult<KeyView> {
    administrator(actor)?;
    let name = required_name("name", name)?;
    if name.chars().count() > 255 {
        return Err(ValidationError::too_long("name", 255).into());
    }
    let key = format!("sbk_{}", random_token(24));
    let last_four = key[key.len() - 4..].to_string();
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let stored = switchboard_store::api_keys::create(&mut tx.conn, actor.account_id, &name, &token_digest(&key), &last_four).await?;
        let shown = KeyView::from(&stored);
        crate::audit::record(&mut tx.conn, actor, "AccessToken", stored.id, "create", crate::audit::changes(&shown)).await?;
        Ok(KeyView { key, ..shown })
    }
    .await;
    tx.finish(state, result).await
}

pub async fn list_keys(state: &AppState, actor: &Actor) -> CoreResult<Vec<KeyView>> {
    administrator(actor)?;
    let mut conn = state.conn().await?;
    Ok(switchboard_store::api_keys::list(&mut conn, actor.account_id).await?.iter().map(KeyView::from).collect())
}

/// Revokes a key: requests with it are refused from now on.
pub async fn revoke_key(state: &AppState, actor: &Actor, id: i64) -> CoreResult<()> {
    administrator(actor)?;
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        if !switchboard_store::api_keys::revoke(&mut tx.conn, actor.account_id, id).await? {
            return Err(CoreError::NotFound);
        }
        crate::audit::record(&mut tx.conn, actor, "AccessToken", id, "destroy", serde_json::json!({ "revoked": true })).await
    }
    .await;
    tx.finish(state, result).await
}

/// An authenticated integrator: the account its key belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Integrator {
    pub account_id: i64,
    pub key_id: i64,
}

/// Why an integrator request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// No slug or no key.
    Missing,
    /// No account with that slug has that key.
    Wrong,
    /// The key was revoked (at that time).
    Revoked(DateTime<Utc>),
    /// The key's per-minute allowance is spent.
    Throttled,
    /// The keys could not be read (the database is away, say).
    Failed(CoreError),
}

/// Who `slug` and `key` name, within the key's per-minute allowance.
pub async fn authenticate(state: &AppState, slug: Option<&str>, key: Option<&str>) -> Result<Integrator, Refusal> {
    let (Some(slug), Some(key)) = (slug.map(str::trim).filter(|s| !s.is_empty()), key.map(str::trim).filter(|k| !k.is_empty())) else {
        return Err(Refusal::Missing);
    };
    let found = async {
        let mut conn = state.conn().await?;
        Ok::<_, CoreError>(switchboard_store::api_keys::find(&mut conn, slug, &token_digest(key)).await?)
    }
    .await;
    let Some(found) = found.map_err(Refusal::Failed)? else { return Err(Refusal::Wrong) };
    if let Some(at) = found.revoked_at {
        return Err(Refusal::Revoked(at));
    }
    let throttle_key = format!("switchboard:integrator:{}", found.id);
    if !state.searches.take(&throttle_key, state.settings.integrator_requests_per_minute).await {
        return Err(Refusal::Throttled);
    }
    Ok(Integrator { account_id: found.account_id, key_id: found.id })
}
