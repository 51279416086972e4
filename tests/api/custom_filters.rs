//! Saved filters: each user's own, checked when saved, and run by the conversation and contact
//! lists with `custom_filter_id`, with the auth matrix.

use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, READ};

#[tokio::test]
async fn saved_filters_belong_to_their_user_and_run_from_the_lists() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (admin, agent) = (&w.admin.access_token, &w.agent.access_token);
    let path = w.path("/custom_filters");
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c1 = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();
    let c2 = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();
    app.post(&w.path(&format!("/conversations/{c2}/toggle_status"))).token(admin).json(&json!({ "status": "resolved" })).send().await;

    let resolved = json!({ "name": "Resolved", "type": "conversation", "query": { "payload": [
        { "attribute_key": "status", "filter_operator": "equal_to", "values": ["resolved"], "query_operator": null } ] } });
    let r = app.post(&path).token(agent).json(&resolved).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["type"].as_str(), r.body["name"].as_str()), (Some("conversation"), Some("Resolved")));
    let id = r.body["id"].as_i64().unwrap();
    // Checked when saved.
    let bad = json!({ "name": "Bad", "type": "conversation", "query": { "payload": [
        { "attribute_key": "status", "filter_operator": "sounds_like", "values": ["x"] } ] } });
    assert_invalid(&app.post(&path).token(agent).json(&bad).send().await, "query.payload[0].filter_operator");
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "name": "x", "type": "inbox", "query": {} })).send().await, "type");
    assert_invalid(&app.post(&path).token(agent).json(&json!({ "type": "contact", "query": { "payload": [] } })).send().await, "name");

    // It runs from the list, with the filter endpoint's paging and counts.
    let run = app.get(&w.path(&format!("/conversations?custom_filter_id={id}"))).token(agent).send().await;
    assert_eq!(run.status, 200, "{:?}", run.body);
    let ids: Vec<i64> = run.body["data"]["payload"].as_array().unwrap().iter().filter_map(|c| c["id"].as_i64()).collect();
    assert_eq!(ids, [c2], "only the resolved one, not {c1}");
    assert_eq!(run.body["data"]["meta"]["all_count"], 1);
    // A contact filter runs from the contacts list; the wrong list is a 422.
    let by_name = json!({ "name": "Carla", "type": "contact", "query": { "payload": [
        { "attribute_key": "name", "filter_operator": "contains", "values": ["Carl"] } ] } });
    let contact_filter = app.post(&path).token(agent).json(&by_name).send().await.body["id"].as_i64().unwrap();
    let contacts = app.get(&w.path(&format!("/contacts?custom_filter_id={contact_filter}"))).token(agent).send().await;
    assert_eq!(contacts.body["payload"].as_array().map(Vec::len), Some(1), "{:?}", contacts.body);
    assert_invalid(
        &app.get(&w.path(&format!("/conversations?custom_filter_id={contact_filter}"))).token(agent).send().await,
        "custom_filter_id",
    );

    // Each user sees only their own: another user's filter is a 404, to read, run or change.
    assert_eq!(app.get(&path).token(admin).send().await.body, json!([]));
    let one = w.path(&format!("/custom_filters/{id}"));
    assert_eq!(app.get(&one).token(admin).send().await.status, 404);
    assert_eq!(app.get(&w.path(&format!("/conversations?custom_filter_id={id}"))).token(admin).send().await.status, 404);
    assert_eq!(app.patch(&one).token(admin).json(&json!({ "name": "Mine" })).send().await.status, 404);
    assert_eq!(app.get(&format!("{path}?filter_type=contact")).token(agent).send().await.body.as_array().map(Vec::len), Some(1));
    let r = app.patch(&one).token(agent).json(&json!({ "custom_filter": { "name": "Done" } })).send().await;
    assert_eq!((r.status, r.body["name"].as_str(), r.body["type"].as_str()), (200, Some("Done"), Some("conversation")));
    // The matrix: every member manages their own (the admin's list is their own, empty).
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::GET, &one, None).await.agent, 200);
    assert_eq!(matrix(&app, &w, Method::DELETE, &one, None).await.agent, 200);
    assert_eq!(app.get(&one).token(agent).send().await.status, 404, "deleted");
}
