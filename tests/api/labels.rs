use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, ADMIN_WRITE, READ};

#[tokio::test]
async fn labels_crud() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/labels"), Some(json!({ "title": "billing" }))).await, ADMIN_WRITE);
    let created = app
        .post(&w.path("/labels"))
        .token(admin)
        .json(&json!({ "label": { "title": "VIP", "color": "#FF0000", "description": "Top" } }))
        .send()
        .await;
    assert_eq!(created.status, 200);
    assert_eq!(
        created.body,
        json!({ "id": created.body["id"], "title": "vip", "description": "Top", "color": "#ff0000", "show_on_sidebar": true })
    );
    let id = created.body["id"].as_i64().unwrap();

    assert_invalid(&app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "two words" })).send().await, "title");
    assert_invalid(&app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "Vip" })).send().await, "title");
    assert_invalid(&app.post(&w.path("/labels")).token(admin).json(&json!({})).send().await, "title");
    assert_invalid(&app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "ok", "color": "blue" })).send().await, "color");
    // The same title in another account is fine.
    let other = app
        .post(&format!("/api/v1/accounts/{}/labels", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "title": "vip" }))
        .send()
        .await;
    assert_eq!(other.status, 200);

    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/labels"), None).await, READ);
    let list = app.get(&w.path("/labels")).token(&w.agent.access_token).send().await;
    assert_eq!(list.body["payload"].as_array().map(Vec::len), Some(2));
    let path = w.path(&format!("/labels/{id}"));
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::PATCH, &path, Some(json!({ "show_on_sidebar": false }))).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.body["show_on_sidebar"], false);
    assert_eq!(app.get(&w.path(&format!("/labels/{}", other.body["id"]))).token(admin).send().await.status, 404);
    assert_eq!(matrix(&app, &w, Method::DELETE, &path, None).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.status, 404);
}

#[tokio::test]
async fn oversized_bodies_are_413_and_unknown_fields_ignored() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 1024).await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let big = json!({ "title": "big", "description": "x".repeat(4096) });
    let r = app.post(&w.path("/labels")).token(admin).json(&big).send().await;
    assert_eq!(r.status, 413);
    assert!(r.body["error"].is_string());
    let r = app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "fine", "unexpected": [1, 2] })).send().await;
    assert_eq!(r.status, 200);
    // PostgreSQL cannot store NUL: refused naming the field, never a 500.
    let nul = app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "nul", "description": "a\u{0}b" })).send().await;
    crate::support::assert_invalid(&nul, "description");
    let nul_signin = app.post("/auth/sign_in").json(&json!({ "email": "a\u{0}@b.co", "password": "x" })).send().await;
    crate::support::assert_invalid(&nul_signin, "email");
    // Lenient query strings never fail a request.
    assert_eq!(app.get(&w.path("/labels?page=abc&sort=%%")).token(admin).send().await.status, 200);
}
