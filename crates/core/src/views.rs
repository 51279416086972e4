//! The reference's JSON shapes, built from stored rows.

use serde_json::{json, Value};
use switchboard_domain::conversations::SenderType;
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::whatsapp::ChannelConfig;
use switchboard_domain::whatsapp_analytics::NumberCheck;
use switchboard_store::models::{
    Account, AccountUser, Agent, Contact, ContactInbox, GroupMember, Inbox, Label, MessageTemplate, Team, User, Webhook,
};

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
/// A template as the dashboard's template picker reads it (the BSP's own shape).
pub fn message_template(t: &MessageTemplate) -> Value {
    json!({
        "id": t.external_id,
        "name": t.name,
        "language": t.language,
        "status": t.status,
        "category": t.category,
        "previous_category": t.previous_category,
        "rejected_reason": t.reason,
        "components": t.components,
        "quality_metrics": t.metrics,
        "updated_at": t.updated_at.timestamp(),
    })
}

/// The inbox; WhatsApp inboxes add their number, provider, masked config, the webhook URL the
/// BSP must call (administrators only), and their templates.
/// `groups_enabled`: whether Baileys inboxes get group messages (`WHATSAPP_GROUPS_ENABLED`) or
/// only activity summaries.
/// `callbacks`: API inboxes' callback endpoints, whose state administrators see.
pub fn inbox_with(
    i: &Inbox,
    admin: bool,
    public_url: &str,
    templates: &[MessageTemplate],
    groups_enabled: bool,
    callbacks: &[Webhook],
) -> Value {
    let mut v = inbox(i, admin);
    if admin && i.channel_type == ChannelType::Api {
        // Where the inbox's webhook_url stands: its delivery log is
        // GET …/webhooks/{callback_webhook.id}/deliveries.
        v["callback_webhook"] = json!(callbacks.iter().find(|w| w.inbox_id == Some(i.id)).map(|w| json!({
            "id": w.id,
            "enabled": w.enabled,
            "disabled_reason": w.disabled_reason,
            "failing_since": w.failing_since.map(|t| t.timestamp()),
        })));
    }
    if i.channel_type == ChannelType::Whatsapp {
        v["phone_number"] = json!(i.phone_number);
        v["provider"] = json!(i.provider);
        // The URL holds the webhook's secret: whoever knows it can post inbound messages.
        let webhook = i.webhook_token.as_ref().filter(|_| admin);
        v["webhook_url"] = json!(webhook.map(|t| format!("{}/webhooks/whatsapp/{t}", public_url.trim_end_matches('/'))));
        v["message_templates"] = json!(templates.iter().filter(|t| t.inbox_id == i.id).map(message_template).collect::<Vec<_>>());
        v["message_templates_last_updated"] = json!(i.message_templates_synced_at.map(|t| t.timestamp()));
        let can = switchboard_domain::whatsapp::Provider::of(i.provider).capabilities();
        if can.groups {
            v["groups_enabled"] = json!(groups_enabled);
        }
        if can.templates {
            bsp_number(&mut v, i, admin);
        }
        if admin {
            let config = ChannelConfig::from_stored(i.provider, &i.provider_config).map(|c| c.masked()).unwrap_or(json!({}));
            v["provider_config"] = config;
        }
    }
    v
}

/// What the BSP's getPhoneNumbers last said of the number: null until it was asked (it needs
/// the analytics token). Administrators also see when, and why the last look failed.
fn bsp_number(v: &mut Value, i: &Inbox, admin: bool) {
    let check: NumberCheck = i.bsp_number.clone().and_then(|n| serde_json::from_value(n).ok()).unwrap_or_default();
    v["verified_name"] = json!(check.details.verified_name);
    v["display_phone_number"] = json!(check.details.display_phone_number);
    v["quality_rating"] = json!(check.details.quality_rating);
    v["code_verification_status"] = json!(check.details.code_verification_status);
    if admin {
        v["phone_number_checked_at"] = json!(check.checked_at.map(|t| t.timestamp()));
        v["phone_number_check_error"] = json!(check.error);
    }
}

pub fn inbox(i: &Inbox, admin: bool) -> Value {
    let channel = i.channel_type;
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
        "slug": a.slug,
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
            "channel_type": inbox.channel_type.reference_name(),
            "provider": null,
        },
    })
}

