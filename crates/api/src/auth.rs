//! Who is calling: users (api_access_token, or the dashboard's session headers) and platform apps.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload as HttpPayload;
use actix_web::{web, FromRequest, HttpRequest};
use switchboard_domain::users::Role;
use switchboard_store::models::{AccountUser, PlatformApp, User};
use switchboard_store::platform::Permissible;

use crate::error::{ApiError, ApiResult};
use switchboard_core::state::AppState;

pub use switchboard_core::tokens::{random_token, token_digest};

pub use switchboard_core::passwords::{hash_password, verify_password};

fn state(req: &HttpRequest) -> ApiResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::internal("app state missing"))
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    ApiToken,
    /// A dashboard session; the id lets sign-out end exactly this one.
    Session(i64),
}

/// An authenticated user.
pub struct CurrentUser {
    pub user: User,
    pub credential: Credential,
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

async fn authenticate(req: &HttpRequest) -> ApiResult<CurrentUser> {
    let state = state(req)?;
    if let Some(token) = header(req, "api_access_token") {
        let mut conn = state.conn().await?;
        let user = switchboard_store::users::find_by_access_token(&mut conn, &token).await?.ok_or(ApiError::InvalidToken)?;
        return Ok(CurrentUser { user, credential: Credential::ApiToken });
    }
    match (header(req, "access-token"), header(req, "client"), header(req, "uid")) {
        (Some(token), Some(client), Some(uid)) => {
            let mut conn = state.conn().await?;
            let (session, user) = switchboard_store::users::find_session(&mut conn, &uid, &client).await?.ok_or(ApiError::InvalidToken)?;
            if session.token_hash != token_digest(&token) {
                return Err(ApiError::InvalidToken);
            }
            Ok(CurrentUser { user, credential: Credential::Session(session.id) })
        }
        (None, None, None) => Err(ApiError::SignInRequired),
        _ => Err(ApiError::InvalidToken),
    }
}

/// A user acting inside the account named by the `{account_id}` path segment.
///
/// Someone who is not a member gets 404, as for any other account's resource.
pub struct AccountCtx {
    pub user: User,
    pub member: AccountUser,
    pub account_id: i64,
    pub role: Role,
    /// The caller's address (behind trusted proxies, the client's), for the audit log.
    pub remote_address: Option<String>,
}

impl AccountCtx {
    /// The caller as the operations know them.
    pub fn actor(&self) -> switchboard_core::actor::Actor {
        switchboard_core::actor::Actor {
            account_id: self.account_id,
            user_id: self.user.id,
            agent_bot_id: None,
            name: switchboard_core::views::available_name(&self.user).to_string(),
            visibility: self.inbox_visibility(),
            administrator: self.role.can_administer(),
            email: Some(self.user.email.clone()),
            remote_address: self.remote_address.clone(),
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.role.can_administer() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn inbox_visibility(&self) -> switchboard_store::inboxes::Visibility {
        if self.role.sees_all_inboxes() {
            switchboard_store::inboxes::Visibility::All
        } else {
            switchboard_store::inboxes::Visibility::MemberOf(self.user.id)
        }
    }
}

impl FromRequest for AccountCtx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let current = authenticate(&req).await?;
            account_member(&req, current).await
        })
    }
}

fn path_account(req: &HttpRequest) -> ApiResult<i64> {
    Ok(req.match_info().get("account_id").and_then(switchboard_domain::AccountId::parse).ok_or(ApiError::NotFound)?.0)
}

/// The user as a member of the path's account (404 for someone who is not).
async fn account_member(req: &HttpRequest, current: CurrentUser) -> ApiResult<AccountCtx> {
    let account_id = path_account(req)?;
    let state = state(req)?;
    let mut conn = state.conn().await?;
    let member = switchboard_store::account_users::membership(&mut conn, account_id, current.user.id).await?.ok_or(ApiError::NotFound)?;
    let role = member.role;
    let remote_address = crate::client_ip::client_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string());
    Ok(AccountCtx { user: current.user, member, account_id, role, remote_address })
}

