use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys};

#[tokio::test]
async fn platform_accounts_crud_and_isolation() {
    let app = TestApp::spawn().await;
    let token = app.create_platform_app("crm").await;
    let other_app = app.create_platform_app("someone else").await;

    let created = app.post("/platform/api/v1/accounts").token(&token).json(&json!({ "name": "Acme", "locale": "es" })).send().await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_keys(&created.body, &["id", "name", "locale", "status", "custom_attributes", "limits"]);
    assert_eq!(created.body["name"], "Acme");
    assert_eq!(created.body["locale"], "es");
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/platform/api/v1/accounts/{id}");

    assert_eq!(app.get(&path).token(&token).send().await.body["id"], id);
    let patched = app.patch(&path).token(&token).json(&json!({ "name": "Acme 2", "status": "suspended" })).send().await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["name"], "Acme 2");
    assert_eq!(patched.body["status"], "suspended");
    assert_invalid(&app.patch(&path).token(&token).json(&json!({ "status": "gone" })).send().await, "status");
    assert_invalid(&app.patch(&path).token(&token).json(&json!({ "custom_attributes": [1] })).send().await, "custom_attributes");

    // Auth: nobody, a bad token, and another platform app.
    assert_eq!(app.get(&path).send().await.status, 401);
    assert_eq!(app.get(&path).token("bogus").send().await.status, 401);
    assert_eq!(app.get(&path).token(&other_app).send().await.status, 404);
    assert_eq!(app.delete(&path).token(&other_app).send().await.status, 404);
    assert_eq!(app.get("/platform/api/v1/accounts/abc").token(&token).send().await.status, 404);

    // Bad input.
    assert_invalid(&app.post("/platform/api/v1/accounts").token(&token).json(&json!({})).send().await, "name");
    assert_invalid(&app.post("/platform/api/v1/accounts").token(&token).json(&json!({ "name": "  " })).send().await, "name");

    assert_eq!(app.delete(&path).token(&token).send().await.status, 200);
    assert_eq!(app.get(&path).token(&token).send().await.status, 404);
}

#[tokio::test]
async fn platform_users_crud() {
    let app = TestApp::spawn().await;
    let token = app.create_platform_app("crm").await;
    let other_app = app.create_platform_app("someone else").await;

    let body = json!({ "name": "Pat", "email": "Pat@Example.com", "password": "s3cret-pass", "custom_attributes": { "crm_id": 7 } });
    let created = app.post("/platform/api/v1/users").token(&token).json(&body).send().await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_keys(&created.body, &["id", "name", "email", "access_token", "pubsub_token", "custom_attributes", "accounts"]);
    assert_eq!(created.body["custom_attributes"]["crm_id"], 7);
    let id = created.body["id"].as_i64().unwrap();

    // The password works for the dashboard.
    let signin = app.post("/auth/sign_in").json(&json!({ "email": "pat@example.com", "password": "s3cret-pass" })).send().await;
    assert_eq!(signin.status, 200);

    // Emails are unique regardless of case.
    let dup = app.post("/platform/api/v1/users").token(&token).json(&json!({ "name": "P", "email": "PAT@example.com" })).send().await;
    assert_invalid(&dup, "email");
    assert_invalid(&app.post("/platform/api/v1/users").token(&token).json(&json!({ "name": "P", "email": "nope" })).send().await, "email");
    assert_invalid(
        &app.post("/platform/api/v1/users").token(&token).json(&json!({ "name": "P", "email": "p@x.co", "password": "123" })).send().await,
        "password",
    );

    let path = format!("/platform/api/v1/users/{id}");
    let patched = app.patch(&path).token(&token).json(&json!({ "user": { "display_name": "Patty" } })).send().await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["display_name"], "Patty");
    assert_eq!(patched.body["available_name"], "Patty");
    assert_eq!(app.get(&path).token(&other_app).send().await.status, 404);
    assert_eq!(app.get(&path).send().await.status, 401);
    assert_eq!(app.delete(&path).token(&token).send().await.status, 200);
    assert_eq!(app.get(&path).token(&token).send().await.status, 404);
}

