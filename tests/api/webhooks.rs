//! Outgoing webhooks against a real local receiver that checks signatures with the published
//! recipe, counts deliveries and fails on demand: CRUD and the auth matrix, every event and its
//! payload, retries (5xx, timeouts, 429 with Retry-After), a receiver down and back (in order,
//! none lost), disabling and resuming, redelivery, SSRF, and API inboxes' callbacks.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_domain::webhooks::Policy;
use switchboard_testkit::receiver::{Failure, Received, Receiver};
use switchboard_testkit::{TestApp, World};

use crate::support::{assert_invalid, matrix, ADMIN_WRITE};

const WAIT: Duration = Duration::from_secs(20);

/// An app whose webhooks retry fast: 100 ms, doubling to 400 ms. Receivers time out after 3 s
/// (a loaded CI machine answers slowly; a timeout would make a retry the tests do not expect);
/// the timeout test sets its own.
async fn app_with(configure: impl FnOnce(&mut switchboard_api::Settings)) -> (TestApp, World, Receiver) {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.timeout = Duration::from_secs(3);
        s.webhooks.policy = Policy {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(400),
            retry_for: Duration::from_secs(120),
            disable_after: Duration::from_secs(3600),
        };
        configure(s);
    })
    .await;
    let w = app.seed().await;
    (app, w, Receiver::start().await.unwrap())
}

async fn create_webhook(app: &TestApp, w: &World, url: &str, subscriptions: Option<Vec<&str>>) -> Value {
    let mut body = json!({ "url": url, "name": "CRM" });
    if let Some(s) = subscriptions {
        body["subscriptions"] = json!(s);
    }
    let r = app.post(&w.path("/webhooks")).token(&w.admin.access_token).json(&body).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

fn all_events() -> Vec<&'static str> {
    switchboard_domain::webhooks::WebhookEvent::ALL.iter().map(|e| e.as_str()).collect()
}

/// An API inbox the agent works in, with a contact and a conversation (display id 1).
async fn conversation(app: &TestApp, w: &World) -> (i64, i64) {
    let (inbox, contact) = crate::conversations::setup(app, w).await;
    let c = crate::conversations::new_conversation(app, w, inbox, contact).await;
    (inbox, c["id"].as_i64().unwrap())
}

