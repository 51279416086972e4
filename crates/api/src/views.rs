//! The reference's JSON shapes, built from stored rows.

use serde_json::{json, Value};
use switchboard_domain::inbox::ChannelType;
use switchboard_store::models::{Account, AccountUser, Agent, Contact, ContactInbox, Inbox, Label, Team, User};

pub fn available_name(user: &User) -> &str {
    user.display_name.as_deref().filter(|d| !d.is_empty()).unwrap_or(&user.name)
}

/// The profile / sign-in user, with every account it belongs to. The first account is the
/// "active" one whose role the top-level `role` and `account_id` report.
pub fn user(user: &User, memberships: &[(AccountUser, Account)]) -> Value {
    let accounts: Vec<Value> = memberships
        .iter()
        .map(|(m, a)| {
            json!({
                "id": a.id,
                "name": a.name,
                "status": a.status,
                "active_at": m.active_at,
                "role": m.role,
                "permissions": [m.role],
                "availability": m.availability,
                "availability_status": m.availability,
                "auto_offline": m.auto_offline,
                "custom_role_id": null,
                "custom_role": null,
            })
        })
        .collect();
    let active = memberships.first();
    json!({
        "id": user.id,
        "access_token": user.access_token,
        "account_id": active.map(|(m, _)| m.account_id),
        "available_name": available_name(user),
        "avatar_url": "",
        "confirmed": true,
        "display_name": user.display_name,
        "message_signature": user.message_signature,
        "email": user.email,
        "hmac_identifier": "",
        "inviter_id": active.and_then(|(m, _)| m.inviter_id),
        "name": user.name,
        "provider": "email",
        "pubsub_token": user.pubsub_token,
        "role": active.map(|(m, _)| m.role.as_str()),
        "ui_settings": user.ui_settings,
        "uid": user.email,
        "type": null,
        "custom_attributes": user.custom_attributes,
        "accounts": accounts,
    })
}

pub fn agent(a: &Agent) -> Value {
    json!({
        "id": a.user.id,
        "account_id": a.member.account_id,
        "availability_status": a.member.availability,
        "auto_offline": a.member.auto_offline,
        "confirmed": true,
        "email": a.user.email,
        "provider": "email",
        "available_name": available_name(&a.user),
        "name": a.user.name,
        "role": a.member.role,
        "thumbnail": "",
        "custom_role_id": null,
    })
}

pub fn agents(list: &[Agent]) -> Vec<Value> {
    list.iter().map(agent).collect()
}

/// Admins also see the channel's secrets (HMAC token, webhook secret), as in the reference.
pub fn inbox(i: &Inbox, admin: bool) -> Value {
    let channel = ChannelType::from_stored(&i.channel_type);
    let mut v = json!({
        "id": i.id,
        "account_id": i.account_id,
        "avatar_url": "",
        "channel_id": i.id,
        "name": i.name,
        "channel_type": channel.reference_name(),
        "greeting_enabled": i.greeting_enabled,
        "greeting_message": i.greeting_message,
        "working_hours_enabled": i.working_hours_enabled,
        "enable_email_collect": i.enable_email_collect,
        "csat_survey_enabled": i.csat_survey_enabled,
        "enable_auto_assignment": i.enable_auto_assignment,
        "auto_assignment_config": i.auto_assignment_config,
        "out_of_office_message": i.out_of_office_message,
        "working_hours": i.working_hours,
        "timezone": i.timezone,
        "callback_webhook_url": null,
        "allow_messages_after_resolved": i.allow_messages_after_resolved,
        "lock_to_single_conversation": i.lock_to_single_conversation,
        "sender_name_type": i.sender_name_type,
        "business_name": i.business_name,
        "widget_color": null,
        "website_url": null,
        "website_token": null,
        "hmac_mandatory": i.hmac_mandatory,
        "selected_feature_flags": null,
        "reply_time": null,
        "messaging_service_sid": null,
        "phone_number": null,
        "medium": null,
        "provider": null,
        "webhook_url": i.webhook_url,
        "inbox_identifier": i.inbox_identifier,
    });
    if admin {
        v["hmac_token"] = json!(i.hmac_token);
        v["secret"] = json!(i.secret);
    }
    v
}

pub fn team(t: &Team, is_member: bool) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "allow_auto_assign": t.allow_auto_assign,
        "account_id": t.account_id,
        "is_member": is_member,
    })
}

pub fn label(l: &Label) -> Value {
    json!({
        "id": l.id,
        "title": l.title,
        "description": l.description,
        "color": l.color,
        "show_on_sidebar": l.show_on_sidebar,
    })
}

/// `GET /api/v1/accounts/{id}` (account_show_response).
pub fn account(a: &Account) -> Value {
    let setting = |k: &str| a.settings.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": a.id,
        "name": a.name,
        "locale": a.locale,
        "domain": a.domain,
        "support_email": a.support_email,
        "status": a.status,
        "created_at": a.created_at,
        "cache_keys": {},
        "features": [],
        "settings": {
            "auto_resolve_after": setting("auto_resolve_after"),
            "auto_resolve_message": setting("auto_resolve_message"),
            "auto_resolve_ignore_waiting": setting("auto_resolve_ignore_waiting"),
        },
        "custom_attributes": a.custom_attributes,
        "latest_chatwoot_version": env!("CARGO_PKG_VERSION"),
        "subscribed_features": [],
    })
}

/// Platform API account (platform_account).
pub fn platform_account(a: &Account) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "locale": a.locale,
        "domain": a.domain,
        "support_email": a.support_email,
        "status": a.status,
        "limits": a.limits,
        "custom_attributes": a.custom_attributes,
        "created_at": a.created_at,
    })
}

pub fn account_user(m: &AccountUser) -> Value {
    json!({ "account_id": m.account_id, "user_id": m.user_id, "role": m.role })
}

/// The short inbox a contact's identities carry.
pub fn contact_inbox(ci: &ContactInbox, inbox: &Inbox) -> Value {
    json!({
        "source_id": ci.source_id,
        "hmac_verified": ci.hmac_verified,
        "inbox": {
            "id": inbox.id,
            "avatar_url": "",
            "channel_id": inbox.id,
            "name": inbox.name,
            "channel_type": ChannelType::from_stored(&inbox.channel_type).reference_name(),
            "provider": null,
        },
    })
}

/// A contact with its inbox identities (`identities` may hold other contacts' rows: a page's worth).
pub fn contact(c: &Contact, identities: &[(ContactInbox, Inbox)]) -> Value {
    let inboxes: Vec<Value> = identities.iter().filter(|(ci, _)| ci.contact_id == c.id).map(|(ci, i)| contact_inbox(ci, i)).collect();
    json!({
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone_number": c.phone_number,
        "identifier": c.identifier,
        "thumbnail": c.thumbnail,
        "blocked": c.blocked,
        "group_type": c.group_type,
        "availability_status": "offline",
        "additional_attributes": c.additional_attributes,
        "custom_attributes": c.custom_attributes,
        "last_activity_at": c.last_activity_at.map(|t| t.timestamp()),
        "created_at": c.created_at.timestamp(),
        "contact_inboxes": inboxes,
    })
}
