//! Creating users (hashing their password, minting their tokens) and the first administrator.

use serde_json::Value;
use switchboard_domain::users::{Email, Password, Role};
use switchboard_store::models::{AccountChanges, NewAccountUser, NewUser, User, UserChanges};
use switchboard_store::AsyncPgConnection;

use crate::error::CoreResult;
use crate::passwords::hash_password;
use crate::tokens::random_token;

pub struct NewUserInput {
    pub name: String,
    pub display_name: Option<String>,
    pub email: Email,
    pub password: Option<Password>,
    pub custom_attributes: Value,
}

/// Creates a user with fresh API and pubsub tokens; the password, if any, is hashed first.
pub async fn create_user(conn: &mut AsyncPgConnection, input: NewUserInput) -> CoreResult<User> {
    let password_hash = match input.password {
        Some(p) => Some(hash_password(p.expose().to_string()).await?),
        None => None,
    };
    let new = NewUser {
        name: input.name,
        display_name: input.display_name,
        email: input.email.into_inner(),
        password_hash,
        pubsub_token: random_token(16),
        access_token: random_token(24),
        custom_attributes: input.custom_attributes,
    };
    Ok(switchboard_store::users::create(conn, &new).await?)
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
        role: Role::Administrator.as_str().into(),
        availability: "online".into(),
        auto_offline: true,
        inviter_id: None,
    };
    switchboard_store::account_users::upsert(conn, &member).await?;
    Ok(AdminBootstrap { user, account_id: account.id, created })
}
