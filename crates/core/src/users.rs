//! Creating users (hashing their password, minting their tokens) and the first administrator.

use serde_json::Value;
use switchboard_domain::users::{Email, Password, Role};
use switchboard_store::models::{AccountChanges, NewAccountUser, NewUser, User, UserChanges};
use switchboard_store::AsyncPgConnection;

use crate::error::{CoreError, CoreResult};
use crate::passwords::hash_password;
use crate::tokens::{random_token, token_digest};

pub struct NewUserInput {
    pub name: String,
    pub display_name: Option<String>,
    pub email: Email,
    pub password: Option<Password>,
    pub custom_attributes: Value,
}

/// A new user's row, with fresh API and pubsub tokens and the password, if any, hashed.
async fn new_user(input: NewUserInput) -> CoreResult<NewUser> {
    let password_hash = match input.password {
        Some(p) => Some(hash_password(p.expose().to_string()).await?),
        None => None,
    };
    Ok(NewUser {
        name: input.name,
        display_name: input.display_name,
        email: input.email.into_inner(),
        password_hash,
        pubsub_token: random_token(16),
        access_token: random_token(24),
        custom_attributes: input.custom_attributes,
    })
}

/// Creates a user with fresh API and pubsub tokens; the password, if any, is hashed first.
pub async fn create_user(conn: &mut AsyncPgConnection, input: NewUserInput) -> CoreResult<User> {
    let new = new_user(input).await?;
    Ok(switchboard_store::users::create(conn, &new).await?)
}

/// A platform app's new user, which the app may manage from then on: the user and the app's
/// permission in one transaction (the password is hashed before it begins).
pub async fn create_for_app(state: &crate::state::AppState, app_id: i64, input: NewUserInput) -> CoreResult<User> {
    let new = new_user(input).await?;
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let user = switchboard_store::users::create(&mut tx.conn, &new).await?;
        let permission = switchboard_store::platform::Permissible::User(user.id);
        switchboard_store::platform::grant(&mut tx.conn, app_id, permission).await?;
        Ok(user)
    }
    .await;
    tx.finish(state, result).await
}

/// The result of making sure an administrator exists.
pub struct AdminBootstrap {
    pub user: User,
    pub account_id: i64,
    pub created: bool,
}

/// Makes `email` an administrator of the first account (creating the account and the user as
/// needed) and sets its password. Used by `create-admin` and by the first start.
pub async fn ensure_admin(conn: &mut AsyncPgConnection, email: Email, password: Password, name: &str) -> CoreResult<AdminBootstrap> {
    let account = match switchboard_store::accounts::first(conn).await? {
        Some(a) => a,
        None => {
            let new = AccountChanges { name: Some("Switchboard".into()), ..Default::default() };
            switchboard_store::accounts::create(conn, &new).await?
        }
    };
    let (user, created) = match switchboard_store::users::find_by_email(conn, email.as_str()).await? {
        Some(user) => {
            let hash = hash_password(password.expose().to_string()).await?;
            // A reset password also replaces the socket credential: new subscriptions need the new one.
            let changes = UserChanges { password_hash: Some(Some(hash)), pubsub_token: Some(random_token(16)), ..Default::default() };
            (switchboard_store::users::update(conn, user.id, &changes).await?, false)
        }
        None => {
            let input = NewUserInput {
                name: name.to_string(),
                display_name: None,
                email,
                password: Some(password),
                custom_attributes: Value::Object(Default::default()),
            };
            (create_user(conn, input).await?, true)
        }
    };
    let member = NewAccountUser {
        account_id: account.id,
        user_id: user.id,
        role: Role::Administrator,
        availability: "online".into(),
        auto_offline: true,
        inviter_id: None,
    };
    switchboard_store::account_users::upsert(conn, &member).await?;
    Ok(AdminBootstrap { user, account_id: account.id, created })
}

