use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, Matrix, ADMIN_WRITE};

const INBOX_KEYS: &[&str] = &[
    "id",
    "name",
    "channel_id",
    "channel_type",
    "greeting_enabled",
    "greeting_message",
    "enable_auto_assignment",
    "working_hours",
    "timezone",
    "webhook_url",
    "inbox_identifier",
    "allow_messages_after_resolved",
    "lock_to_single_conversation",
];

#[tokio::test]
async fn agents_see_only_their_inboxes() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let mine = app.create_inbox(w.account_id, "Mine").await;
    let theirs = app.create_inbox(w.account_id, "Not mine").await;
    let foreign = app.create_inbox(w.other_account_id, "Foreign").await;
    app.add_inbox_member(mine, &w.agent).await;

    let as_agent = app.get(&w.path("/inboxes")).token(&w.agent.access_token).send().await;
    let ids: Vec<i64> = as_agent.body["payload"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![mine]);
    assert!(as_agent.body["payload"][0].get("hmac_token").is_none(), "secrets are for administrators");
    let as_admin = app.get(&w.path("/inboxes")).token(&w.admin.access_token).send().await;
    assert_eq!(as_admin.body["payload"].as_array().unwrap().len(), 2);
    assert_keys(&as_admin.body["payload"][0], INBOX_KEYS);
    assert!(as_admin.body["payload"][0]["hmac_token"].is_string());

    let m = matrix(&app, &w, Method::GET, &w.path("/inboxes"), None).await;
    assert_eq!(m, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 200, admin: 200 });
    assert_eq!(matrix(&app, &w, Method::GET, &w.path(&format!("/inboxes/{mine}")), None).await.agent, 200);
    let not_member = matrix(&app, &w, Method::GET, &w.path(&format!("/inboxes/{theirs}")), None).await;
    assert_eq!(not_member, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 404, admin: 200 });
    // Another account's inbox through this account's path does not exist.
    assert_eq!(app.get(&w.path(&format!("/inboxes/{foreign}"))).token(&w.admin.access_token).send().await.status, 404);
}

#[tokio::test]
async fn inbox_create_update_delete() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let body = json!({ "name": "API", "channel": { "type": "api", "webhook_url": "https://crm.example.com/hook" }, "greeting_enabled": true, "greeting_message": "Hi!" });
    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/inboxes"), Some(body.clone())).await, ADMIN_WRITE);

    let created = app.post(&w.path("/inboxes")).token(admin).json(&body).send().await;
    assert_eq!(created.status, 200);
    assert_keys(&created.body, INBOX_KEYS);
    assert_eq!(created.body["channel_type"], "Channel::Api");
    assert_eq!(created.body["webhook_url"], "https://crm.example.com/hook");
    assert_eq!(created.body["greeting_message"], "Hi!");
    assert_eq!(created.body["working_hours"].as_array().map(Vec::len), Some(7), "the default week");
    assert!(created.body["inbox_identifier"].as_str().is_some_and(|s| s.len() >= 16));
    let id = created.body["id"].as_i64().unwrap();

    assert_invalid(&app.post(&w.path("/inboxes")).token(admin).json(&json!({ "name": "X" })).send().await, "channel.type");
    assert_invalid(
        &app.post(&w.path("/inboxes")).token(admin).json(&json!({ "name": "X", "channel": { "type": "fax" } })).send().await,
        "channel.type",
    );
    assert_invalid(&app.post(&w.path("/inboxes")).token(admin).json(&json!({ "channel": { "type": "api" } })).send().await, "name");
    assert_invalid(
        &app.post(&w.path("/inboxes"))
            .token(admin)
            .json(&json!({ "name": "X", "channel": { "type": "api", "webhook_url": "ftp://x" } }))
            .send()
            .await,
        "channel.webhook_url",
    );
    assert_invalid(
        &app.post(&w.path("/inboxes"))
            .token(admin)
            .json(&json!({ "name": "X", "channel": { "type": "api" }, "sender_name_type": "weird" }))
            .send()
            .await,
        "sender_name_type",
    );

    let path = w.path(&format!("/inboxes/{id}"));
    let upd = json!({ "name": "API v2", "enable_auto_assignment": false, "channel": { "webhook_url": null },
        "working_hours": [{ "day_of_week": 1, "open_hour": 8, "open_minutes": 30, "close_hour": 18, "close_minutes": 0 }] });
    assert_eq!(matrix(&app, &w, Method::PATCH, &path, Some(upd)).await, ADMIN_WRITE);
    let shown = app.get(&path).token(admin).send().await;
    assert_eq!(shown.body["name"], "API v2");
    assert_eq!(shown.body["enable_auto_assignment"], false);
    assert_eq!(shown.body["webhook_url"], serde_json::Value::Null);
    assert_eq!(shown.body["working_hours"][0]["open_hour"], 8);
    let bad_hours = json!({ "working_hours": [{ "day_of_week": 9, "closed_all_day": true }] });
    assert_invalid(&app.patch(&path).token(admin).json(&bad_hours).send().await, "working_hours[0].day_of_week");
    assert_invalid(&app.patch(&path).token(admin).json(&json!({ "channel": { "type": "api" } })).send().await, "channel.type");
    assert_invalid(&app.patch(&path).token(admin).json(&json!({ "greeting_enabled": "yes" })).send().await, "greeting_enabled");

    assert_eq!(matrix(&app, &w, Method::DELETE, &path, None).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.status, 404);
    assert_eq!(app.delete(&path).token(admin).send().await.status, 404);
}
