//! Notifications: written with the assignment or mention they report, sent live to their user
//! alone, and listed, read and deleted by that user only.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::{TestApp, World};

use crate::conversations::{new_conversation, setup};
use crate::realtime::{connect, identifier, next_within, subscribe, Ws};
use crate::support::{assert_keys, matrix, READ};

/// Every key of a notification, live or listed, as the reference's payload has them.
const NOTIFICATION_KEYS: &[&str] = &[
    "id",
    "notification_type",
    "push_message_title",
    "primary_actor_type",
    "primary_actor_id",
    "primary_actor",
    "read_at",
    "secondary_actor",
    "user",
    "created_at",
    "last_activity_at",
    "snoozed_until",
    "account_id",
];

/// The `notification.created` frames among everything that arrives within `wait`.
async fn notifications_within(ws: &mut Ws, wait: Duration) -> Vec<Value> {
    events_within(ws, wait, &["notification.created"]).await.into_iter().map(|(_, data)| data).collect()
}

/// The frames of these events among everything that arrives within `wait`: (event, data).
async fn events_within(ws: &mut Ws, wait: Duration, events: &[&str]) -> Vec<(String, Value)> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut found = Vec::new();
    while let Some(frame) = next_within(ws, deadline.saturating_duration_since(tokio::time::Instant::now())).await {
        let event = frame["message"]["event"].as_str().unwrap_or_default().to_string();
        if events.contains(&event.as_str()) {
            found.push((event, frame["message"]["data"].clone()));
        }
    }
    found
}

