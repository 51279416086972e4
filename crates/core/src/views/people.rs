//! People as clients see them: the signed-in profile, agents, the short forms of users, bots and
//! contacts that senders and assignees carry, contacts with their inbox identities, and group
//! members.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use switchboard_domain::users::Role;
use switchboard_store::models::{self as rows, AccountUser, User};

use super::seconds;

pub fn available_name(user: &User) -> &str {
    user.display_name.as_deref().filter(|d| !d.is_empty()).unwrap_or(&user.name)
}

/// One of the accounts a profile belongs to, with the user's standing in it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileAccount {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub active_at: Option<DateTime<Utc>>,
    pub role: Role,
    pub permissions: [Role; 1],
    pub availability: String,
    pub availability_status: String,
    pub auto_offline: bool,
    pub custom_role_id: Option<i64>,
    pub custom_role: Option<Value>,
}

/// The profile / sign-in user (`GET /api/v1/profile`, `POST /auth/sign_in`).
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: i64,
    pub access_token: String,
    pub account_id: Option<i64>,
    pub available_name: String,
    pub avatar_url: &'static str,
    pub confirmed: bool,
    pub display_name: Option<String>,
    pub message_signature: Option<String>,
    pub email: String,
    pub hmac_identifier: &'static str,
    pub inviter_id: Option<i64>,
    pub name: String,
    pub provider: &'static str,
    pub pubsub_token: String,
    pub role: Option<Role>,
    pub ui_settings: Value,
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub custom_attributes: Value,
    pub accounts: Vec<ProfileAccount>,
}

/// The profile with every account it belongs to. The first account is the "active" one whose
/// role the top-level `role` and `account_id` report.
pub fn user(user: &User, memberships: &[(AccountUser, rows::Account)]) -> Profile {
    let accounts = memberships
        .iter()
        .map(|(m, a)| ProfileAccount {
            id: a.id,
            name: a.name.clone(),
            status: a.status.clone(),
            active_at: m.active_at,
            role: m.role,
            permissions: [m.role],
            availability: m.availability.clone(),
            availability_status: m.availability.clone(),
            auto_offline: m.auto_offline,
            custom_role_id: None,
            custom_role: None,
        })
        .collect();
    let active = memberships.first().map(|(m, _)| m);
    Profile {
        id: user.id,
        access_token: user.access_token.clone(),
        account_id: active.map(|m| m.account_id),
        available_name: available_name(user).to_string(),
        avatar_url: "",
        confirmed: true,
        display_name: user.display_name.clone(),
        message_signature: user.message_signature.clone(),
        email: user.email.clone(),
        hmac_identifier: "",
        inviter_id: active.and_then(|m| m.inviter_id),
        name: user.name.clone(),
        provider: "email",
        pubsub_token: user.pubsub_token.clone(),
        role: active.map(|m| m.role),
        ui_settings: user.ui_settings.clone(),
        uid: user.email.clone(),
        kind: None,
        custom_attributes: user.custom_attributes.clone(),
        accounts,
    }
}

/// An account's agent (`GET …/agents`, inbox and team members).
#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: i64,
    pub account_id: i64,
    pub availability_status: String,
    pub auto_offline: bool,
    pub confirmed: bool,
    pub email: String,
    pub provider: &'static str,
    pub available_name: String,
    pub name: String,
    pub role: Role,
    pub thumbnail: &'static str,
    pub custom_role_id: Option<i64>,
}

pub fn agent(a: &rows::Agent) -> Agent {
    Agent {
        id: a.user.id,
        account_id: a.member.account_id,
        availability_status: a.member.availability.clone(),
        auto_offline: a.member.auto_offline,
        confirmed: true,
        email: a.user.email.clone(),
        provider: "email",
        available_name: available_name(&a.user).to_string(),
        name: a.user.name.clone(),
        role: a.member.role,
        thumbnail: "",
        custom_role_id: None,
    }
}

pub fn agents(list: &[rows::Agent]) -> Vec<Agent> {
    list.iter().map(agent).collect()
}

