use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys};

#[tokio::test]
async fn profile_shows_and_updates_the_caller() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    assert_eq!(app.get("/api/v1/profile").send().await.status, 401);
    assert_eq!(app.get("/api/v1/profile").token("bad").send().await.status, 401);
    let r = app.get("/api/v1/profile").token(&w.agent.access_token).send().await;
    assert_eq!(r.status, 200);
    assert_keys(
        &r.body,
        &["id", "email", "name", "display_name", "available_name", "pubsub_token", "access_token", "role", "accounts", "uid"],
    );
    assert_eq!(r.body["id"], w.agent.id);
    assert_eq!(r.body["accounts"].as_array().map(Vec::len), Some(1), "only the caller's own accounts");

    let upd = app
        .put("/api/v1/profile")
        .token(&w.agent.access_token)
        .json(&json!({ "profile": { "display_name": "Abe", "ui_settings": { "theme": "dark" } } }))
        .send()
        .await;
    assert_eq!(upd.status, 200, "{:?}", upd.body);
    assert_eq!(upd.body["display_name"], "Abe");
    assert_eq!(upd.body["ui_settings"]["theme"], "dark");

    let avail = app
        .put("/api/v1/profile")
        .token(&w.agent.access_token)
        .json(&json!({ "availability": "busy", "account_id": w.account_id }))
        .send()
        .await;
    assert_eq!(avail.body["accounts"][0]["availability"], "busy");
    assert_invalid(
        &app.put("/api/v1/profile").token(&w.agent.access_token).json(&json!({ "availability": "busy" })).send().await,
        "account_id",
    );
    assert_invalid(
        &app.put("/api/v1/profile")
            .token(&w.agent.access_token)
            .json(&json!({ "availability": "busy", "account_id": w.other_account_id }))
            .send()
            .await,
        "account_id",
    );
    assert_invalid(&app.put("/api/v1/profile").token(&w.agent.access_token).json(&json!({ "email": "broken" })).send().await, "email");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let app = TestApp::spawn().await;
    let user = app.create_user("Pia", Some("old-password")).await;
    let tok = &user.access_token;
    let wrong = app.put("/api/v1/profile").token(tok).json(&json!({ "password": "new-password", "current_password": "nope" })).send().await;
    assert_invalid(&wrong, "current_password");
    let mismatch = app
        .put("/api/v1/profile")
        .token(tok)
        .json(&json!({ "password": "new-password", "password_confirmation": "other", "current_password": "old-password" }))
        .send()
        .await;
    assert_invalid(&mismatch, "password_confirmation");
    let ok =
        app.put("/api/v1/profile").token(tok).json(&json!({ "password": "new-password", "current_password": "old-password" })).send().await;
    assert_eq!(ok.status, 200);
    assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": user.email, "password": "old-password" })).send().await.status, 401);
    assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": user.email, "password": "new-password" })).send().await.status, 200);

    // A new email is a new way in: it needs the current password too.
    let bare = app.put("/api/v1/profile").token(tok).json(&json!({ "email": "taken-over@example.com" })).send().await;
    assert_invalid(&bare, "current_password");
    let wrong =
        app.put("/api/v1/profile").token(tok).json(&json!({ "email": "taken-over@example.com", "current_password": "nope" })).send().await;
    assert_invalid(&wrong, "current_password");
    let same = app.put("/api/v1/profile").token(tok).json(&json!({ "email": user.email, "name": "Pia P" })).send().await;
    assert_eq!(same.status, 200, "sending the unchanged email needs nothing");
    let moved =
        app.put("/api/v1/profile").token(tok).json(&json!({ "email": "pia@example.com", "current_password": "new-password" })).send().await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["email"], "pia@example.com");
}