/// A new conversation, created by the administrator already assigned to the agent.
async fn assigned_to_agent(app: &TestApp, w: &World, inbox: i64, contact: i64) -> Value {
    let r = app
        .post(&w.path("/conversations"))
        .token(&w.admin.access_token)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact, "assignee_id": w.agent.id }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn assignments_and_mentions_notify_their_user_and_nobody_else() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let mut agent_ws = connect(&app).await;
    assert_eq!(
        subscribe(&mut agent_ws, &identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None)).await["type"],
        "confirm_subscription"
    );
    let mut admin_ws = connect(&app).await;
    assert_eq!(
        subscribe(&mut admin_ws, &identifier(&w.admin.pubsub_token, w.account_id, w.admin.id, None)).await["type"],
        "confirm_subscription"
    );

    // The administrator assigns the conversation to the agent.
    let r = app
        .post(&w.path("/conversations/1/assignments"))
        .token(&w.admin.access_token)
        .json(&json!({ "assignee_id": w.agent.id }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got = notifications_within(&mut agent_ws, Duration::from_secs(2)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let n = &got[0];
    assert_keys(n, NOTIFICATION_KEYS);
    assert_eq!(n["notification_type"], "conversation_assignment");
    assert_eq!(n["primary_actor_type"], "Conversation");
    assert_eq!(n["primary_actor_id"], 1);
    assert_eq!(n["primary_actor"]["id"], 1);
    assert_eq!(n["primary_actor"]["meta"]["assignee"]["id"], w.agent.id, "the conversation as it is after the assignment");
    assert_eq!(n["secondary_actor"]["id"], w.admin.id);
    assert_eq!(n["user"]["id"], w.agent.id);
    assert_eq!(n["account_id"], w.account_id);
    assert_eq!(n["read_at"], Value::Null);
    assert_eq!(n["push_message_title"], "A conversation (#1) has been assigned to you");
    // Administrators receive every event of the account, but not someone else's notifications.
    assert!(notifications_within(&mut admin_ws, Duration::from_millis(500)).await.is_empty());

    // Assigning oneself notifies nobody.
    let r = app
        .post(&w.path("/conversations/1/assignments"))
        .token(&w.admin.access_token)
        .json(&json!({ "assignee_id": w.admin.id }))
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert!(notifications_within(&mut admin_ws, Duration::from_millis(500)).await.is_empty());

    // The agent mentions the administrator (and themselves) in a private note.
    let note = format!("[@Admin](mention://user/{}/Admin) and [@Me](mention://user/{}/Me), look", w.admin.id, w.agent.id);
    let r = app
        .post(&w.path("/conversations/1/messages"))
        .token(&w.agent.access_token)
        .json(&json!({ "content": note, "private": true }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let frames = events_within(&mut admin_ws, Duration::from_secs(2), &["notification.created", "conversation.mentioned"]).await;
    let mentioned: Vec<&Value> = frames.iter().filter(|(e, _)| e == "conversation.mentioned").map(|(_, d)| d).collect();
    assert_eq!(mentioned.len(), 1, "conversation.mentioned to the mentioned user: {frames:?}");
    assert_eq!(mentioned[0]["id"], 1);
    let got: Vec<Value> = frames.into_iter().filter(|(e, _)| e == "notification.created").map(|(_, d)| d).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["notification_type"], "conversation_mention");
    assert_eq!(got[0]["secondary_actor"]["id"], r.body["id"]);
    assert_eq!(got[0]["secondary_actor"]["private"], true);
    let own = events_within(&mut agent_ws, Duration::from_millis(500), &["notification.created", "conversation.mentioned"]).await;
    assert!(own.is_empty(), "nothing of one's own mention: {own:?}");
    // A mention in a public reply is not a mention.
    let r = app
        .post(&w.path("/conversations/1/messages"))
        .token(&w.agent.access_token)
        .json(&json!({ "content": format!("[@Admin](mention://user/{}/Admin)", w.admin.id) }))
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert!(notifications_within(&mut admin_ws, Duration::from_millis(500)).await.is_empty());

    // A conversation created already assigned notifies its assignee.
    let created = assigned_to_agent(&app, &w, inbox, contact).await;
    let got = notifications_within(&mut agent_ws, Duration::from_secs(2)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["primary_actor_id"], created["id"]);
}

#[tokio::test]
async fn users_list_read_and_delete_only_their_own_notifications() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    for _ in 0..2 {
        assigned_to_agent(&app, &w, inbox, contact).await;
    }
    let list = |token: String| {
        let app = &app;
        let path = w.path("/notifications");
        async move { app.get(&path).token(&token).send().await }
    };
    let r = list(w.agent.access_token.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["data"]["meta"], json!({ "unread_count": 2, "count": 2, "current_page": 1 }));
    let payload = r.body["data"]["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 2);
    assert_keys(&payload[0], NOTIFICATION_KEYS);
    assert_eq!(payload[0]["notification_type"], "conversation_assignment");
    assert_eq!(payload[0]["secondary_actor"]["id"], w.admin.id);
    assert_eq!(payload[0]["primary_actor_id"], 2, "newest first");
    let (newest, oldest) = (payload[0]["id"].as_i64().unwrap(), payload[1]["id"].as_i64().unwrap());
    // The administrator has none of them, and a bad page number is page 1.
    let r = app.get(&w.path("/notifications?page=abc")).token(&w.admin.access_token).send().await;
    assert_eq!(r.body["data"]["meta"], json!({ "unread_count": 0, "count": 0, "current_page": 1 }));
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/notifications"), None).await, READ);
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/notifications/unread_count"), None).await, READ);

    // Reading one: only its user may; for anyone else it does not exist.
    let one = w.path(&format!("/notifications/{newest}"));
    for token in [&w.admin.access_token, &w.outsider.access_token] {
        assert_eq!(app.call(Method::PATCH, &one).token(token).send().await.status, 404);
        assert_eq!(app.call(Method::DELETE, &one).token(token).send().await.status, 404);
    }
    assert_eq!(app.call(Method::PATCH, &one).send().await.status, 401);
    assert_eq!(app.call(Method::PATCH, &one).token("not-a-token").send().await.status, 401);
    assert_eq!(app.call(Method::PATCH, &w.path("/notifications/abc")).token(&w.agent.access_token).send().await.status, 404);
    let r = app.call(Method::PATCH, &one).token(&w.agent.access_token).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["read_at"].as_i64().is_some());
    let r = app.get(&w.path("/notifications/unread_count")).token(&w.agent.access_token).send().await;
    assert_eq!(r.body, json!(1));

    // read_all reads only the caller's own.
    assert_eq!(app.post(&w.path("/notifications/read_all")).token(&w.admin.access_token).send().await.status, 200);
    assert_eq!(app.get(&w.path("/notifications/unread_count")).token(&w.agent.access_token).send().await.body, json!(1));
    assert_eq!(app.post(&w.path("/notifications/read_all")).token(&w.agent.access_token).send().await.status, 200);
    assert_eq!(app.get(&w.path("/notifications/unread_count")).token(&w.agent.access_token).send().await.body, json!(0));
    assert_eq!(app.post(&w.path("/notifications/read_all")).send().await.status, 401);
    assert_eq!(app.post(&w.path("/notifications/read_all")).token(&w.outsider.access_token).send().await.status, 404);

    let r = app.call(Method::DELETE, &w.path(&format!("/notifications/{oldest}"))).token(&w.agent.access_token).send().await;
    assert_eq!(r.status, 200);
    let r = list(w.agent.access_token.clone()).await;
    assert_eq!(r.body["data"]["meta"]["count"], 1);
    assert_eq!(r.body["data"]["payload"][0]["id"], newest);
}
