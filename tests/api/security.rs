//! Findings of the outside security review, each checked where it was found: the HTTP API.

use serde_json::json;
use switchboard_testkit::bsp::FakeBsp;
use switchboard_testkit::provider::FakeProvider;
use switchboard_testkit::TestApp;

use crate::support::assert_invalid;

/// An administrator could point a BSP or provider URL at this host (or the cloud metadata
/// service) and read the answer back. Such URLs are refused when saved and when called.
#[tokio::test]
async fn provider_urls_may_not_reach_private_or_local_addresses() {
    let app = TestApp::spawn_with(|s| s.outbound_allow_private = false).await;
    let w = app.seed().await;
    let bsp = FakeBsp::start().await.unwrap();
    let provider = FakeProvider::start().await.unwrap();
    let port = bsp.provider_config()["api_url"].as_str().unwrap().rsplit(':').next().unwrap().to_string();
    let inbox = |provider_name: &str, config: serde_json::Value| {
        json!({ "name": "WhatsApp", "channel": {
            "type": "whatsapp", "phone_number": "+573001112233", "provider": provider_name, "provider_config": config } })
    };
    for url in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://10.0.0.8".to_string(),
        "http://[::1]:8080".to_string(),
        "http://[fd00:ec2::254]".to_string(),
        "http://0x7f000001/".to_string(),
    ] {
        let mut config = bsp.provider_config();
        config["api_url"] = json!(url);
        let created = app.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&inbox("aldeamo", config)).send().await;
        assert_invalid(&created, "channel.provider_config.api_url");
        let mut config = provider.provider_config();
        config["provider_url"] = json!(url);
        let created = app.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&inbox("baileys", config)).send().await;
        assert_invalid(&created, "channel.provider_config.provider_url");
    }
    assert!(bsp.requests().is_empty(), "nothing reached the BSP");
    assert!(provider.requests().is_empty(), "nothing reached the provider");

    // An inbox saved while private addresses were allowed (or whose name resolved publicly then:
    // DNS rebinding) is refused at connection time, after resolution.
    let lenient = TestApp::spawn_on(app.database_url.clone(), |s| s.outbound_allow_private = true).await.unwrap();
    let mut config = bsp.provider_config();
    config["api_url"] = json!(format!("http://localhost:{port}"));
    let created = lenient.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&inbox("aldeamo", config)).send().await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let seen = bsp.requests().len();
    let sync = app.post(&w.path(&format!("/inboxes/{id}/sync_templates"))).token(&w.admin.access_token).send().await;
    assert!(sync.status >= 400 && sync.status < 600 && sync.status != 500, "{} {}", sync.status, sync.body);
    assert!(sync.body.to_string().contains("private or local"), "{}", sync.body);
    assert_eq!(bsp.requests().len(), seen, "the strict server made no request");
    // PATCHing the URL to a private address is refused too.
    let patched = app
        .patch(&w.path(&format!("/inboxes/{id}")))
        .token(&w.admin.access_token)
        .json(&json!({ "channel": { "provider_config": { "api_url": "http://192.168.0.10" } } }))
        .send()
        .await;
    assert_invalid(&patched, "channel.provider_config.api_url");
}