/// Every platform write refuses missing and bad tokens, and user tokens.
#[tokio::test]
async fn platform_writes_need_a_platform_token() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let user_token = w.admin.access_token.clone();
    let calls: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::POST, "/platform/api/v1/accounts".into()),
        (reqwest::Method::PATCH, format!("/platform/api/v1/accounts/{}", w.account_id)),
        (reqwest::Method::DELETE, format!("/platform/api/v1/accounts/{}", w.account_id)),
        (reqwest::Method::POST, format!("/platform/api/v1/accounts/{}/account_users", w.account_id)),
        (reqwest::Method::DELETE, format!("/platform/api/v1/accounts/{}/account_users", w.account_id)),
        (reqwest::Method::POST, "/platform/api/v1/users".into()),
        (reqwest::Method::PATCH, format!("/platform/api/v1/users/{}", w.admin.id)),
        (reqwest::Method::DELETE, format!("/platform/api/v1/users/{}", w.admin.id)),
    ];
    let token = app.create_platform_app("crm").await;
    for (method, path) in calls {
        let body = json!({ "name": "x", "user_id": w.agent.id, "role": "agent" });
        assert_eq!(app.call(method.clone(), &path).json(&body).send().await.status, 401, "{method} {path} without a token");
        assert_eq!(app.call(method.clone(), &path).token("bogus").json(&body).send().await.status, 401, "{method} {path} bad token");
        assert_eq!(app.call(method.clone(), &path).token(&user_token).json(&body).send().await.status, 401, "{method} {path} user token");
        if path != "/platform/api/v1/accounts" && path != "/platform/api/v1/users" {
            // Accounts and users this app did not create do not exist for it.
            assert_eq!(app.call(method.clone(), &path).token(&token).json(&body).send().await.status, 404, "{method} {path} not permitted");
        }
    }
}

#[tokio::test]
async fn platform_account_users() {
    let app = TestApp::spawn().await;
    let token = app.create_platform_app("crm").await;
    let account =
        app.post("/platform/api/v1/accounts").token(&token).json(&json!({ "name": "Acme" })).send().await.body["id"].as_i64().unwrap();
    let user = app.post("/platform/api/v1/users").token(&token).json(&json!({ "name": "U", "email": "u@example.com" })).send().await.body
        ["id"]
        .as_i64()
        .unwrap();
    let path = format!("/platform/api/v1/accounts/{account}/account_users");

    let added = app.post(&path).token(&token).json(&json!({ "user_id": user, "role": "administrator" })).send().await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(added.body, json!({ "account_id": account, "user_id": user, "role": "administrator" }));
    let list = app.get(&path).token(&token).send().await;
    assert_eq!(list.body, json!([{ "account_id": account, "user_id": user, "role": "administrator" }]));

    assert_invalid(&app.post(&path).token(&token).json(&json!({ "user_id": user, "role": "owner" })).send().await, "role");
    assert_invalid(&app.post(&path).token(&token).json(&json!({ "role": "agent" })).send().await, "user_id");
    assert_invalid(&app.post(&path).token(&token).json(&json!({ "user_id": 999999, "role": "agent" })).send().await, "user_id");
    assert_eq!(app.get(&path).send().await.status, 401);
    let stranger = app.create_platform_app("stranger").await;
    assert_eq!(app.get(&path).token(&stranger).send().await.status, 404);

    assert_eq!(app.delete(&path).token(&token).json(&json!({ "user_id": user })).send().await.status, 200);
    assert_eq!(app.delete(&path).token(&token).json(&json!({ "user_id": user })).send().await.status, 404);
    assert_eq!(app.get(&path).token(&token).send().await.body, json!([]));
}

/// The review attached the installation's first administrator to an app's account, then read
/// their email. An app attaches only users it created.
#[tokio::test]
async fn a_platform_app_cannot_attach_users_it_did_not_create() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let token = app.create_platform_app("crm").await;
    let other_app = app.create_platform_app("someone else").await;
    let account =
        app.post("/platform/api/v1/accounts").token(&token).json(&json!({ "name": "Mine" })).send().await.body["id"].as_i64().unwrap();
    let path = format!("/platform/api/v1/accounts/{account}/account_users");
    let theirs = app
        .post("/platform/api/v1/users")
        .token(&other_app)
        .json(&json!({ "name": "Theirs", "email": "theirs@example.com" }))
        .send()
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    for user_id in [w.admin.id, theirs] {
        let attach = app.post(&path).token(&token).json(&json!({ "user_id": user_id, "role": "administrator" })).send().await;
        assert_invalid(&attach, "user_id");
    }
    let listed = app.get(&path).token(&token).send().await;
    assert_eq!(listed.body, json!([]), "nobody was attached");
    assert!(!listed.body.to_string().contains(&w.admin.email));
    // Its own user is attached as before.
    let mine = app.post("/platform/api/v1/users").token(&token).json(&json!({ "name": "Mine", "email": "mine@example.com" })).send().await;
    let attach = app.post(&path).token(&token).json(&json!({ "user_id": mine.body["id"], "role": "agent" })).send().await;
    assert_eq!(attach.status, 200, "{}", attach.body);
}
