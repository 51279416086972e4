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

pub(crate) fn form(parts: Vec<(&str, Vec<u8>, &str)>, content: Option<&str>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(c) = content {
        form = form.text("content", c.to_string());
    }
    for (name, bytes, mime) in parts {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(mime).unwrap();
        form = form.part("attachments[]", part);
    }
    form
}

fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map(|it| it.flatten().map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 }).sum()).unwrap_or(0)
    }
    count(&app.storage_dir)
}

#[tokio::test]
async fn attachments_upload_and_signed_download() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let url = app.url(&w.path("/conversations/1/messages"));
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4];
    let pdf = b"%PDF-1.4 report".to_vec();
    let parts = vec![("photo.png", png.clone(), "image/png"), ("../../etc/report.pdf", pdf.clone(), "application/pdf")];
    let resp = app
        .client
        .post(&url)
        .header("api_access_token", &w.agent.access_token)
        .multipart(form(parts, Some("see attached")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let message: Value = resp.json().await.unwrap();
    assert_eq!(message["content"], "see attached");
    let files = message["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_keys(&files[0], &["id", "message_id", "file_type", "data_url", "thumb_url", "file_size", "extension"]);
    assert_eq!(files[0]["file_type"], "image");
    assert_eq!(files[1]["file_type"], "file");
    assert_eq!(files[1]["file_name"], "../../etc/report.pdf");
    assert_eq!(files[1]["file_size"], pdf.len());

    // The signed URL serves the bytes to anyone holding it.
    let data_url = files[0]["data_url"].as_str().unwrap().to_string();
    let got = app.client.get(&data_url).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().to_vec(), png);
    let pdf_url = files[1]["data_url"].as_str().unwrap();
    assert!(pdf_url.contains("/report.pdf?"), "{pdf_url}");
    assert_eq!(app.client.get(pdf_url).send().await.unwrap().bytes().await.unwrap().to_vec(), pdf);

    // A tampered or stretched link is refused; a member's token works; another account's does not.
    let tampered = data_url.replace("signature=", "signature=00");
    assert_eq!(app.client.get(&tampered).send().await.unwrap().status(), 403);
    let id = files[0]["id"].as_i64().unwrap();
    let stretched = format!("{}/attachments/{id}/photo.png?expires=9999999999&signature=abcd", app.address);
    assert_eq!(app.client.get(&stretched).send().await.unwrap().status(), 403);
    let bare = format!("{}/attachments/{id}/photo.png", app.address);
    assert_eq!(app.client.get(&bare).send().await.unwrap().status(), 403);
    assert_eq!(app.client.get(&bare).header("api_access_token", &w.agent.access_token).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(&bare).header("api_access_token", &w.outsider.access_token).send().await.unwrap().status(), 403);
    assert_eq!(app.client.get(format!("{}/attachments/999999/x", app.address)).send().await.unwrap().status(), 404);

    // The list shows them too; an attachment alone needs no text.
    let alone = app
        .client
        .post(&url)
        .header("api_access_token", &w.agent.access_token)
        .multipart(form(vec![("a.txt", b"hi".to_vec(), "text/plain")], None))
        .send()
        .await
        .unwrap();
    assert_eq!(alone.status(), 200);
    let list = app.get(&w.path("/conversations/1/messages")).token(&w.agent.access_token).send().await;
    let with_files: Vec<usize> =
        list.body["payload"].as_array().unwrap().iter().map(|m| m["attachments"].as_array().unwrap().len()).collect();
    assert_eq!(with_files, vec![2, 1]);
    let conv = app.get(&w.path("/conversations/1")).token(&w.agent.access_token).send().await;
    assert_eq!(conv.body["last_non_activity_message"]["attachments"][0]["file_name"], "a.txt");
}

#[tokio::test]
async fn attachment_limits_leave_nothing_behind() {
    let app = TestApp::spawn_with(|s| s.max_attachment_bytes = 1024).await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let url = app.url(&w.path("/conversations/1/messages"));
    let send = |f: reqwest::multipart::Form| app.client.post(&url).header("api_access_token", &w.agent.access_token).multipart(f).send();

    let sixteen: Vec<(&str, Vec<u8>, &str)> = (0..16).map(|_| ("f.txt", b"x".to_vec(), "text/plain")).collect();
    let r = send(form(sixteen, Some("too many"))).await.unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "attachments");
    let big = send(form(vec![("big.bin", vec![7u8; 4096], "application/octet-stream")], Some("big"))).await.unwrap();
    assert_eq!(big.status(), 413);
    let bad_field = send(form(vec![("ok.txt", b"x".to_vec(), "text/plain")], None).text("message_type", "shout")).await.unwrap();
    assert_eq!(bad_field.status(), 422);
    assert_eq!(stored_files(&app), 0, "refused uploads are removed");
    let fifteen: Vec<(&str, Vec<u8>, &str)> = (0..15).map(|_| ("f.txt", b"x".to_vec(), "text/plain")).collect();
    let ok = send(form(fifteen, None)).await.unwrap();
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    assert_eq!(stored_files(&app), 15);
    // A form with no parts at all is malformed multipart: a clear 400, not a 500.
    let empty = send(reqwest::multipart::Form::new()).await.unwrap();
    assert_eq!(empty.status(), 400);
    let body: Value = empty.json().await.unwrap();
    assert!(body["error"].as_str().is_some_and(|e| e.contains("multipart")), "{body}");
}

#[tokio::test]
async fn templates_failures_and_contact_activity() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let agent = &w.agent.access_token;
    let path = w.path("/conversations/1/messages");

    let template = json!({ "name": "order_update", "language": "es", "processed_params": { "body": { "1": "Ana" } } });
    let sent = app.post(&path).token(agent).json(&json!({ "template_params": template })).send().await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    assert_eq!(sent.body["additional_attributes"]["template_params"]["name"], "order_update");
    assert_invalid(
        &app.post(&path).token(agent).json(&json!({ "template_params": { "language": "es" } })).send().await,
        "template_params.name",
    );
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "template_params": "order_update" })).send().await, "template_params");

    // A message the channel refused shows why.
    let id = sent.body["id"].as_i64().unwrap();
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use switchboard_store::schema::messages;
        let mut conn = app.db.get().await.unwrap();
        diesel::update(messages::table.find(id))
            .set((messages::status.eq("failed"), messages::external_error.eq(Some("131047: Re-engagement message"))))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let list = app.get(&path).token(agent).send().await;
    let failed = list.body["payload"].as_array().unwrap().iter().find(|m| m["id"] == id).cloned().unwrap();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["content_attributes"]["external_error"], "131047: Re-engagement message");

    // The contact's last activity is when it last wrote.
    let before = app.get(&w.path(&format!("/contacts/{contact}"))).token(agent).send().await.body["payload"]["last_activity_at"].clone();
    assert_eq!(before, Value::Null);
    app.post(&path).token(agent).json(&json!({ "content": "hi", "message_type": "incoming" })).send().await;
    let after = app.get(&w.path(&format!("/contacts/{contact}"))).token(agent).send().await.body["payload"]["last_activity_at"].clone();
    assert!(after.is_i64());
}