/// Uploads files to conversation 1 as `token`; returns the message's attachments.
async fn upload(app: &TestApp, path: &str, token: &str, files: Vec<(&str, Vec<u8>, &str)>) -> Vec<serde_json::Value> {
    let url = app.url(path);
    let resp = app.client.post(&url).header("api_access_token", token).multipart(crate::messages::form(files, None)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let message: serde_json::Value = resp.json().await.unwrap();
    message["attachments"].as_array().unwrap().clone()
}

/// An agent's token fetched any attachment of the account, ids being sequential. A token now
/// passes the rule of the attachment's message; the signed link stays a capability.
#[tokio::test]
async fn an_agent_token_reads_only_attachments_of_its_inboxes() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    // The agent is not a member of this inbox.
    let inbox = app.create_inbox(w.account_id, "Private").await;
    let contact = app
        .post(&w.path("/contacts"))
        .token(&w.admin.access_token)
        .json(&json!({ "name": "Carla", "inbox_id": inbox, "source_id": "carla-9" }))
        .send()
        .await;
    let contact = contact.body["payload"]["contact"]["id"].as_i64().unwrap();
    crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let files =
        upload(&app, &w.path("/conversations/1/messages"), &w.admin.access_token, vec![("a.txt", b"secret".to_vec(), "text/plain")]).await;
    let id = files[0]["id"].as_i64().unwrap();
    let bare = format!("{}/attachments/{id}/a.txt", app.address);
    let get = |token: &str| app.client.get(&bare).header("api_access_token", token.to_string()).send();
    assert_eq!(get(&w.agent.access_token).await.unwrap().status(), 403, "an agent outside the inbox");
    assert_eq!(get(&w.outsider.access_token).await.unwrap().status(), 403, "another account");
    assert_eq!(get("bogus").await.unwrap().status(), 403, "a bad token");
    assert_eq!(app.client.get(&bare).send().await.unwrap().status(), 403, "no token");
    assert_eq!(get(&w.admin.access_token).await.unwrap().status(), 200, "an administrator");
    app.add_inbox_member(inbox, &w.agent).await;
    assert_eq!(get(&w.agent.access_token).await.unwrap().status(), 200, "an agent of the inbox");
    // The signed link is a capability: it works without a token.
    let signed = app.client.get(files[0]["data_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(signed.status(), 200);
}

/// An SVG was served inline from the API's origin, and HTML declared as image/png too.
#[tokio::test]
async fn uploaded_files_cannot_run_script_on_our_origin() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
    let files = upload(
        &app,
        &w.path("/conversations/1/messages"),
        &w.agent.access_token,
        vec![
            ("photo.png", png, "image/png"),
            ("evil.png", b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec(), "image/png"),
            ("evil.svg", br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec(), "image/svg+xml"),
            ("bare.png", b"<script>alert(1)</script>".to_vec(), "image/png"),
        ],
    )
    .await;
    let kinds: Vec<&str> = files.iter().map(|f| f["file_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["image", "file", "file", "file"], "the bytes decide the kind, not the declared type");
    for (file, inline) in files.iter().zip([true, false, false, false]) {
        let got = app.client.get(file["data_url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(got.status(), 200);
        let headers = got.headers();
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert_eq!(disposition.starts_with("inline"), inline, "{}: {disposition}", file["file_name"]);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
        if !inline {
            assert!(!headers["content-type"].to_str().unwrap().starts_with("image/"), "{:?}", headers["content-type"]);
        }
    }
}

/// The WhatsApp webhook URL carries its secret (anyone who knows it can post inbound messages):
/// agents saw it in the inbox list.
#[tokio::test]
async fn only_administrators_see_the_webhook_url() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let bsp = FakeBsp::start().await.unwrap();
    let inbox = app.create_whatsapp_inbox(&w, &bsp, "+573001112233").await;
    let id = inbox["id"].as_i64().unwrap();
    let url = inbox["webhook_url"].as_str().unwrap().to_string();
    assert!(url.contains("/webhooks/whatsapp/"), "{url}");
    app.add_inbox_member(id, &w.agent).await;
    let secret = url.rsplit('/').next().unwrap().to_string();
    for path in ["/inboxes".to_string(), format!("/inboxes/{id}")] {
        let as_agent = app.get(&w.path(&path)).token(&w.agent.access_token).send().await;
        assert_eq!(as_agent.status, 200);
        assert!(!as_agent.body.to_string().contains(&secret), "{path}: an agent saw the webhook secret");
        let as_admin = app.get(&w.path(&path)).token(&w.admin.access_token).send().await;
        assert!(as_admin.body.to_string().contains(&secret), "{path}: the administrator sees it");
    }
}

/// Every response carries the browser-hardening headers; a token-bearing one is never cached.
#[tokio::test]
async fn responses_carry_security_headers_and_cors_is_an_allowlist() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    for reply in [
        app.get("/api/v1/profile").token(&w.admin.access_token).send().await,
        app.get("/api/v1/profile").send().await,
        app.get("/no/such/route").send().await,
    ] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // No CORS unless asked for.
    let cross = app.get("/api/v1/profile").token(&w.admin.access_token).header("origin", "https://evil.example").send().await;
    assert_eq!(cross.header("access-control-allow-origin"), None);

    let allowed =
        TestApp::spawn_on(app.database_url.clone(), |s| s.cors_allowed_origins = vec!["https://dash.example.com".into()]).await.unwrap();
    let preflight = allowed
        .call(reqwest::Method::OPTIONS, "/api/v1/profile")
        .header("origin", "https://dash.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "api_access_token")
        .send()
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("https://dash.example.com"));
    let real = allowed.get("/api/v1/profile").token(&w.admin.access_token).header("origin", "https://dash.example.com").send().await;
    assert_eq!(real.status, 200);
    assert_eq!(real.header("access-control-allow-origin"), Some("https://dash.example.com"));
    assert!(real.header("access-control-expose-headers").is_some_and(|h| h.contains("access-token")));
    let evil = allowed.get("/api/v1/profile").token(&w.admin.access_token).header("origin", "https://evil.example").send().await;
    assert_eq!(evil.header("access-control-allow-origin"), None, "an origin off the list gets no CORS grant");
}

/// With PostgreSQL frozen, requests that already held a connection hung for 40 s. Every
/// request now answers 503 within the deadline, and the server recovers when the database does.
#[tokio::test]
async fn a_frozen_database_gets_503_within_seconds_and_the_server_recovers() {
    let direct = switchboard_testkit::fresh_database().await.unwrap();
    let upstream = direct.split('@').nth(1).and_then(|r| r.split('/').next()).unwrap().to_string();
    let proxy = switchboard_testkit::proxy::FreezableProxy::start(upstream).await.unwrap();
    let app = TestApp::spawn_on(proxy.url_for(&direct), |_| {}).await.unwrap();
    let w = app.seed().await;
    let list = w.path("/conversations");
    assert_eq!(app.get(&list).token(&w.admin.access_token).send().await.status, 200);

    proxy.freeze();
    let started = std::time::Instant::now();
    let calls = (0..12).map(|i| {
        let path = if i % 2 == 0 { list.clone() } else { "/api/v1/profile".to_string() };
        let call = app.get(&path).token(&w.admin.access_token);
        async move { call.send().await.status }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let took = started.elapsed();
    assert!(statuses.iter().all(|s| *s == 503), "{statuses:?}");
    assert!(took < std::time::Duration::from_secs(10), "answered after {took:?}");
    assert_eq!(app.get("/health").send().await.status, 200, "the process itself stays up");

    proxy.thaw();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let status = app.get(&list).token(&w.admin.access_token).send().await.status;
        if status == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not recovered after the thaw: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Inputs had no bounds: labels, attributes and mentions are capped, and going over a cap is a
/// 422 naming it.
#[tokio::test]
async fn unbounded_inputs_are_capped_with_a_422_naming_the_limit() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let conversation = w.path("/conversations/1");

    let many: Vec<String> = (0..=100).map(|i| format!("label-{i}")).collect();
    let r = app.post(&format!("{conversation}/labels")).token(&w.agent.access_token).json(&json!({ "labels": many })).send().await;
    assert_invalid(&r, "labels");
    assert!(r.body.to_string().contains("at most 100"), "{}", r.body);
    let hundred: Vec<String> = (0..100).map(|i| format!("label-{i}")).collect();
    let r = app.post(&format!("{conversation}/labels")).token(&w.agent.access_token).json(&json!({ "labels": hundred })).send().await;
    assert_eq!(r.status, 200, "exactly the limit is fine");

    let attrs = format!("{conversation}/custom_attributes");
    let long_key = json!({ "custom_attributes": { "k".repeat(256): 1 } });
    assert_invalid(&app.post(&attrs).token(&w.agent.access_token).json(&long_key).send().await, "custom_attributes");
    let big_value = json!({ "custom_attributes": { "notes": "x".repeat(10_001) } });
    assert_invalid(&app.post(&attrs).token(&w.agent.access_token).json(&big_value).send().await, "custom_attributes.notes");
    let contact_attrs = json!({ "custom_attributes": { "notes": "x".repeat(10_001) } });
    let r = app.put(&w.path(&format!("/contacts/{contact}"))).token(&w.agent.access_token).json(&contact_attrs).send().await;
    assert_invalid(&r, "custom_attributes.notes");

    let mentions: String = (1..=51).map(|i| format!("[@u{i}](mention://user/{i}/u{i}) ")).collect();
    let note = json!({ "content": mentions, "private": true });
    let r = app.post(&format!("{conversation}/messages")).token(&w.agent.access_token).json(&note).send().await;
    assert_invalid(&r, "content");
}

/// Search scans many rows: each user may run a bounded number per minute.
#[tokio::test]
async fn searches_are_rate_limited_per_user() {
    let app = TestApp::spawn_with(|s| s.searches_per_minute = 3).await;
    let w = app.seed().await;
    for path in ["/contacts/search?q=a", "/conversations?q=a", "/contacts/search?q=b"] {
        assert_eq!(app.get(&w.path(path)).token(&w.agent.access_token).send().await.status, 200, "{path}");
    }
    let r = app.get(&w.path("/contacts/search?q=c")).token(&w.agent.access_token).send().await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    let filter =
        json!({ "payload": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": null }] });
    assert_eq!(app.post(&w.path("/conversations/filter")).token(&w.agent.access_token).json(&filter).send().await.status, 429);
    // Another user's budget is their own; plain lists are not searches.
    assert_eq!(app.get(&w.path("/contacts/search?q=a")).token(&w.admin.access_token).send().await.status, 200);
    assert_eq!(app.get(&w.path("/conversations")).token(&w.agent.access_token).send().await.status, 200);
}
