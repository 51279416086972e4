//! An account and what its administrators curate: the account itself (as its users and as the
//! platform API see it), memberships, teams and labels.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use switchboard_domain::users::Role;
use switchboard_store::models as rows;

/// The account settings the dashboard reads (auto-resolve); null where never set.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSettings {
    pub auto_resolve_after: Value,
    pub auto_resolve_message: Value,
    pub auto_resolve_ignore_waiting: Value,
}

/// `GET /api/v1/accounts/{id}` (account_show_response).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub locale: String,
    pub domain: Option<String>,
    pub support_email: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub cache_keys: Map<String, Value>,
    pub features: Vec<String>,
    pub settings: AccountSettings,
    pub custom_attributes: Value,
    pub slug: Option<String>,
    pub latest_chatwoot_version: &'static str,
    pub subscribed_features: Vec<String>,
}

pub fn account(a: &rows::Account) -> Account {
    let setting = |k: &str| a.settings.get(k).cloned().unwrap_or(Value::Null);
    Account {
        id: a.id,
        name: a.name.clone(),
        locale: a.locale.clone(),
        domain: a.domain.clone(),
        support_email: a.support_email.clone(),
        status: a.status.clone(),
        created_at: a.created_at,
        cache_keys: Map::new(),
        features: vec![],
        settings: AccountSettings {
            auto_resolve_after: setting("auto_resolve_after"),
            auto_resolve_message: setting("auto_resolve_message"),
            auto_resolve_ignore_waiting: setting("auto_resolve_ignore_waiting"),
        },
        custom_attributes: a.custom_attributes.clone(),
        slug: a.slug.clone(),
        latest_chatwoot_version: env!("CARGO_PKG_VERSION"),
        subscribed_features: vec![],
    }
}

/// Platform API account (platform_account).
#[derive(Debug, Clone, Serialize)]
pub struct PlatformAccount {
    pub id: i64,
    pub name: String,
    pub locale: String,
    pub domain: Option<String>,
    pub support_email: Option<String>,
    pub status: String,
    pub limits: Value,
    pub custom_attributes: Value,
    pub created_at: DateTime<Utc>,
}

pub fn platform_account(a: &rows::Account) -> PlatformAccount {
    PlatformAccount {
        id: a.id,
        name: a.name.clone(),
        locale: a.locale.clone(),
        domain: a.domain.clone(),
        support_email: a.support_email.clone(),
        status: a.status.clone(),
        limits: a.limits.clone(),
        custom_attributes: a.custom_attributes.clone(),
        created_at: a.created_at,
    }
}

/// A user's membership in an account (platform API).
#[derive(Debug, Clone, Serialize)]
pub struct AccountUser {
    pub account_id: i64,
    pub user_id: i64,
    pub role: Role,
}

pub fn account_user(m: &rows::AccountUser) -> AccountUser {
    AccountUser { account_id: m.account_id, user_id: m.user_id, role: m.role }
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub allow_auto_assign: bool,
    pub account_id: i64,
    pub is_member: bool,
}

pub fn team(t: &rows::Team, is_member: bool) -> Team {
    Team {
        id: t.id,
        name: t.name.clone(),
        description: t.description.clone(),
        allow_auto_assign: t.allow_auto_assign,
        account_id: t.account_id,
        is_member,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub color: String,
    pub show_on_sidebar: bool,
}

pub fn label(l: &rows::Label) -> Label {
    Label {
        id: l.id,
        title: l.title.clone(),
        description: l.description.clone(),
        color: l.color.clone(),
        show_on_sidebar: l.show_on_sidebar,
    }
}
