use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::TestApp;

use crate::conversations::{new_conversation, setup};
use crate::support::{assert_invalid, assert_keys, matrix, READ};

const MESSAGE_KEYS: &[&str] = &[
    "id",
    "content",
    "account_id",
    "inbox_id",
    "conversation_id",
    "message_type",
    "content_type",
    "status",
    "content_attributes",
    "created_at",
    "private",
    "source_id",
    "sender_type",
    "sender_id",
    "sender",
];

#[tokio::test]
async fn messages_page_newest_first_with_cursors() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let path = w.path("/conversations/1/messages");
    let mut ids = Vec::new();
    for i in 0..45 {
        let r = app.post(&path).token(&w.agent.access_token).json(&json!({ "content": format!("m{i}") })).send().await;
        assert_eq!(r.status, 200);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let latest = app.get(&path).token(&w.agent.access_token).send().await;
    let got: Vec<i64> = latest.body["payload"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, ids[25..].to_vec(), "the newest 20, oldest first");
    assert_keys(&latest.body["payload"][0], MESSAGE_KEYS);
    assert_keys(&latest.body["meta"], &["labels", "contact", "assignee", "agent_last_seen_at"]);
    let before = app.get(&format!("{path}?before={}", ids[25])).token(&w.agent.access_token).send().await;
    let got: Vec<i64> = before.body["payload"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, ids[5..25].to_vec());
    let after = app.get(&format!("{path}?after={}", ids[40])).token(&w.agent.access_token).send().await;
    let got: Vec<i64> = after.body["payload"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, ids[41..].to_vec());
    let lenient = app.get(&format!("{path}?before=abc")).token(&w.agent.access_token).send().await;
    assert_eq!(lenient.body["payload"].as_array().unwrap().len(), 20);
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
}

#[tokio::test]
async fn incoming_outgoing_and_private_messages_update_the_conversation() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let agent = &w.agent.access_token;
    let path = w.path("/conversations/1/messages");
    let conv = || app.get(&w.path("/conversations/1")).token(agent).send();

    let incoming = app.post(&path).token(agent).json(&json!({ "content": "I need help", "message_type": "incoming" })).send().await;
    assert_eq!(incoming.status, 200, "{:?}", incoming.body);
    assert_eq!(incoming.body["message_type"], 0);
    assert_eq!(incoming.body["sender_type"], "Contact");
    assert_eq!(incoming.body["sender"]["id"], contact);
    let c = conv().await.body;
    assert!(c["waiting_since"].is_i64());
    assert_eq!(c["first_reply_created_at"], Value::Null);
    assert_eq!(c["unread_count"], 1);

    let note = app.post(&path).token(agent).json(&json!({ "content": "internal", "private": true })).send().await;
    assert_eq!(note.body["private"], true);
    let c = conv().await.body;
    assert!(c["waiting_since"].is_i64(), "a private note is not a reply");
    assert_eq!(c["first_reply_created_at"], Value::Null);

    let reply = app.post(&path).token(agent).json(&json!({ "content": "On it", "echo_id": "e-1" })).send().await;
    assert_eq!(reply.body["message_type"], 1);
    assert_eq!(reply.body["sender_type"], "User");
    assert_eq!(reply.body["sender"]["id"], w.agent.id);
    assert_eq!(reply.body["echo_id"], "e-1");
    let c = conv().await.body;
    assert_eq!(c["waiting_since"], Value::Null);
    assert!(c["first_reply_created_at"].is_i64());

    // An incoming message reopens a resolved conversation.
    app.post(&w.path("/conversations/1/toggle_status")).token(agent).json(&json!({ "status": "resolved" })).send().await;
    app.post(&path).token(agent).json(&json!({ "content": "still broken", "message_type": "incoming" })).send().await;
    assert_eq!(conv().await.body["status"], "open");

    // Seen by the agent: nothing unread.
    assert_eq!(app.post(&w.path("/conversations/1/update_last_seen")).token(agent).send().await.status, 200);
    assert_eq!(conv().await.body["unread_count"], 0);

    // Replies must point into the same conversation.
    let id = reply.body["id"].as_i64().unwrap();
    let quoted =
        app.post(&path).token(agent).json(&json!({ "content": "see above", "content_attributes": { "in_reply_to": id } })).send().await;
    assert_eq!(quoted.body["content_attributes"]["in_reply_to"], id);
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "content": "x", "in_reply_to": 999999 })).send().await, "in_reply_to");

    assert_invalid(&app.post(&path).token(agent).json(&json!({ "content": "  " })).send().await, "content");
    assert_invalid(&app.post(&path).token(agent).json(&json!({})).send().await, "content");
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "content": "x", "message_type": "activity" })).send().await, "message_type");
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "content": "x", "content_type": "hologram" })).send().await, "content_type");
    assert_invalid(
        &app.post(&path).token(agent).json(&json!({ "content": "x", "message_type": "incoming", "private": true })).send().await,
        "private",
    );
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "content": "x".repeat(150_001) })).send().await, "content");
}

#[tokio::test]
async fn deleting_a_message_is_soft() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let path = w.path("/conversations/1/messages");
    let id = app.post(&path).token(&w.agent.access_token).json(&json!({ "content": "oops" })).send().await.body["id"].as_i64().unwrap();
    let m = matrix(&app, &w, Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(m, READ);
    let list = app.get(&path).token(&w.agent.access_token).send().await;
    let deleted = list.body["payload"].as_array().unwrap().iter().find(|m| m["id"] == id).cloned().unwrap();
    assert_eq!(deleted["content"], "This message was deleted");
    assert_eq!(deleted["content_attributes"]["deleted"], true);
    assert_eq!(app.delete(&format!("{path}/999999")).token(&w.agent.access_token).send().await.status, 404);
}
