//! Scheduled messages: CRUD per conversation with the auth matrix and named errors, sending at
//! scheduled_at exactly once (with its live events), drafts that never send, recurrence,
//! cancelling when the contact writes first, and WhatsApp's 24-hour window checked when
//! scheduled and again when the message goes out.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::{TestApp, World};

use crate::support::{assert_invalid, matrix, Matrix};

const WAIT: Duration = Duration::from_secs(15);

fn at(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

/// The scheduled message once its status is `status`.
async fn wait_status(app: &TestApp, w: &World, conversation: i64, id: i64, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let list = app.get(&w.path(&format!("/conversations/{conversation}/scheduled_messages"))).token(&w.admin.access_token).send().await;
        let found = list.body["payload"].as_array().and_then(|l| l.iter().find(|s| s["id"] == id).cloned()).unwrap_or(Value::Null);
        if found["status"] == status || tokio::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn contents(app: &TestApp, w: &World, conversation: i64) -> Vec<Value> {
    let r = app.get(&w.path(&format!("/conversations/{conversation}/messages"))).token(&w.admin.access_token).send().await;
    r.body["payload"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn scheduled_messages_go_out_once_at_their_time() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();
    let path = w.path(&format!("/conversations/{c}/scheduled_messages"));
    let agent = &w.agent.access_token;
    let mut ws = crate::realtime::connect(&app).await;
    crate::realtime::subscribe(&mut ws, &crate::realtime::identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None)).await;

    let r = app.post(&path).token(agent).json(&json!({ "content": "Your order ships today", "scheduled_at": at(2) })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!((r.body["status"].as_str(), r.body["conversation_id"].as_i64()), (Some("pending"), Some(c)));
    assert_eq!((r.body["author_id"].as_i64(), r.body["author"]["name"].as_str()), (Some(w.agent.id), Some(w.agent.name.as_str())));
    let draft = app
        .post(&path)
        .token(agent)
        .json(&json!({ "scheduled_message": { "content": "Not yet", "scheduled_at": at(1), "status": "draft" } }))
        .send()
        .await;
    assert_eq!(draft.status, 200, "{:?}", draft.body);
    let draft_id = draft.body["id"].as_i64().unwrap();

    let sent = wait_status(&app, &w, c, id, "sent").await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let messages = contents(&app, &w, c).await;
    let ours: Vec<&Value> = messages.iter().filter(|m| m["content"] == "Your order ships today").collect();
    assert_eq!(ours.len(), 1, "exactly once");
    assert_eq!(ours[0]["content_attributes"]["scheduled_message_id"].as_i64(), Some(id));
    assert_eq!(ours[0]["sender"]["id"].as_i64(), Some(w.agent.id), "sent as its author");
    assert_eq!(sent["message_id"], ours[0]["id"]);
    // The agents saw it scheduled and sent, live.
    let mut seen = vec![];
    while let Some(frame) = crate::realtime::next_within(&mut ws, Duration::from_secs(2)).await {
        if let Some(e) = frame["message"]["event"].as_str() {
            seen.push(e.to_string());
        }
    }
    for e in ["scheduled_message.created", "scheduled_message.sent"] {
        assert!(seen.iter().any(|s| s == e), "{e} in {seen:?}");
    }
    // The draft never went out, and a sent message no longer changes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!contents(&app, &w, c).await.iter().any(|m| m["content"] == "Not yet"));
    assert_eq!(wait_status(&app, &w, c, draft_id, "draft").await["status"], "draft");
    assert_invalid(&app.patch(&format!("{path}/{id}")).token(agent).json(&json!({ "content": "x" })).send().await, "status");
    assert_invalid(&app.delete(&format!("{path}/{id}")).token(agent).send().await, "status");

    // Bad input is named.
    let post = |body: Value| app.post(&path).token(agent).json(&body).send();
    assert_invalid(&post(json!({ "content": "x", "scheduled_at": at(-3600) })).await, "scheduled_at");
    assert_invalid(&post(json!({ "content": "x", "scheduled_at": "tomorrow" })).await, "scheduled_at");
    assert_invalid(&post(json!({ "content": "x" })).await, "scheduled_at");
    assert_invalid(&post(json!({ "scheduled_at": at(60) })).await, "content");
    assert_invalid(&post(json!({ "content": "x", "scheduled_at": at(60), "status": "sent" })).await, "status");
    assert_invalid(
        &post(json!({ "content": "x", "scheduled_at": at(60), "recurrence": { "frequency": "hourly" } })).await,
        "recurrence.frequency",
    );
    assert_eq!(post(json!({ "content": "x", "scheduled_at": at(60), "when": 1 })).await.status, 422, "strict bodies");

    // The draft becomes pending; it is deleted before its time.
    let later =
        app.patch(&format!("{path}/{draft_id}")).token(agent).json(&json!({ "status": "pending", "scheduled_at": at(3600) })).send().await;
    assert_eq!((later.status, later.body["status"].as_str()), (200, Some("pending")));
    let gone = app.delete(&format!("{path}/{draft_id}")).token(agent).send().await;
    assert_eq!(gone.status, 200, "{:?}", gone.body);
    assert_eq!(app.patch(&format!("{path}/{draft_id}")).token(agent).json(&json!({ "content": "x" })).send().await.status, 404);

    // Another account's conversation: 404. The matrix (anyone who sees the conversation).
    let theirs = format!("/api/v1/accounts/{}/conversations/{c}/scheduled_messages", w.other_account_id);
    assert_eq!(app.get(&theirs).token(agent).send().await.status, 404);
    let open = Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 200, admin: 200 };
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, open);
    assert_eq!(matrix(&app, &w, Method::POST, &path, Some(json!({ "content": "m", "scheduled_at": at(3600) }))).await, open);
    let one =
        app.post(&path).token(agent).json(&json!({ "content": "n", "scheduled_at": at(3600) })).send().await.body["id"].as_i64().unwrap();
    assert_eq!(matrix(&app, &w, Method::PATCH, &format!("{path}/{one}"), Some(json!({ "content": "o" }))).await, open);
    // Delete: without a token, with a bad one, from another account, then by the agent.
    assert_eq!(app.delete(&format!("{path}/{one}")).send().await.status, 401);
    assert_eq!(app.delete(&format!("{path}/{one}")).token("nope").send().await.status, 401);
    assert_eq!(app.delete(&format!("{theirs}/{one}")).token(&w.outsider.access_token).send().await.status, 404);
    let deleted = app.delete(&format!("{path}/{one}")).token(agent).send().await;
    assert_eq!((deleted.status, deleted.body["id"].as_i64()), (200, Some(one)));
    assert_eq!(app.delete(&format!("{path}/{one}")).token(&w.admin.access_token).send().await.status, 404);
}

#[tokio::test]
async fn recurring_messages_repeat_and_a_contacts_reply_cancels() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();
    let path = w.path(&format!("/conversations/{c}/scheduled_messages"));
    let admin = &w.admin.access_token;
    let daily = app
        .post(&path)
        .token(admin)
        .json(&json!({ "content": "Daily reminder", "scheduled_at": at(1), "recurrence": { "frequency": "daily", "max_sends": 2 } }))
        .send()
        .await;
    assert_eq!(daily.status, 200, "{:?}", daily.body);
    let id = daily.body["id"].as_i64().unwrap();
    let first_at = daily.body["scheduled_at"].as_i64().unwrap();
    // After the first send it is pending again, a day later.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut now = Value::Null;
    while tokio::time::Instant::now() < deadline {
        now = wait_status(&app, &w, c, id, "pending").await;
        if now["sends"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!((now["sends"].as_i64(), now["status"].as_str()), (Some(1), Some("pending")), "{now}");
    assert_eq!(now["scheduled_at"].as_i64(), Some(first_at + 86_400));
    assert_eq!(contents(&app, &w, c).await.iter().filter(|m| m["content"] == "Daily reminder").count(), 1);

    // The contact writes before a follow-up goes out: it is cancelled, and never sent.
    let follow_up = app.post(&path).token(admin).json(&json!({ "content": "Any news?", "scheduled_at": at(2) })).send().await;
    let follow_id = follow_up.body["id"].as_i64().unwrap();
    let kept = app
        .post(&path)
        .token(admin)
        .json(&json!({ "content": "Sent anyway", "scheduled_at": at(2), "cancel_on_reply": false }))
        .send()
        .await;
    let kept_id = kept.body["id"].as_i64().unwrap();
    let r = app
        .post(&w.path(&format!("/conversations/{c}/messages")))
        .token(admin)
        .json(&json!({ "content": "Here I am", "message_type": "incoming" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(wait_status(&app, &w, c, follow_id, "cancelled").await["status"], "cancelled");
    assert_eq!(wait_status(&app, &w, c, kept_id, "sent").await["status"], "sent");
    let all = contents(&app, &w, c).await;
    assert!(!all.iter().any(|m| m["content"] == "Any news?"));
    assert!(all.iter().any(|m| m["content"] == "Sent anyway"));
}

#[tokio::test]
async fn whatsapp_windows_are_checked_when_scheduled_and_when_sent() {
    let wa = crate::whatsapp::Wa::new().await;
    let (app, w) = (&wa.app, &wa.w);
    // The contact wrote 23 h 59 min 58 s ago: the window is open now, closed in two seconds.
    let almost = (chrono::Utc::now() - chrono::Duration::hours(24) + chrono::Duration::seconds(2)).timestamp().to_string();
    wa.deliver(&crate::whatsapp::inbound(json!({"id": "wamid.a", "timestamp": almost, "type": "text", "text": {"body": "hola"}}))).await;
    let path = w.path("/conversations/1/scheduled_messages");
    let agent = &w.agent.access_token;
    let late = app.post(&path).token(agent).json(&json!({ "content": "Follow-up", "scheduled_at": at(4) })).send().await;
    assert_eq!(late.status, 200, "open now: {:?}", late.body);
    let late_id = late.body["id"].as_i64().unwrap();
    let failed = wait_status(app, w, 1, late_id, "failed").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(failed["error"].as_str().is_some_and(|e| e.contains("24 hours")), "{failed}");
    // Now closed: only a template may be scheduled.
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "content": "Hello?", "scheduled_at": at(60) })).send().await, "message");
    let template = app
        .post(&path)
        .token(agent)
        .json(&json!({ "scheduled_at": at(1), "template_params": { "name": "hello", "language": "en_US" } }))
        .send()
        .await;
    assert_eq!(template.status, 200, "{:?}", template.body);
    let sent = wait_status(app, w, 1, template.body["id"].as_i64().unwrap(), "sent").await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(wa.bsp.wait_accepted(1, WAIT).await.len(), 1, "through the send job to the BSP");
}
