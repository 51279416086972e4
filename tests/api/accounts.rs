use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, ADMIN_WRITE, READ};

#[tokio::test]
async fn account_show_and_update() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    assert_eq!(matrix(&app, &w, Method::GET, &w.path(""), None).await, READ);
    let r = app.get(&w.path("")).token(&w.agent.access_token).send().await;
    assert_keys(
        &r.body,
        &["id", "name", "locale", "domain", "support_email", "status", "created_at", "features", "settings", "custom_attributes"],
    );
    assert_eq!(r.body["id"], w.account_id);

    let body = json!({ "name": "Acme Support", "auto_resolve_after": 60, "timezone": "America/Bogota" });
    assert_eq!(matrix(&app, &w, Method::PATCH, &w.path(""), Some(body)).await, ADMIN_WRITE);
    let after = app.get(&w.path("")).token(&w.admin.access_token).send().await;
    assert_eq!(after.body["name"], "Acme Support");
    assert_eq!(after.body["settings"]["auto_resolve_after"], 60);
    assert_eq!(after.body["custom_attributes"]["timezone"], "America/Bogota");

    let admin = &w.admin.access_token;
    assert_invalid(&app.patch(&w.path("")).token(admin).json(&json!({ "auto_resolve_after": 5 })).send().await, "auto_resolve_after");
    assert_invalid(&app.patch(&w.path("")).token(admin).json(&json!({ "name": "" })).send().await, "name");
    assert_invalid(&app.patch(&w.path("")).token(admin).json(&json!({ "auto_resolve_after": "soon" })).send().await, "auto_resolve_after");
    assert_eq!(app.get("/api/v1/accounts/abc").token(admin).send().await.status, 404);
    assert_eq!(app.get("/api/v1/accounts/99999").token(admin).send().await.status, 404);
}

/// Each update reads the account's settings and writes them back merged; under the row lock,
/// concurrent updates of different keys all stay (none writes back a copy older than another's).
#[tokio::test]
async fn concurrent_updates_of_different_settings_all_stay() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let bodies = [
        json!({ "auto_resolve_message": "closing this" }),
        json!({ "auto_resolve_after": 120 }),
        json!({ "timezone": "America/Lima" }),
        json!({ "industry": "retail" }),
        json!({ "auto_resolve_ignore_waiting": true }),
        json!({ "company_size": "11-50" }),
    ];
    let sent = futures_util::future::join_all(bodies.iter().map(|b| app.patch(&w.path("")).token(admin).json(b).send())).await;
    assert!(sent.iter().all(|r| r.status == 200), "{:?}", sent.iter().map(|r| r.status).collect::<Vec<_>>());
    let after = app.get(&w.path("")).token(admin).send().await.body;
    assert_eq!(after["settings"]["auto_resolve_message"], "closing this");
    assert_eq!(after["settings"]["auto_resolve_after"], 120);
    assert_eq!(after["settings"]["auto_resolve_ignore_waiting"], true);
    assert_eq!(after["custom_attributes"]["timezone"], "America/Lima");
    assert_eq!(after["custom_attributes"]["industry"], "retail");
    assert_eq!(after["custom_attributes"]["company_size"], "11-50");
}
