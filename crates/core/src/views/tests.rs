//! The shape rules the views encode beyond their field lists: what is flattened, what is left
//! out rather than null, and how each kind of sender names itself. Every REST answer is also
//! checked against `openapi/openapi.json` by the API tests; these cover the event payloads and
//! the reader-dependent fields the document cannot tell apart.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use switchboard_domain::conversations::{SenderType, Status};
use switchboard_domain::inbox::ChannelType;
use switchboard_domain::whatsapp::{Delivery, Provider};
use switchboard_store::models as rows;

use super::*;

fn at() -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0).single().unwrap_or_default()
}

fn message_row() -> rows::Message {
    rows::Message {
        id: 9,
        account_id: 1,
        inbox_id: 2,
        conversation_id: 40,
        message_type: switchboard_domain::conversations::MessageType::Outgoing,
        content: Some("hi".into()),
        content_type: "text".into(),
        content_attributes: json!({}),
        additional_attributes: json!({}),
        private: false,
        status: Delivery::Failed,
        source_id: None,
        sender_type: Some(SenderType::User),
        sender_id: Some(5),
        external_error: Some("131047: re-engagement".into()),
        echo_id: None,
        created_at: at(),
        updated_at: at(),
    }
}

fn contact() -> rows::Contact {
    rows::Contact {
        id: 7,
        account_id: 1,
        name: "Ana".into(),
        email: None,
        phone_number: Some("+593999999999".into()),
        identifier: None,
        thumbnail: String::new(),
        blocked: false,
        group_type: "individual".into(),
        additional_attributes: json!({}),
        custom_attributes: json!({}),
        labels: vec![],
        last_activity_at: None,
        created_at: at(),
        updated_at: at(),
    }
}

fn conversation() -> rows::Conversation {
    rows::Conversation {
        id: 40,
        account_id: 1,
        display_id: 3,
        inbox_id: 2,
        contact_id: 7,
        contact_inbox_id: Some(11),
        assignee_id: Some(5),
        team_id: None,
        status: Status::Pending,
        priority: None,
        group_type: "individual".into(),
        snoozed_until: None,
        labels: vec![],
        uuid: "u".into(),
        additional_attributes: json!({}),
        custom_attributes: json!({}),
        last_activity_at: at(),
        waiting_since: None,
        first_reply_created_at: None,
        agent_last_seen_at: None,
        assignee_last_seen_at: None,
        contact_last_seen_at: None,
        created_at: at(),
        updated_at: at(),
        muted: false,
    }
}

fn inbox_row(channel_type: ChannelType, provider: Option<Provider>) -> rows::Inbox {
    rows::Inbox {
        id: 2,
        account_id: 1,
        name: "Sales".into(),
        channel_type,
        inbox_identifier: "ident".into(),
        webhook_url: None,
        hmac_token: "hmac-secret".into(),
        hmac_mandatory: false,
        secret: "signing-secret".into(),
        channel_attributes: json!({}),
        greeting_enabled: false,
        greeting_message: None,
        enable_email_collect: true,
        csat_survey_enabled: false,
        enable_auto_assignment: true,
        auto_assignment_config: json!({}),
        working_hours_enabled: false,
        working_hours: json!([]),
        out_of_office_message: None,
        timezone: "UTC".into(),
        allow_messages_after_resolved: true,
        lock_to_single_conversation: false,
        sender_name_type: "friendly".into(),
        business_name: None,
        created_at: at(),
        updated_at: at(),
        phone_number: Some("+593988888888".into()),
        provider,
        provider_config: json!({}),
        webhook_token: Some("hook-token".into()),
        message_templates_synced_at: None,
        bsp_number: None,
    }
}

fn shown(v: &impl serde::Serialize) -> Value {
    value(v).unwrap_or_default()
}

#[test]
fn a_message_event_is_the_message_with_its_conversations_state() {
    let m = message_row();
    let view = message(&m, 3, None, vec![]);
    let event = shown(&events::message_event(&view, &conversation()));
    assert_eq!((event["id"].as_i64(), event["conversation_id"].as_i64()), (Some(9), Some(3)), "{event}");
    assert_eq!(event["conversation"], json!({ "id": 3, "status": "pending", "assignee_id": 5, "inbox_id": 2 }));
    assert_eq!((event["status"].as_str(), event["sender_type"].as_str()), (Some("failed"), Some("User")));
    // A failed send's reason is also where the dashboard reads it.
    assert_eq!(event["content_attributes"]["external_error"], "131047: re-engagement");
}

#[test]
fn each_sender_names_its_kind() {
    let user = rows::User {
        id: 5,
        name: "Bo".into(),
        display_name: Some(String::new()),
        email: "bo@x.test".into(),
        password_hash: None,
        pubsub_token: "p".into(),
        access_token: "a".into(),
        message_signature: None,
        ui_settings: json!({}),
        custom_attributes: json!({}),
        created_at: at(),
        updated_at: at(),
    };
    let senders = [Sender::Contact(contact_sender(&contact())), Sender::User(user_brief(&user))];
    let kinds: Vec<Value> = senders.iter().map(|s| shown(s)["type"].clone()).collect();
    assert_eq!(kinds, vec![json!("contact"), json!("user")]);
    // An empty display name falls back to the name.
    assert_eq!(shown(&senders[1])["available_name"], "Bo");
}