async fn say(app: &TestApp, w: &World, conversation: i64, text: &str) -> i64 {
    let r = app
        .post(&w.path(&format!("/conversations/{conversation}/messages")))
        .token(&w.agent.access_token)
        .json(&json!({ "content": text }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn events(got: &[Received]) -> Vec<String> {
    got.iter().map(|r| r.json["event"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn webhooks_are_managed_by_administrators_only() {
    let (app, w, receiver) = app_with(|_| {}).await;
    let admin = &w.admin.access_token;
    // Strict bodies, named fields.
    assert_invalid(&app.post(&w.path("/webhooks")).token(admin).json(&json!({ "name": "x" })).send().await, "url");
    assert_invalid(&app.post(&w.path("/webhooks")).token(admin).json(&json!({ "url": "ftp://x.example" })).send().await, "url");
    let r =
        app.post(&w.path("/webhooks")).token(admin).json(&json!({ "url": receiver.url, "subscriptions": ["message_sent"] })).send().await;
    assert_invalid(&r, "subscriptions");
    let r = app.post(&w.path("/webhooks")).token(admin).json(&json!({ "url": receiver.url, "colour": "red" })).send().await;
    assert_eq!(r.status, 422, "unknown fields are refused: {:?}", r.body);

    // Without subscriptions: the reference's default list. The secret is shown to administrators.
    let hook = create_webhook(&app, &w, &receiver.url, None).await;
    assert_eq!(hook["subscriptions"].as_array().map(Vec::len), Some(8));
    assert_eq!((hook["account_id"].as_i64(), hook["enabled"].as_bool()), (Some(w.account_id), Some(true)));
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 30);
    let id = hook["id"].as_i64().unwrap();
    let base = w.path(&format!("/webhooks/{id}"));

    // Rails clients wrap the body; the list is the document's bare array.
    let r =
        app.patch(&base).token(admin).json(&json!({ "webhook": { "subscriptions": ["message_created"], "name": "Orders" } })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["subscriptions"].clone(), r.body["name"].clone()), (json!(["message_created"]), json!("Orders")));
    let listed = app.get(&w.path("/webhooks")).token(admin).send().await;
    assert_eq!(listed.body.as_array().map(|a| a.len()), Some(1));
    let rotated = app.post(&format!("{base}/rotate_secret")).token(admin).send().await;
    assert_eq!(rotated.status, 200);
    assert_ne!(rotated.body["secret"].as_str(), Some(secret.as_str()), "a new secret");

    // The auth matrix on every endpoint: no token, a bad token, another account (404), an agent
    // (401, as every refusal), an administrator.
    let valid = json!({ "url": receiver.url });
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/webhooks"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/webhooks"), Some(valid.clone())).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::PATCH, &base, Some(json!({ "name": "M" }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::POST, &format!("{base}/rotate_secret"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::GET, &format!("{base}/deliveries"), None).await, ADMIN_WRITE);
    // Another account's webhook is a 404 to this account's administrator.
    let other =
        app.post(&format!("/api/v1/accounts/{}/webhooks", w.other_account_id)).token(&w.outsider.access_token).json(&valid).send().await;
    let other_id = other.body["id"].as_i64().unwrap();
    assert_eq!(app.patch(&w.path(&format!("/webhooks/{other_id}"))).token(admin).json(&json!({ "name": "x" })).send().await.status, 404);
    assert_eq!(app.delete(&w.path(&format!("/webhooks/{other_id}"))).token(admin).send().await.status, 404);
    assert_eq!(app.get(&w.path(&format!("/webhooks/{other_id}/deliveries"))).token(admin).send().await.status, 404);
    // Deleting: the matrix's admin call deletes it; again is a 404.
    let made = create_webhook(&app, &w, &receiver.url, None).await;
    let path = w.path(&format!("/webhooks/{}", made["id"]));
    assert_eq!(matrix(&app, &w, Method::DELETE, &path, None).await, ADMIN_WRITE);
    assert_eq!(app.delete(&path).token(admin).send().await.status, 404);
}

#[tokio::test]
async fn every_event_arrives_signed_in_the_references_flat_shape() {
    let (app, w, receiver) = app_with(|_| {}).await;
    let admin = &w.admin.access_token;
    let hook = create_webhook(&app, &w, &receiver.url, Some(all_events())).await;
    let secret = hook["secret"].as_str().unwrap().to_string();

    // inbox_created, inbox_updated (through the API, as an administrator makes them).
    let inbox = app.post(&w.path("/inboxes")).token(admin).json(&json!({ "name": "Site", "channel": { "type": "api" } })).send().await;
    assert_eq!(inbox.status, 200, "{:?}", inbox.body);
    let inbox_id = inbox.body["id"].as_i64().unwrap();
    app.add_inbox_member(inbox_id, &w.agent).await;
    assert_eq!(app.patch(&w.path(&format!("/inboxes/{inbox_id}"))).token(admin).json(&json!({ "name": "Web" })).send().await.status, 200);
    // contact_created, contact_updated.
    let contact = app
        .post(&w.path("/contacts"))
        .token(admin)
        .json(&json!({ "name": "Carla", "inbox_id": inbox_id, "source_id": "c-1" }))
        .send()
        .await;
    let contact_id = contact.body["payload"]["contact"]["id"].as_i64().unwrap();
    assert_eq!(
        app.put(&w.path(&format!("/contacts/{contact_id}")))
            .token(admin)
            .json(&json!({ "email": "carla@example.com" }))
            .send()
            .await
            .status,
        200
    );
    // conversation_created, message_created (an agent's reply and a private note),
    // conversation_updated (assignment), conversation_status_changed, typing on and off,
    // message_updated (a deleted message).
    let c = app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": inbox_id, "contact_id": contact_id })).send().await;
    let cid = c.body["id"].as_i64().unwrap();
    let reply = say(&app, &w, cid, "Hola Carla").await;
    let note = app
        .post(&w.path(&format!("/conversations/{cid}/messages")))
        .token(admin)
        .json(&json!({ "content": "VIP", "private": true }))
        .send()
        .await;
    assert_eq!(note.status, 200);
    assert_eq!(
        app.post(&w.path(&format!("/conversations/{cid}/assignments")))
            .token(admin)
            .json(&json!({ "assignee_id": w.agent.id }))
            .send()
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(&w.path(&format!("/conversations/{cid}/toggle_status")))
            .token(admin)
            .json(&json!({ "status": "resolved" }))
            .send()
            .await
            .status,
        200
    );
    for on in ["on", "off"] {
        let r = app
            .post(&w.path(&format!("/conversations/{cid}/toggle_typing_status")))
            .token(&w.agent.access_token)
            .json(&json!({ "typing_status": on }))
            .send()
            .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(app.delete(&w.path(&format!("/conversations/{cid}/messages/{reply}"))).token(admin).send().await.status, 200);

    let expected = [
        "inbox_created",
        "inbox_updated",
        "contact_created",
        "contact_updated",
        "conversation_created",
        "message_created",
        "message_created",
        "conversation_updated",
        "conversation_status_changed",
        "conversation_typing_on",
        "conversation_typing_off",
        "message_updated",
    ];
    let got = receiver.wait_unique(expected.len(), WAIT).await;
    let mut seen = events(&got);
    seen.sort();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(seen, want, "every event once (activity lines are not sent)");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.unique().len(), expected.len(), "nothing more, nothing under two delivery ids");

    for r in &got {
        // The published recipe: HMAC-SHA256(secret, "<timestamp>.<raw body>"), hex, "sha256=".
        assert!(r.signed_with(&secret), "signature of {}", r.body);
        assert!(!r.signed_with("whsec_wrong"));
        let ts: i64 = r.timestamp.as_deref().unwrap().parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        assert_eq!(r.delivery.as_deref().map(str::len), Some(36), "a uuid");
        assert_eq!(r.event.as_deref(), r.json["event"].as_str());
        assert_eq!(r.json["account"], json!({ "id": w.account_id, "name": "Acme" }));
    }
    let by = |event: &str| got.iter().filter(|r| r.json["event"] == event).map(|r| r.json.clone()).collect::<Vec<Value>>();
    // Message events: flat, with sender, inbox, the whole conversation and the account.
    let created = by("message_created");
    let public = created.iter().find(|m| m["private"] == false).unwrap();
    assert_eq!(
        (public["id"].as_i64(), public["content"].as_str(), public["message_type"].as_str()),
        (Some(reply), Some("Hola Carla"), Some("outgoing"))
    );
    assert_eq!(public["sender"]["id"], w.agent.id);
    assert_eq!(public["inbox"], json!({ "id": inbox_id, "name": "Web" }));
    assert_eq!(public["conversation"]["id"], cid);
    assert!(public["conversation"]["meta"]["sender"]["id"] == contact_id, "{}", public["conversation"]);
    assert!(public["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "ISO 8601: {}", public["created_at"]);
    assert!(created.iter().any(|m| m["private"] == true && m["content"] == "VIP"), "private notes reach account webhooks");
    assert_eq!(by("message_updated")[0]["content_attributes"]["deleted"], true);
    // Conversation events: the conversation's fields.
    let status = &by("conversation_status_changed")[0];
    assert_eq!((status["id"].as_i64(), status["status"].as_str()), (Some(cid), Some("resolved")));
    assert_eq!(by("conversation_updated")[0]["meta"]["assignee"]["id"], w.agent.id);
    // What changed, as the reference's changed_attributes has it.
    assert_eq!(
        by("conversation_updated")[0]["changed_attributes"],
        json!([{ "assignee_id": { "previous_value": null, "current_value": w.agent.id } }])
    );
    assert_eq!(status["changed_attributes"][0]["status"], json!({ "previous_value": "open", "current_value": "resolved" }));
    assert_eq!(by("conversation_created")[0]["inbox_id"], inbox_id);
    // Contacts, inboxes, typing.
    assert_eq!(by("contact_updated")[0]["email"], "carla@example.com");
    assert_eq!(by("contact_created")[0]["id"], contact_id);
    assert_eq!((by("inbox_created")[0]["id"].as_i64(), by("inbox_updated")[0]["name"].as_str()), (Some(inbox_id), Some("Web")));
    let typing = &by("conversation_typing_on")[0];
    assert_eq!((typing["conversation"]["id"].as_i64(), typing["user"]["id"].as_i64()), (Some(cid), Some(w.agent.id)));

    // One conversation's events arrived in the order they happened.
    let order: Vec<String> = events(&got).into_iter().filter(|e| e.starts_with("conversation_") || e.starts_with("message_")).collect();
    let created_at = order.iter().position(|e| e == "conversation_created").unwrap();
    assert_eq!(created_at, 0, "{order:?}");
    assert_eq!(order.last().map(String::as_str), Some("message_updated"), "{order:?}");

    // Only subscribed events are sent.
    let narrow = Receiver::start().await.unwrap();
    create_webhook(&app, &w, &narrow.url, Some(vec!["conversation_status_changed"])).await;
    say(&app, &w, cid, "one more").await;
    app.post(&w.path(&format!("/conversations/{cid}/toggle_status"))).token(admin).json(&json!({ "status": "open" })).send().await;
    let got = narrow.wait_delivered(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(events(&narrow.unique()), ["conversation_status_changed"], "{got:?}");
}

#[tokio::test]
async fn failures_are_retried_with_backoff_and_retry_after_and_the_log_shows_each_attempt() {
    let (app, w, receiver) = app_with(|s| s.webhooks.timeout = Duration::from_millis(1500)).await;
    let hook = create_webhook(&app, &w, &receiver.url, Some(vec!["message_created"])).await;
    let (_, cid) = conversation(&app, &w).await;
    // A 500, a timeout (the receiver holds the request past 1.5 s), a 429 asking for 2 s.
    receiver.fail_next([Failure::Status(500), Failure::Hang(Duration::from_secs(4)), Failure::TooMany(2)]);
    say(&app, &w, cid, "hello").await;
    let got = receiver.wait_delivered(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let all = receiver.received();
    assert_eq!(all.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 0, 429, 200]);
    let uuid = all[0].delivery.clone();
    assert!(all.iter().all(|r| r.delivery == uuid && r.body == all[0].body), "the same delivery id and body on every attempt");
    assert!(all[3].at.duration_since(all[2].at) >= Duration::from_millis(1900), "Retry-After: 2 was honoured");
    assert!(all[1].at.duration_since(all[0].at) >= Duration::from_millis(90), "a backoff");

    // The delivery log: each attempt with its status, duration, error and next retry.
    let log = app.get(&w.path(&format!("/webhooks/{}/deliveries", hook["id"]))).token(&w.admin.access_token).send().await;
    assert_eq!(log.status, 200, "{:?}", log.body);
    let d = &log.body["payload"][0];
    assert_eq!(
        (d["event"].as_str(), d["status"].as_str(), d["attempt_count"].as_i64()),
        (Some("message_created"), Some("delivered"), Some(4))
    );
    assert_eq!(d["delivery_id"].as_str(), uuid.as_deref());
    let attempts = d["attempts"].as_array().unwrap();
    let codes: Vec<Value> = attempts.iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(codes, [json!(500), Value::Null, json!(429), json!(200)]);
    assert!(attempts[1]["error"].as_str().is_some_and(|e| e.contains("timed out")), "{attempts:?}");
    assert!(attempts[0]["next_retry_at"].is_i64() && attempts[3]["next_retry_at"].is_null());
    assert!(attempts[1]["duration_ms"].as_i64().is_some_and(|ms| ms >= 1400), "{attempts:?}");
    assert_eq!(log.body["meta"]["count"], 1);

    // Any other 4xx fails the delivery at once, visibly; later ones still go.
    receiver.fail_next([Failure::Status(410)]);
    say(&app, &w, cid, "gone?").await;
    say(&app, &w, cid, "after").await;
    let got = receiver.wait_delivered(2, WAIT).await;
    assert_eq!(got.last().map(|r| r.json["content"].clone()), Some(json!("after")));
    let log = app.get(&w.path(&format!("/webhooks/{}/deliveries", hook["id"]))).token(&w.admin.access_token).send().await;
    let failed = log.body["payload"].as_array().unwrap().iter().find(|d| d["status"] == "failed").cloned().unwrap();
    assert_eq!((failed["attempt_count"].as_i64(), failed["status_code"].as_i64()), (Some(1), Some(410)));
    assert!(failed["error"].as_str().is_some_and(|e| e.starts_with("HTTP 410")), "{failed}");

    // Redelivering sends it again, with the same delivery id.
    let id = failed["id"].as_i64().unwrap();
    let r = app.post(&w.path(&format!("/webhooks/{}/deliveries/{id}/redeliver", hook["id"]))).token(&w.admin.access_token).send().await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let got = receiver.wait_delivered(3, WAIT).await;
    assert_eq!(got.last().and_then(|r| r.delivery.clone()), failed["delivery_id"].as_str().map(str::to_string));
    let path = w.path(&format!("/webhooks/{}/deliveries/{id}/redeliver", hook["id"]));
    assert_eq!(matrix(&app, &w, Method::POST, &path, None).await, Matrix202);
    assert_eq!(
        app.post(&w.path(&format!("/webhooks/{}/deliveries/999999/redeliver", hook["id"])))
            .token(&w.admin.access_token)
            .send()
            .await
            .status,
        404
    );
}

#[allow(non_upper_case_globals)]
const Matrix202: crate::support::Matrix =
    crate::support::Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 202 };

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_event_in_order_per_conversation() {
    let (app, w, receiver) = app_with(|_| {}).await;
    create_webhook(&app, &w, &receiver.url, Some(vec!["message_created"])).await;
    let (inbox, first) = conversation(&app, &w).await;
    let second =
        app.post(&w.path("/conversations")).token(&w.admin.access_token).json(&json!({ "inbox_id": inbox, "contact_id": 1 })).send().await;
    let second = second.body["id"].as_i64().unwrap_or_else(|| panic!("{:?}", second.body));
    receiver.set_down(true);
    let mut sent: HashMap<i64, Vec<i64>> = HashMap::new();
    for i in 0..12 {
        let c = if i % 2 == 0 { first } else { second };
        sent.entry(c).or_default().push(say(&app, &w, c, &format!("m{i}")).await);
    }
    // Down long enough for several retries.
    receiver.wait_received(6, WAIT).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    receiver.set_down(false);
    let got = receiver.wait_delivered(12, WAIT).await;
    assert_eq!(got.len(), 12, "none lost");
    let mut per: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in &got {
        per.entry(r.json["conversation"]["id"].as_i64().unwrap()).or_default().push(r.json["id"].as_i64().unwrap());
    }
    assert_eq!(per, sent, "each conversation's messages in the order they were written");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.unique().len(), 12, "none under two delivery ids");
}

#[tokio::test]
async fn an_endpoint_failing_for_too_long_is_disabled_and_resumes_where_it_stopped() {
    let (app, w, receiver) = app_with(|s| s.webhooks.policy.disable_after = Duration::from_secs(1)).await;
    let hook = create_webhook(&app, &w, &receiver.url, Some(vec!["message_created"])).await;
    let path = w.path(&format!("/webhooks/{}", hook["id"]));
    let (_, cid) = conversation(&app, &w).await;
    receiver.set_down(true);
    let first = say(&app, &w, cid, "one").await;
    // Failing for over a second: disabled, and the API says why.
    let deadline = tokio::time::Instant::now() + WAIT;
    let shown = loop {
        let listed = app.get(&w.path("/webhooks")).token(&w.admin.access_token).send().await;
        let shown = listed.body[0].clone();
        if shown["enabled"] == false || tokio::time::Instant::now() > deadline {
            break shown;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(shown["disabled_reason"].as_str().is_some_and(|r| r.contains("every delivery failed") && r.contains("503")), "{shown}");
    assert!(shown["disabled_at"].is_i64() && shown["failing_since"].is_i64());
    // While disabled nothing is attempted; events still queue up.
    let tried = receiver.received().len();
    let second = say(&app, &w, cid, "two").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), tried, "a disabled endpoint is not called");
    // Enabled again: it resumes from where it stopped, in order.
    receiver.set_down(false);
    let r = app.patch(&path).token(&w.admin.access_token).json(&json!({ "enabled": true })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["enabled"].as_bool(), r.body["disabled_reason"].is_null()), (Some(true), true));
    let got = receiver.wait_delivered(2, WAIT).await;
    let ids: Vec<i64> = got.iter().map(|r| r.json["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [first, second]);
}

#[tokio::test]
async fn private_and_local_addresses_are_refused_when_saved_and_when_delivering() {
    let (app, w, receiver) = app_with(|s| s.outbound_allow_private = false).await;
    let admin = &w.admin.access_token;
    for url in
        [receiver.url.as_str(), "http://localhost:9/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://10.0.0.7/"]
    {
        let r = app.post(&w.path("/webhooks")).token(admin).json(&json!({ "url": url })).send().await;
        assert_invalid(&r, "url");
        assert!(r.body["message"].as_str().unwrap_or_default().contains("private or local"), "{url}: {:?}", r.body);
    }
    // An API inbox's callback too.
    let r = app
        .post(&w.path("/inboxes"))
        .token(admin)
        .json(&json!({ "name": "S", "channel": { "type": "api", "webhook_url": receiver.url } }))
        .send()
        .await;
    assert_invalid(&r, "channel.webhook_url");
    // An agent bot's outgoing_url, from an account or a platform app.
    let r = app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "name": "B", "outgoing_url": receiver.url })).send().await;
    assert_invalid(&r, "outgoing_url");
    let platform = app.create_platform_app("bots").await;
    let r = app
        .post("/platform/api/v1/agent_bots")
        .token(&platform)
        .json(&json!({ "name": "B", "outgoing_url": "http://10.0.0.7/" }))
        .send()
        .await;
    assert_invalid(&r, "outgoing_url");
    // A URL saved before (or resolving differently now) is refused when delivering: the attempt
    // fails, visibly, and the receiver is never called.
    let mut conn = app.db.get().await.unwrap();
    let secret = "whsec_test".to_string();
    let subs = vec!["message_created".to_string()];
    let new = switchboard_store::webhooks::NewWebhook {
        account_id: w.account_id,
        name: None,
        url: &receiver.url,
        subscriptions: &subs,
        secret: &secret,
    };
    let hook = switchboard_store::webhooks::create(&mut conn, &new).await.unwrap();
    let (_, cid) = conversation(&app, &w).await;
    say(&app, &w, cid, "hi").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let d = loop {
        let log = app.get(&w.path(&format!("/webhooks/{}/deliveries", hook.id))).token(admin).send().await;
        let d = log.body["payload"][0].clone();
        if d["status"] == "failed" || tokio::time::Instant::now() > deadline {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(d["status"], "failed", "{d}");
    assert!(d["error"].as_str().is_some_and(|e| e.contains("refused")), "{d}");
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn an_api_inbox_with_a_webhook_url_receives_its_own_conversations_events() {
    let (app, w, receiver) = app_with(|_| {}).await;
    let admin = &w.admin.access_token;
    let created = app
        .post(&w.path("/inboxes"))
        .token(admin)
        .json(&json!({ "name": "Orders bot", "channel": { "type": "api", "webhook_url": receiver.url } }))
        .send()
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let inbox = created.body["id"].as_i64().unwrap();
    app.add_inbox_member(inbox, &w.agent).await;
    let other = app.create_inbox(w.account_id, "Elsewhere").await;
    let contact =
        app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": "Carla", "inbox_id": inbox, "source_id": "c-9" })).send().await;
    let contact = contact.body["payload"]["contact"]["id"].as_i64().unwrap();
    let c = app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": inbox, "contact_id": contact })).send().await;
    let cid = c.body["id"].as_i64().unwrap();
    // The agent's reply reaches the system the inbox stands for.
    let reply = say(&app, &w, cid, "Your order shipped").await;
    // Another inbox's conversation does not.
    let elsewhere =
        app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": "Ed", "inbox_id": other, "source_id": "e-1" })).send().await;
    let elsewhere = elsewhere.body["payload"]["contact"]["id"].as_i64().unwrap();
    app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": other, "contact_id": elsewhere })).send().await;

    let got = receiver.wait_unique(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(events(&receiver.unique()), ["conversation_created", "message_created"], "its own conversations only, no contact events");
    let message = &got[1].json;
    assert_eq!((message["id"].as_i64(), message["message_type"].as_str()), (Some(reply), Some("outgoing")));
    assert_eq!(message["inbox"]["id"], inbox);
    // Signed with the inbox's secret.
    let mut conn = app.db.get().await.unwrap();
    let secret: String = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        switchboard_store::schema::inboxes::table
            .find(inbox)
            .select(switchboard_store::schema::inboxes::secret)
            .first(&mut conn)
            .await
            .unwrap()
    };
    assert!(got.iter().all(|r| r.signed_with(&secret)));
    // The inbox shows its callback endpoint, whose delivery log administrators read.
    let shown = app.get(&w.path(&format!("/inboxes/{inbox}"))).token(admin).send().await;
    let callback = shown.body["callback_webhook"].clone();
    assert_eq!((callback["enabled"].as_bool(), callback["disabled_reason"].is_null()), (Some(true), true), "{callback}");
    let log = app.get(&w.path(&format!("/webhooks/{}/deliveries", callback["id"]))).token(admin).send().await;
    assert_eq!(log.body["meta"]["count"], 2, "{:?}", log.body);
    // Not listed among the account's webhooks; removing the URL stops the callbacks.
    assert_eq!(app.get(&w.path("/webhooks")).token(admin).send().await.body, json!([]));
    let r = app.patch(&w.path(&format!("/inboxes/{inbox}"))).token(admin).json(&json!({ "channel": { "webhook_url": "" } })).send().await;
    assert_eq!(r.status, 200);
    say(&app, &w, cid, "unheard").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.unique().len(), 2, "the removed callback is not called");
}

/// One attempt at a time per delivery: a job woken while a worker still runs it (the delivery
/// before it settled meanwhile) finds the attempt taken and must not send it again.
#[tokio::test]
async fn a_delivery_is_attempted_by_one_worker_at_a_time() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchboard_store::schema::{webhook_deliveries, webhooks};
    let (app, w, receiver) = app_with(|_| {}).await;
    let hook = create_webhook(&app, &w, &receiver.url, Some(vec!["message_created"])).await;
    let path = w.path(&format!("/webhooks/{}", hook["id"]));
    // Disabled: the delivery is written and parked, so no worker touches it.
    assert_eq!(app.patch(&path).token(&w.admin.access_token).json(&json!({ "enabled": false })).send().await.status, 200);
    let (_, cid) = conversation(&app, &w).await;
    say(&app, &w, cid, "once").await;
    let mut conn = app.db.get().await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let id: i64 = loop {
        let found: Option<i64> = webhook_deliveries::table.select(webhook_deliveries::id).first(&mut conn).await.optional().unwrap();
        if let Some(id) = found {
            break id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no delivery was written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let lease = Duration::from_secs(30);
    assert!(
        !switchboard_store::webhooks::attempt_context(&mut conn, id, lease).await.unwrap().unwrap().taken,
        "a disabled endpoint's delivery is not attempted"
    );
    // Enabled behind the queue's back (no job queued): two workers look at it.
    diesel::update(webhooks::table).set(webhooks::enabled.eq(true)).execute(&mut conn).await.unwrap();
    assert!(switchboard_store::webhooks::attempt_context(&mut conn, id, lease).await.unwrap().unwrap().taken, "the first may send it");
    assert!(
        !switchboard_store::webhooks::attempt_context(&mut conn, id, lease).await.unwrap().unwrap().taken,
        "the second may not while that attempt is under way"
    );
    // Once the attempt is settled (here: to be retried), the next one may.
    let record =
        switchboard_store::webhooks::AttemptRecord { status_code: Some(503), duration_ms: 5, error: Some("HTTP 503"), next_retry_at: None };
    switchboard_store::webhooks::record(&mut conn, id, &record, "pending").await.unwrap();
    assert!(switchboard_store::webhooks::attempt_context(&mut conn, id, lease).await.unwrap().unwrap().taken);
    assert!(receiver.received().is_empty());
}
