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
