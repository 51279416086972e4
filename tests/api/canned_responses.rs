//! Canned responses: CRUD with the auth matrix, one short code per account, search, and a
//! message created from one with its variables rendered (unknown ones left as written).

use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, ADMIN_WRITE, READ};

#[tokio::test]
async fn canned_responses_are_read_by_members_written_by_administrators_and_rendered_into_messages() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let path = w.path("/canned_responses");
    let welcome = json!({ "short_code": "welcome", "content": "Hi {{contact.first_name}}, {{agent.name}} here about #{{conversation.id}} {{contact.shoe_size}}" });
    let r = app.post(&path).token(admin).json(&welcome).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    // One short code per account, whatever its case; strict bodies.
    assert_invalid(&app.post(&path).token(admin).json(&json!({ "short_code": "WELCOME", "content": "x" })).send().await, "short_code");
    assert_invalid(&app.post(&path).token(admin).json(&json!({ "short_code": "two words", "content": "x" })).send().await, "short_code");
    assert_invalid(&app.post(&path).token(admin).json(&json!({ "short_code": "bye" })).send().await, "content");
    assert_eq!(app.post(&path).token(admin).json(&json!({ "short_code": "x", "content": "y", "tone": 1 })).send().await.status, 422);
    let refund = app
        .post(&path)
        .token(admin)
        .json(&json!({ "canned_response": { "short_code": "refund", "content": "Your refund is on its way" } }))
        .send()
        .await;
    assert_eq!(refund.status, 200, "Rails clients wrap the body: {:?}", refund.body);
    // Search over short code and content.
    let found = app.get(&format!("{path}?search=REFUND")).token(&w.agent.access_token).send().await;
    assert_eq!(found.body.as_array().map(Vec::len), Some(1));
    let found = app.get(&format!("{path}?search=way")).token(&w.agent.access_token).send().await;
    assert_eq!(found.body[0]["short_code"], "refund");
    assert_eq!(app.get(&path).token(admin).send().await.body.as_array().map(Vec::len), Some(2));

    // A message from it, its variables rendered for that conversation.
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let messages = w.path(&format!("/conversations/{}/messages", c["id"]));
    let r = app.post(&messages).token(&w.agent.access_token).json(&json!({ "canned_response_id": id })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let expected = format!("Hi Carla, {} here about #{} {{{{contact.shoe_size}}}}", w.agent.name, c["id"]);
    assert_eq!(r.body["content"].as_str(), Some(expected.as_str()));

    // Another account's canned response: 404 to manage, 422 to use.
    let theirs = app
        .post(&format!("/api/v1/accounts/{}/canned_responses", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "short_code": "welcome", "content": "theirs" }))
        .send()
        .await;
    assert_eq!(theirs.status, 200, "short codes are per account: {:?}", theirs.body);
    let their_id = theirs.body["id"].as_i64().unwrap();
    assert_eq!(
        app.patch(&w.path(&format!("/canned_responses/{their_id}"))).token(admin).json(&json!({ "content": "x" })).send().await.status,
        404
    );
    assert_eq!(app.delete(&w.path(&format!("/canned_responses/{their_id}"))).token(admin).send().await.status, 404);
    assert_invalid(&app.post(&messages).token(admin).json(&json!({ "canned_response_id": their_id })).send().await, "canned_response_id");

    let one = w.path(&format!("/canned_responses/{id}"));
    let r = app.patch(&one).token(admin).json(&json!({ "content": "Hello {{contact.name}}" })).send().await;
    assert_eq!((r.status, r.body["content"].as_str()), (200, Some("Hello {{contact.name}}")));
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::POST, &path, Some(json!({ "short_code": "m", "content": "n" }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::PATCH, &one, Some(json!({ "content": "again" }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::DELETE, &one, None).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.body.as_array().map(Vec::len), Some(2), "refund and m");
}