/// Changes a user, and with `availability` their availability in one of their accounts (a 422 on
/// `account_id` if it is not theirs). A new password (`changes.password_hash`) also ends their
/// other sessions (all but `keep_session`) and tells every account they belong to, so open
/// sockets check their rights again.
pub async fn update(
    state: &crate::state::AppState,
    user_id: i64,
    changes: &UserChanges,
    keep_session: Option<i64>,
    availability: Option<(i64, switchboard_domain::users::Availability)>,
) -> CoreResult<User> {
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some((account_id, availability)) = availability {
            let member =
                switchboard_store::models::AccountUserChanges { availability: Some(availability.as_str().into()), ..Default::default() };
            switchboard_store::account_users::update(conn, account_id, user_id, &member)
                .await
                .map_err(|_| switchboard_domain::ValidationError::invalid("account_id", "is not one of your accounts"))?;
        }
        let updated = switchboard_store::users::update(conn, user_id, changes).await?;
        // Each of the user's accounts keeps the change (which fields, never a password).
        let mut changed: Vec<&str> = vec![];
        for (field, set) in [
            ("name", changes.name.is_some()),
            ("display_name", changes.display_name.is_some()),
            ("email", changes.email.is_some()),
            ("password", changes.password_hash.is_some()),
            ("message_signature", changes.message_signature.is_some()),
        ] {
            if set {
                changed.push(field);
            }
        }
        if !changed.is_empty() {
            let entry = serde_json::json!({ "id": updated.id, "name": updated.name, "email": updated.email, "changed": changed });
            crate::audit::user_changed(conn, &updated, entry).await?;
        }
        if changes.password_hash.is_some() {
            switchboard_store::users::delete_sessions_of(conn, user_id, keep_session).await?;
            let accounts = crate::events::accounts_of(conn, user_id).await?;
            crate::events::user_access_changed(out, &accounts, user_id)?;
        }
        Ok(updated)
    }
    .await;
    tx.finish(state, result).await
}

/// Deletes a user and every platform app's hold on them; each account they were in hears of it.
pub async fn delete(state: &crate::state::AppState, user_id: i64) -> CoreResult<()> {
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let accounts = crate::events::accounts_of(conn, user_id).await?;
        switchboard_store::users::delete(conn, user_id).await?;
        crate::events::user_access_changed(out, &accounts, user_id)?;
        switchboard_store::platform::revoke_all(conn, switchboard_store::platform::Permissible::User(user_id)).await?;
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// Makes a user a member of an account with `role` (or changes their role there); answers the
/// membership as the platform API shows it. An unknown user is a 422 on `user_id`.
pub async fn attach(state: &crate::state::AppState, account_id: i64, user_id: i64, role: Role) -> CoreResult<crate::views::AccountUser> {
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        switchboard_store::users::find(conn, user_id)
            .await
            .map_err(|_| switchboard_domain::ValidationError::invalid("user_id", "does not exist"))?;
        let member = NewAccountUser { account_id, user_id, role, availability: "online".into(), auto_offline: true, inviter_id: None };
        let member = switchboard_store::account_users::upsert(conn, &member).await?;
        crate::events::access_changed(out, account_id, &[user_id])?;
        Ok(crate::views::account_user(&member))
    }
    .await;
    tx.finish(state, result).await
}

/// Ends a user's membership of an account.
pub async fn detach(state: &crate::state::AppState, account_id: i64, user_id: i64) -> CoreResult<()> {
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if !switchboard_store::account_users::remove(conn, account_id, user_id).await? {
            return Err(crate::error::CoreError::NotFound);
        }
        crate::events::access_changed(out, account_id, &[user_id])?;
        Ok(())
    }
    .await;
    tx.finish(state, result).await
}

/// A session a user opened by proving who they are. `token` is shown once: only its digest is
/// kept.
pub struct Session {
    pub token: String,
    pub client: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Opens a session for a user who signed in, recording the sign-in in each of their accounts'
/// audit logs, in one transaction.
pub async fn start_session(state: &crate::state::AppState, user: &User, remote_address: Option<String>) -> CoreResult<Session> {
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).map_err(CoreError::internal)?;
    let session = Session { token: random_token(32), client: random_token(16), expires_at: chrono::Utc::now() + ttl };
    let mut tx = crate::change::Change::begin(state).await?;
    let result = async {
        let digest = token_digest(&session.token);
        switchboard_store::users::create_session(&mut tx.conn, user.id, &session.client, &digest, session.expires_at).await?;
        crate::audit::sign_in(&mut tx.conn, user, remote_address, true).await
    }
    .await;
    tx.finish(state, result).await?;
    Ok(session)
}

/// Ends a session (signing out).
pub async fn end_session(state: &crate::state::AppState, session_id: i64) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    switchboard_store::users::delete_session(&mut conn, session_id).await?;
    Ok(())
}