/// A contact with its inbox identities (`identities` may hold other contacts' rows: a page's worth).
pub fn contact(c: &Contact, identities: &[(ContactInbox, Inbox)]) -> Value {
    let inboxes: Vec<Value> = identities.iter().filter(|(ci, _)| ci.contact_id == c.id).map(|(ci, i)| contact_inbox(ci, i)).collect();
    let mut v = contact_sender(c);
    v["group_type"] = json!(c.group_type);
    v["contact_inboxes"] = json!(inboxes);
    v
}

/// A member of a WhatsApp group, with who they are.
pub fn group_member(m: &GroupMember, c: &Contact) -> Value {
    json!({
        "id": m.id,
        "role": m.role,
        "is_active": m.is_active,
        "group_contact_id": m.group_contact_id,
        "contact": {
            "id": c.id,
            "name": c.name,
            "phone_number": c.phone_number,
            "identifier": c.identifier,
            "thumbnail": c.thumbnail,
        },
    })
}

/// The contact as the sender of a conversation or message.
pub fn contact_sender(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone_number": c.phone_number,
        "identifier": c.identifier,
        "thumbnail": c.thumbnail,
        "blocked": c.blocked,
        "additional_attributes": c.additional_attributes,
        "custom_attributes": c.custom_attributes,
        "availability_status": "offline",
        "last_activity_at": c.last_activity_at.map(|t| t.timestamp()),
        "created_at": c.created_at.timestamp(),
        "type": "contact",
    })
}

/// A user as the assignee or sender of something.
pub fn user_brief(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "available_name": available_name(u),
        "email": u.email,
        "thumbnail": "",
        "avatar_url": "",
        "type": "user",
    })
}

/// An agent bot as the sender of a message.
pub fn agent_bot_brief(b: &switchboard_store::models::AgentBot) -> Value {
    json!({
        "id": b.id,
        "name": b.name,
        "thumbnail": b.avatar_url.as_deref().unwrap_or_default(),
        "avatar_url": b.avatar_url.as_deref().unwrap_or_default(),
        "type": "agent_bot",
    })
}

/// An attachment; `url` is its signed (or external) address.
pub fn attachment(a: &switchboard_store::models::Attachment, url: String) -> Value {
    let extension = a.file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase());
    json!({
        "id": a.id,
        "message_id": a.message_id,
        "account_id": a.account_id,
        "file_type": a.file_type,
        "content_type": a.content_type,
        "file_name": a.file_name,
        "extension": extension,
        "file_size": a.file_size,
        "data_url": url,
        "thumb_url": if a.file_type == "image" { url.clone() } else { String::new() },
        "meta": a.meta,
    })
}

/// A soft-disabled group's messages are not stored; its summary says how many came. They are
/// unseen until an agent looks at the conversation after the last one.
fn unseen_group_activity(c: &switchboard_store::models::Conversation) -> i64 {
    let Some(summary) = c.additional_attributes.get("group_activity") else { return 0 };
    let last = summary.get("last_message_at").and_then(Value::as_i64).unwrap_or(0);
    if c.agent_last_seen_at.is_some_and(|seen| seen.timestamp() >= last) {
        return 0;
    }
    summary.get("unread_count").and_then(Value::as_i64).unwrap_or(0)
}

/// A message; `display_id` is its conversation's public id and `sender` the resolved sender.
pub fn message(m: &switchboard_store::models::Message, display_id: i64, sender: Option<Value>, attachments: Vec<Value>) -> Value {
    let mut attributes = m.content_attributes.clone();
    if let (Some(obj), Some(err)) = (attributes.as_object_mut(), &m.external_error) {
        obj.insert("external_error".into(), json!(err));
    }
    json!({
        "id": m.id,
        "content": m.content,
        "account_id": m.account_id,
        "inbox_id": m.inbox_id,
        "conversation_id": display_id,
        "message_type": m.message_type,
        "content_type": m.content_type,
        "status": m.status,
        "content_attributes": attributes,
        "additional_attributes": m.additional_attributes,
        "created_at": m.created_at.timestamp(),
        "updated_at": m.updated_at.timestamp(),
        "private": m.private,
        "source_id": m.source_id,
        "echo_id": m.echo_id,
        "sender_type": m.sender_type.map(SenderType::class_name),
        "sender_id": m.sender_id,
        "sender": sender,
        "external_error": m.external_error,
        "processed_message_content": m.content,
        "attachments": attachments,
    })
}