/// A user of the account, or an agent bot with its access token, on the three operations a bot
/// may call (create a conversation, toggle its status, create a message). Everywhere else a
/// bot's token is not a user's and gets 401. A bot acts in its own account (a system bot, in the
/// accounts whose inboxes it answers); elsewhere it gets 404 like any other account's caller.
pub struct ActingCtx {
    pub account_id: i64,
    actor: switchboard_core::actor::Actor,
}

impl ActingCtx {
    pub fn actor(&self) -> switchboard_core::actor::Actor {
        self.actor.clone()
    }
}

impl FromRequest for ActingCtx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let bot = match header(&req, "api_access_token") {
                Some(token) => {
                    let state = state(&req)?;
                    let mut conn = state.conn().await?;
                    match switchboard_store::users::find_by_access_token(&mut conn, &token).await? {
                        Some(_) => None,
                        None => Some(switchboard_store::agent_bots::find_by_token(&mut conn, &token).await?.ok_or(ApiError::InvalidToken)?),
                    }
                }
                None => None,
            };
            let Some(bot) = bot else {
                let ctx = account_member(&req, authenticate(&req).await?).await?;
                return Ok(ActingCtx { account_id: ctx.account_id, actor: ctx.actor() });
            };
            let account_id = path_account(&req)?;
            let state = state(&req)?;
            let mut conn = state.conn().await?;
            let serves = match bot.account_id {
                Some(own) => own == account_id,
                None => switchboard_store::agent_bots::serves_account(&mut conn, bot.id, account_id).await?,
            };
            if !serves {
                return Err(ApiError::NotFound);
            }
            Ok(ActingCtx { account_id, actor: switchboard_core::actor::Actor::bot(account_id, &bot) })
        })
    }
}

/// A platform app (`/platform/api/v1`), which may manage only what it created.
pub struct PlatformCtx {
    pub app: PlatformApp,
}

impl PlatformCtx {
    /// Resources of other apps are reported as missing, like another account's resources.
    pub async fn require(&self, state: &AppState, what: Permissible) -> ApiResult<()> {
        let mut conn = state.conn().await?;
        if switchboard_store::platform::is_permitted(&mut conn, self.app.id, what).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }
}

impl FromRequest for PlatformCtx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let token = header(&req, "api_access_token").ok_or(ApiError::SignInRequired)?;
            let mut conn = state.conn().await?;
            let app = switchboard_store::platform::find_by_token(&mut conn, &token).await?.ok_or(ApiError::InvalidToken)?;
            Ok(PlatformCtx { app })
        })
    }
}

/// An integrator of another product, by the account's slug and one of its API keys: the
/// conversations-list API's `api-login` and `api-key` headers, or the retailer API's `Slug` and
/// `Api-Key` (header names are case-insensitive). Missing or wrong: 401; revoked: 403; past the
/// key's per-minute allowance: 429.
#[derive(Debug, Clone, Copy)]
pub struct IntegratorCtx {
    pub account_id: i64,
    pub key_id: i64,
}

impl FromRequest for IntegratorCtx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut HttpPayload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let header =
                |names: &[&str]| names.iter().find_map(|n| req.headers().get(*n)).map(|v| v.to_str().map(str::to_string).map_err(|_| ()));
            let slug =
                header(&["api-login", "slug"]).transpose().map_err(|_| ApiError::BadRequest("the api-login header is not text".into()))?;
            let key = header(&["api-key"]).transpose().map_err(|_| ApiError::BadRequest("the api-key header is not text".into()))?;
            let state = state(&req)?;
            use switchboard_core::integrators::{authenticate, Refusal};
            match authenticate(&state, slug.as_deref(), key.as_deref()).await {
                Ok(i) => Ok(IntegratorCtx { account_id: i.account_id, key_id: i.key_id }),
                Err(Refusal::Missing | Refusal::Wrong) => Err(ApiError::WrongKey),
                Err(Refusal::Revoked(_)) => Err(ApiError::RevokedKey),
                Err(Refusal::Throttled) => Err(ApiError::TooManyRequests { retry_after_secs: 60 }),
                Err(Refusal::Failed(e)) => Err(e.into()),
            }
        })
    }
}
