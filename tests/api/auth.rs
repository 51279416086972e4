use serde_json::json;
use switchboard_testkit::{TestApp, TestRedis};

use crate::support::{assert_invalid, assert_keys};

async fn user_with_password(app: &TestApp) -> (switchboard_store::models::User, i64) {
    let account = app.create_account("Acme").await;
    let user = app.create_user("Sam Signin", Some("correct horse")).await;
    app.add_member(account, &user, "agent").await;
    (user, account)
}

#[tokio::test]
async fn sign_in_returns_session_headers_and_the_user() {
    let app = TestApp::spawn().await;
    let (user, account) = user_with_password(&app).await;
    let r = app.post("/auth/sign_in").json(&json!({ "email": user.email.to_uppercase(), "password": "correct horse" })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for h in ["access-token", "client", "expiry", "uid"] {
        assert!(r.header(h).is_some_and(|v| !v.is_empty()), "header {h}");
    }
    assert_eq!(r.header("token-type"), Some("Bearer"));
    assert_eq!(r.header("uid"), Some(user.email.as_str()));
    let data = &r.body["data"];
    assert_keys(data, &["id", "email", "name", "pubsub_token", "access_token", "role", "accounts"]);
    assert_eq!(data["id"], user.id);
    assert_eq!(data["role"], "agent");
    assert_eq!(data["access_token"], user.access_token);
    assert_eq!(data["accounts"][0]["id"], account);
    assert_eq!(data["accounts"][0]["role"], "agent");
    assert!(data.get("password_hash").is_none(), "no hash in the body");

    // The three headers authenticate later requests.
    let (token, client, uid) = (r.header("access-token").unwrap(), r.header("client").unwrap(), r.header("uid").unwrap());
    let profile = app.get("/api/v1/profile").header("access-token", token).header("client", client).header("uid", uid).send().await;
    assert_eq!(profile.status, 200);
    assert_eq!(profile.body["id"], user.id);
    let wrong = app.get("/api/v1/profile").header("access-token", "nope").header("client", client).header("uid", uid).send().await;
    assert_eq!(wrong.status, 401);

    // Signing out ends that session only.
    let out = app.delete("/auth/sign_out").header("access-token", token).header("client", client).header("uid", uid).send().await;
    assert_eq!(out.status, 200);
    assert_eq!(out.body["success"], true);
    let after = app.get("/api/v1/profile").header("access-token", token).header("client", client).header("uid", uid).send().await;
    assert_eq!(after.status, 401);
    assert_eq!(app.get("/api/v1/profile").token(&user.access_token).send().await.status, 200);
}

#[tokio::test]
async fn wrong_credentials_are_401_with_the_reference_body() {
    let app = TestApp::spawn().await;
    let (user, _) = user_with_password(&app).await;
    for body in [json!({ "email": user.email, "password": "wrong" }), json!({ "email": "nobody@example.com", "password": "whatever" })] {
        let r = app.post("/auth/sign_in").json(&body).send().await;
        assert_eq!(r.status, 401);
        assert_eq!(r.body, json!({ "success": false, "errors": ["Invalid login credentials. Please try again."] }));
    }
    // A user without a password cannot sign in at all.
    let nopw = app.create_user("No Password", None).await;
    assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": nopw.email, "password": "" })).send().await.status, 401);
}

#[tokio::test]
async fn sign_in_bad_input() {
    let app = TestApp::spawn().await;
    assert_invalid(&app.post("/auth/sign_in").json(&json!({ "email": "a@b.co" })).send().await, "password");
    assert_invalid(&app.post("/auth/sign_in").json(&json!({ "password": "x" })).send().await, "email");
    assert_invalid(&app.post("/auth/sign_in").json(&json!({ "email": 5, "password": "x" })).send().await, "email");
    let malformed = app.post("/auth/sign_in").raw("{\"email\":").send().await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.body["error"].as_str().is_some_and(|m| m.contains("Malformed JSON")));
}

#[tokio::test]
async fn missing_and_bad_credentials_on_the_api() {
    let app = TestApp::spawn().await;
    let none = app.get("/api/v1/profile").send().await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body, json!({ "errors": ["You need to sign in or sign up before continuing."] }));
    let bad = app.get("/api/v1/profile").token("bogus").send().await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body, json!({ "error": "Invalid Access Token" }));
    let signout = app.delete("/auth/sign_out").send().await;
    assert_eq!(signout.status, 401);
}