/// A conversation in the reference's list/show shape, from a page's batch-loaded relations.
pub fn conversation(
    c: &switchboard_store::models::Conversation,
    inbox: Option<&Inbox>,
    related: &switchboard_store::conversations::Related,
    attachments: &[(i64, Value)],
) -> Value {
    let sender = related.contact(c).map(contact_sender);
    let last = related.last_message(c).map(|m| {
        let from = match m.sender_type {
            Some(SenderType::Contact) => sender.clone(),
            Some(SenderType::User) => m.sender_id.and_then(|id| related.assignees.iter().find(|u| u.id == id)).map(user_brief),
            _ => None,
        };
        let files = attachments.iter().filter(|(id, _)| *id == m.id).map(|(_, v)| v.clone()).collect();
        message(m, c.display_id, from, files)
    });
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp());
    json!({
        "id": c.display_id,
        "account_id": c.account_id,
        "uuid": c.uuid,
        "inbox_id": c.inbox_id,
        "status": c.status,
        "priority": c.priority,
        "group_type": c.group_type,
        "labels": c.labels,
        "muted": c.muted,
        "can_reply": true,
        "snoozed_until": ts(c.snoozed_until),
        "additional_attributes": c.additional_attributes,
        "custom_attributes": c.custom_attributes,
        "agent_last_seen_at": ts(c.agent_last_seen_at),
        "assignee_last_seen_at": ts(c.assignee_last_seen_at),
        "contact_last_seen_at": ts(c.contact_last_seen_at),
        "first_reply_created_at": ts(c.first_reply_created_at),
        "waiting_since": ts(c.waiting_since),
        "last_activity_at": c.last_activity_at.timestamp(),
        "timestamp": c.last_activity_at.timestamp(),
        "created_at": c.created_at.timestamp(),
        "updated_at": c.updated_at.timestamp(),
        "unread_count": related.unread_count(c).max(unseen_group_activity(c)),
        "messages": last.iter().cloned().collect::<Vec<_>>(),
        "last_non_activity_message": last,
        "meta": {
            "sender": sender,
            "channel": inbox.map(|i| i.channel_type.reference_name()),
            "assignee": related.assignee(c).map(user_brief),
            "team": related.team(c).map(|t| team(t, false)),
            "hmac_verified": false,
        },
    })
}

/// A conversation as the conversations-list API shows it. `purpose` is `alert` when we wrote
/// first (a notification or an outreach) and `conversation` when the contact did; `color` is the
/// status: 0 open, 1 pending, 2 resolved, 3 snoozed.
pub fn listed_conversation(c: &switchboard_store::integrations::ListedConversation) -> Value {
    let iso = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
    let channel = match c.channel_type {
        ChannelType::Whatsapp => "whatsapp",
        ChannelType::Api => "api",
    };
    let from = match c.inbox_phone.as_deref() {
        Some(phone) => phone.trim_start_matches('+').to_string(),
        None => c.inbox_identifier.clone(),
    };
    let purpose = match c.first_message_type {
        Some(0) | None => "conversation",
        Some(_) => "alert",
    };
    let color = match c.status.as_str() {
        "pending" => 1,
        "resolved" => 2,
        "snoozed" => 3,
        _ => 0,
    };
    let mut v = json!({
        "conversation_id": c.display_id.to_string(),
        "last_user_channel": channel,
        "recipient_details": { "phone_number": c.contact_phone.as_deref().map(|p| p.trim_start_matches('+')), "name": c.contact_name },
        "from": from,
        "first_message_at": iso(c.first_message_at).or_else(|| iso(Some(c.created_at))),
        "last_message_at": iso(c.last_message_at).or_else(|| iso(Some(c.created_at))),
        "last_message": c.last_message,
        "purpose": purpose,
        "color": color,
        "number_of_messages": c.number_of_messages,
    });
    if let Some(agent) = &c.agent_name {
        v["agent_assigned_to"] = json!(agent);
    }
    v
}