#[test]
fn a_contact_event_carries_its_account_and_a_merge_its_mergee() {
    let c = contact();
    let view = super::contact(&c, &[]);
    let event = shown(&events::ContactEvent { contact: &view, account_id: 1 });
    assert_eq!((event["id"].as_i64(), event["account_id"].as_i64(), event["type"].as_str()), (Some(7), Some(1), Some("contact")));
    assert_eq!(event["contact_inboxes"], json!([]));
    let merged = events::ContactMerged { contact: &view, mergee: events::contact_ref(&c) };
    let event = shown(&events::ContactEvent { contact: &merged, account_id: 1 });
    assert_eq!((event["mergee"]["id"].as_i64(), event["account_id"].as_i64()), (Some(7), Some(1)));
}

#[test]
fn secrets_and_whatsapp_fields_appear_only_for_their_readers() {
    let api = inbox_row(ChannelType::Api, None);
    let agent = shown(&inbox_with(&api, false, "https://sb.test", &[], true, &[]));
    let admin = shown(&inbox_with(&api, true, "https://sb.test", &[], true, &[]));
    for key in ["hmac_token", "secret", "callback_webhook", "provider_config", "message_templates", "groups_enabled"] {
        assert!(agent.get(key).is_none(), "an agent sees {key}: {agent}");
    }
    assert_eq!((admin["hmac_token"].as_str(), admin["secret"].as_str()), (Some("hmac-secret"), Some("signing-secret")));
    // Present and null: the API inbox has no callback endpoint yet.
    assert_eq!(admin.get("callback_webhook"), Some(&Value::Null));
    assert!(agent["phone_number"].is_null(), "an API inbox has no number");

    let bsp = inbox_row(ChannelType::Whatsapp, Some(Provider::Aldeamo));
    let agent = shown(&inbox_with(&bsp, false, "https://sb.test/", &[], true, &[]));
    let admin = shown(&inbox_with(&bsp, true, "https://sb.test/", &[], true, &[]));
    assert_eq!(agent["phone_number"], "+593988888888");
    assert!(agent["webhook_url"].is_null(), "the webhook URL holds its secret");
    assert_eq!(admin["webhook_url"], "https://sb.test/webhooks/whatsapp/hook-token");
    assert!(agent.get("groups_enabled").is_none(), "the BSP reaches no groups");
    assert!(agent.get("verified_name").is_some() && agent.get("phone_number_checked_at").is_none(), "{agent}");
    assert!(admin.get("phone_number_checked_at").is_some() && admin.get("provider_config").is_some(), "{admin}");

    let baileys = shown(&inbox_with(&inbox_row(ChannelType::Whatsapp, Some(Provider::Baileys)), false, "", &[], false, &[]));
    assert_eq!(baileys["groups_enabled"], false);
    assert!(baileys.get("verified_name").is_none(), "only the BSP reports its number");
}

#[test]
fn a_hook_shows_its_settings_to_administrators_only() {
    let endpoint = || webhooks::WebhookView {
        id: 4,
        account_id: 1,
        name: None,
        url: "https://crm.test/hook".into(),
        subscriptions: vec!["message_created".into()],
        inbox_id: None,
        secret: "whsec".into(),
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        failing_since: None,
        created_at: 0,
        updated_at: 0,
    };
    let agent = shown(&integration_apps::hook("webhook", endpoint(), false));
    let admin = shown(&integration_apps::hook("webhook", endpoint(), true));
    assert_eq!((agent["settings"].clone(), agent["app_id"].as_str()), (json!({}), Some("webhook")));
    assert_eq!(
        admin["settings"],
        json!({ "url": "https://crm.test/hook", "subscriptions": ["message_created"], "name": null, "secret": "whsec",
                "disabled_reason": null })
    );
}

#[test]
fn envelopes_wrap_as_the_reference_does() {
    assert_eq!(shown(&Empty {}), json!({}));
    assert_eq!(shown(&Payload { payload: [1] }), json!({ "payload": [1] }));
    assert_eq!(shown(&Data { data: Page { meta: Empty {}, payload: [2] } }), json!({ "data": { "meta": {}, "payload": [2] } }));
    let ok = shown(&Success { success: true, errors: vec![] });
    assert_eq!(ok, json!({ "success": true }));
}

#[test]
fn error_bodies_keep_the_references_three_forms() {
    assert_eq!(shown(&errors::ErrorBody::error("Invalid Access Token")), json!({ "error": "Invalid Access Token" }));
    let devise = errors::ErrorBody::Errors { success: Some(false), errors: vec!["Invalid login credentials.".into()] };
    assert_eq!(shown(&devise), json!({ "success": false, "errors": ["Invalid login credentials."] }));
    let refused = switchboard_domain::ValidationError::invalid("channel.webhook_url", "is not a URL");
    let body = shown(&errors::ErrorBody::invalid(&refused, "Channel webhook url is not a URL".into()));
    assert_eq!(
        (body["message"].as_str(), body["attributes"].clone()),
        (Some("Channel webhook url is not a URL"), json!(["channel.webhook_url"]))
    );
    assert_eq!(
        (body["errors"][0]["field"].as_str(), body["errors"][0]["message"].as_str()),
        (Some("channel.webhook_url"), Some("is not a URL"))
    );
}

#[test]
fn a_change_lists_only_what_changed() {
    let before = conversation();
    let after = rows::Conversation { status: Status::Resolved, labels: vec!["vip".into()], ..conversation() };
    let changed = crate::events::changed_attributes(&before, &after);
    assert_eq!(
        shown(&changed),
        json!([
            { "status": { "previous_value": "pending", "current_value": "resolved" } },
            { "label_list": { "previous_value": [], "current_value": ["vip"] } },
        ])
    );
    assert!(crate::events::changed_attributes(&before, &conversation()).is_empty());
}
