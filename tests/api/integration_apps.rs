//! The Integrations tag: the apps listed are the ones that work (the webhook app), its hooks are
//! the account's webhooks and deliver like them, an app we do not provide is a 404, and every
//! endpoint has the auth matrix.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use switchboard_testkit::receiver::Receiver;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, ADMIN_WRITE, READ};

#[tokio::test]
async fn the_webhook_app_manages_the_accounts_webhooks_and_other_apps_are_not_found() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let receiver = Receiver::start().await.unwrap();

    let apps = app.get(&w.path("/integrations/apps")).token(admin).send().await;
    assert_eq!(apps.status, 200);
    let listed: Vec<&str> = apps.body["payload"].as_array().unwrap().iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(listed, ["webhook"], "only what works here");
    assert_eq!((apps.body["payload"][0]["enabled"].as_bool(), apps.body["payload"][0]["hooks"].clone()), (Some(false), json!([])));

    // Apps we do not provide: 404, never an empty success.
    let hooks = w.path("/integrations/hooks");
    for app_id in [json!("slack"), json!("dialogflow"), json!(1)] {
        let r = app.post(&hooks).token(admin).json(&json!({ "app_id": app_id, "settings": { "url": receiver.url } })).send().await;
        assert_eq!(r.status, 404, "{app_id}: {:?}", r.body);
    }
    // Strict bodies, named fields.
    assert_invalid(&app.post(&hooks).token(admin).json(&json!({ "settings": { "url": receiver.url } })).send().await, "app_id");
    assert_invalid(&app.post(&hooks).token(admin).json(&json!({ "app_id": "webhook", "settings": {} })).send().await, "settings.url");
    let r = app.post(&hooks).token(admin).json(&json!({ "app_id": "webhook", "settings": { "url": "ftp://x.example" } })).send().await;
    assert_invalid(&r, "settings.url");
    let r =
        app.post(&hooks).token(admin).json(&json!({ "app_id": "webhook", "status": 7, "settings": { "url": receiver.url } })).send().await;
    assert_invalid(&r, "status");
    let r = app
        .post(&hooks)
        .token(admin)
        .json(&json!({ "app_id": "webhook", "inbox_id": 1, "settings": { "url": receiver.url } }))
        .send()
        .await;
    assert_invalid(&r, "inbox_id");
    let r =
        app.post(&hooks).token(admin).json(&json!({ "app_id": "webhook", "settings": { "url": receiver.url, "colour": 1 } })).send().await;
    assert_eq!(r.status, 422, "{:?}", r.body);

    let body = json!({ "app_id": "webhook", "status": 1, "settings": { "url": receiver.url, "subscriptions": ["message_created"] } });
    let created = app.post(&hooks).token(admin).json(&body).send().await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!((created.body["app_id"].as_str(), created.body["status"].as_bool()), (Some("webhook"), Some(true)));
    let id = created.body["id"].as_i64().unwrap();
    // The hook is the account's webhook.
    let webhooks = app.get(&w.path("/webhooks")).token(admin).send().await;
    assert_eq!((webhooks.body[0]["id"].as_i64(), webhooks.body[0]["url"].as_str()), (Some(id), Some(receiver.url.as_str())));
    let apps = app.get(&w.path("/integrations/apps")).token(admin).send().await;
    assert_eq!(apps.body["payload"][0]["enabled"].as_bool(), Some(true));
    assert_eq!(apps.body["payload"][0]["hooks"][0]["settings"]["secret"], webhooks.body[0]["secret"]);
    // Agents see the hook, not its secret.
    let seen = app.get(&w.path("/integrations/apps")).token(&w.agent.access_token).send().await;
    assert_eq!(seen.body["payload"][0]["hooks"][0]["settings"], json!({}));

    // It delivers like any webhook.
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let messages = w.path(&format!("/conversations/{}/messages", c["id"]));
    assert_eq!(app.post(&messages).token(admin).json(&json!({ "content": "hi" })).send().await.status, 200);
    let got = receiver.wait_unique(1, Duration::from_secs(20)).await;
    assert_eq!(got.first().map(|r| r.json["event"].clone()), Some(json!("message_created")));
    assert!(got[0].signed_with(webhooks.body[0]["secret"].as_str().unwrap()));

    // Off, then changed and on again; then deleted.
    let path = w.path(&format!("/integrations/hooks/{id}"));
    let r = app.patch(&path).token(admin).json(&json!({ "status": 0 })).send().await;
    assert_eq!((r.status, r.body["status"].as_bool()), (200, Some(false)), "{:?}", r.body);
    let r = app.patch(&path).token(admin).json(&json!({ "status": true, "settings": { "name": "CRM" } })).send().await;
    assert_eq!((r.body["status"].as_bool(), r.body["settings"]["name"].as_str()), (Some(true), Some("CRM")), "{:?}", r.body);
    assert_invalid(
        &app.patch(&path).token(admin).json(&json!({ "settings": { "subscriptions": ["nope"] } })).send().await,
        "settings.subscriptions",
    );

    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/integrations/apps"), None).await, READ);
    assert_eq!(matrix(&app, &w, Method::POST, &hooks, Some(body.clone())).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::PATCH, &path, Some(json!({ "status": 1 }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::DELETE, &path, None).await, ADMIN_WRITE);
    assert_eq!(app.patch(&path).token(admin).json(&json!({ "status": 1 })).send().await.status, 404, "deleted");
    // Another account's hook is a 404.
    let theirs = app
        .post(&format!("/api/v1/accounts/{}/integrations/hooks", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&body)
        .send()
        .await;
    let theirs = w.path(&format!("/integrations/hooks/{}", theirs.body["id"]));
    assert_eq!(app.patch(&theirs).token(admin).json(&json!({ "status": 0 })).send().await.status, 404);
    assert_eq!(app.delete(&theirs).token(admin).send().await.status, 404);
}