#[tokio::test]
async fn platform_and_user_tokens_do_not_cross() {
    let app = TestApp::spawn().await;
    let platform = app.create_platform_app("crm").await;
    let (user, _) = user_with_password(&app).await;
    assert_eq!(app.get("/api/v1/profile").token(&platform).send().await.status, 401);
    let r = app.post("/platform/api/v1/accounts").token(&user.access_token).json(&json!({ "name": "x" })).send().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"], "Invalid Access Token");
}

#[tokio::test]
async fn repeated_failures_for_one_email_are_throttled() {
    let app = TestApp::spawn().await;
    let (user, _) = user_with_password(&app).await;
    for _ in 0..5 {
        assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": user.email, "password": "nope" })).send().await.status, 401);
    }
    // Even the right password is refused while the limit holds.
    let r = app.post("/auth/sign_in").json(&json!({ "email": user.email, "password": "correct horse" })).send().await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    assert!(r.body["error"].is_string());
}

#[tokio::test]
async fn repeated_failures_from_one_ip_are_throttled() {
    let app = TestApp::spawn_with(|s| s.signin.per_ip = 3).await;
    for i in 0..3 {
        let email = format!("probe{i}@example.com");
        assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": email, "password": "x" })).send().await.status, 401);
    }
    let r = app.post("/auth/sign_in").json(&json!({ "email": "fresh@example.com", "password": "x" })).send().await;
    assert_eq!(r.status, 429);
}

#[tokio::test]
async fn the_throttle_holds_across_processes_sharing_redis() {
    let redis = TestRedis::start().await.unwrap();
    let first = TestApp::spawn_with(|s| s.redis_url = Some(redis.url())).await;
    let second = TestApp::spawn_on(first.database_url.clone(), |s| s.redis_url = Some(redis.url())).await.unwrap();
    let (user, _) = user_with_password(&first).await;
    for app in [&first, &second, &first, &second, &first] {
        assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": user.email, "password": "nope" })).send().await.status, 401);
    }
    for app in [&first, &second] {
        let r = app.post("/auth/sign_in").json(&json!({ "email": user.email, "password": "correct horse" })).send().await;
        assert_eq!(r.status, 429, "five failures spread over two processes count together");
    }
}

/// The review locked a user out for 15 minutes with five wrong passwords from anywhere. Now a
/// guesser meets the limit for its own address; the owner elsewhere signs in.
#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_owner_out() {
    let app = TestApp::spawn_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let (user, _) = user_with_password(&app).await;
    let attempt = |ip: &'static str, password: &'static str| {
        app.post("/auth/sign_in").header("x-forwarded-for", ip).json(&json!({ "email": user.email, "password": password })).send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("203.0.113.66", "nope").await.status, 401);
    }
    for _ in 0..20 {
        assert_eq!(attempt("203.0.113.66", "nope").await.status, 429, "the guesser is stopped");
    }
    assert_eq!(attempt("203.0.113.66", "correct horse").await.status, 429, "even with the right password, from there");
    assert_eq!(attempt("198.51.100.7", "correct horse").await.status, 200, "the owner signs in from elsewhere");

    // Without TRUSTED_PROXIES, X-Forwarded-For is the client's word and is ignored.
    let direct = TestApp::spawn().await;
    let (user, _) = user_with_password(&direct).await;
    for i in 0..5 {
        let ip = format!("198.51.100.{i}");
        let r =
            direct.post("/auth/sign_in").header("x-forwarded-for", &ip).json(&json!({ "email": user.email, "password": "x" })).send().await;
        assert_eq!(r.status, 401);
    }
    let r = direct
        .post("/auth/sign_in")
        .header("x-forwarded-for", "192.0.2.200")
        .json(&json!({ "email": user.email, "password": "x" }))
        .send()
        .await;
    assert_eq!(r.status, 429, "a forged X-Forwarded-For does not reset the count");
}

/// A guess spread over many addresses still meets the per-email limit.
#[tokio::test]
async fn a_guess_spread_over_addresses_meets_the_per_email_limit() {
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.signin.per_email = 8;
    })
    .await;
    let (user, _) = user_with_password(&app).await;
    for i in 0..8 {
        let ip = format!("203.0.113.{}", i / 2);
        let r =
            app.post("/auth/sign_in").header("x-forwarded-for", &ip).json(&json!({ "email": user.email, "password": "x" })).send().await;
        assert_eq!(r.status, 401);
    }
    let r = app
        .post("/auth/sign_in")
        .header("x-forwarded-for", "198.51.100.9")
        .json(&json!({ "email": user.email, "password": "correct horse" }))
        .send()
        .await;
    assert_eq!(r.status, 429);
}