/// A user as the assignee or sender of something.
#[derive(Debug, Clone, Serialize)]
pub struct UserBrief {
    pub id: i64,
    pub name: String,
    pub available_name: String,
    pub email: String,
    pub thumbnail: &'static str,
    pub avatar_url: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub fn user_brief(u: &User) -> UserBrief {
    UserBrief {
        id: u.id,
        name: u.name.clone(),
        available_name: available_name(u).to_string(),
        email: u.email.clone(),
        thumbnail: "",
        avatar_url: "",
        kind: "user",
    }
}

/// An agent bot as the sender of a message.
#[derive(Debug, Clone, Serialize)]
pub struct AgentBotBrief {
    pub id: i64,
    pub name: String,
    pub thumbnail: String,
    pub avatar_url: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub fn agent_bot_brief(b: &rows::AgentBot) -> AgentBotBrief {
    let avatar = b.avatar_url.clone().unwrap_or_default();
    AgentBotBrief { id: b.id, name: b.name.clone(), thumbnail: avatar.clone(), avatar_url: avatar, kind: "agent_bot" }
}

/// The contact as the sender of a conversation or message.
#[derive(Debug, Clone, Serialize)]
pub struct ContactSender {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    pub thumbnail: String,
    pub blocked: bool,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
    pub availability_status: &'static str,
    pub last_activity_at: Option<i64>,
    pub created_at: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub fn contact_sender(c: &rows::Contact) -> ContactSender {
    ContactSender {
        id: c.id,
        name: c.name.clone(),
        email: c.email.clone(),
        phone_number: c.phone_number.clone(),
        identifier: c.identifier.clone(),
        thumbnail: c.thumbnail.clone(),
        blocked: c.blocked,
        additional_attributes: c.additional_attributes.clone(),
        custom_attributes: c.custom_attributes.clone(),
        availability_status: "offline",
        last_activity_at: seconds(c.last_activity_at),
        created_at: c.created_at.timestamp(),
        kind: "contact",
    }
}

/// The short inbox a contact's identities carry.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityInbox {
    pub id: i64,
    pub avatar_url: &'static str,
    pub channel_id: i64,
    pub name: String,
    pub channel_type: &'static str,
    pub provider: Option<String>,
}

/// One of a contact's identities: the inbox it writes in and its id there.
#[derive(Debug, Clone, Serialize)]
pub struct ContactInbox {
    pub source_id: String,
    pub hmac_verified: bool,
    pub inbox: IdentityInbox,
}

pub fn contact_inbox(ci: &rows::ContactInbox, inbox: &rows::Inbox) -> ContactInbox {
    ContactInbox {
        source_id: ci.source_id.clone(),
        hmac_verified: ci.hmac_verified,
        inbox: IdentityInbox {
            id: inbox.id,
            avatar_url: "",
            channel_id: inbox.id,
            name: inbox.name.clone(),
            channel_type: inbox.channel_type.reference_name(),
            provider: None,
        },
    }
}

/// A contact with its inbox identities.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    #[serde(flatten)]
    pub sender: ContactSender,
    pub group_type: String,
    pub contact_inboxes: Vec<ContactInbox>,
}

/// `identities` may hold other contacts' rows: a page's worth.
pub fn contact(c: &rows::Contact, identities: &[(rows::ContactInbox, rows::Inbox)]) -> Contact {
    Contact {
        sender: contact_sender(c),
        group_type: c.group_type.clone(),
        contact_inboxes: identities.iter().filter(|(ci, _)| ci.contact_id == c.id).map(|(ci, i)| contact_inbox(ci, i)).collect(),
    }
}

/// Who a group member is.
#[derive(Debug, Clone, Serialize)]
pub struct MemberContact {
    pub id: i64,
    pub name: String,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    pub thumbnail: String,
}

/// A member of a WhatsApp group, with who they are.
#[derive(Debug, Clone, Serialize)]
pub struct GroupMember {
    pub id: i64,
    pub role: String,
    pub is_active: bool,
    pub group_contact_id: i64,
    pub contact: MemberContact,
}

pub fn group_member(m: &rows::GroupMember, c: &rows::Contact) -> GroupMember {
    GroupMember {
        id: m.id,
        role: m.role.clone(),
        is_active: m.is_active,
        group_contact_id: m.group_contact_id,
        contact: MemberContact {
            id: c.id,
            name: c.name.clone(),
            phone_number: c.phone_number.clone(),
            identifier: c.identifier.clone(),
            thumbnail: c.thumbnail.clone(),
        },
    }
}

/// `POST …/contacts`: the contact, and the identity created in the inbox it was given (null
/// without one).
#[derive(Debug, Clone, Serialize)]
pub struct CreatedContact {
    pub contact: Contact,
    pub contact_inbox: Option<ContactInbox>,
}

/// A group contact with its active members (`contact.group_synced`, a group's sync answer), so
/// a dashboard can redraw both at once.
#[derive(Debug, Clone, Serialize)]
pub struct GroupContact {
    #[serde(flatten)]
    pub contact: Contact,
    pub group_members: Vec<GroupMember>,
}

/// A contact as its own client, and agents watching it type, see its author line.
#[derive(Debug, Clone, Serialize)]
pub struct ContactBrief {
    pub id: i64,
    pub name: String,
    pub thumbnail: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub fn contact_brief(c: &rows::Contact) -> ContactBrief {
    ContactBrief { id: c.id, name: c.name.clone(), thumbnail: c.thumbnail.clone(), kind: "contact" }
}

/// Someone named by id and name only (an author, a survey's contact or agent).
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}
