//! Macros: personal and global visibility, who may write which, bad input named, and execution
//! on several conversations (each on its own: one that fails keeps nothing and the others go
//! on), with the executor named in the activity lines.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, Matrix, ADMIN_WRITE, READ};

#[tokio::test]
async fn macros_are_personal_or_global_and_apply_to_each_conversation_on_its_own() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (admin, agent) = (&w.admin.access_token, &w.agent.access_token);
    let path = w.path("/macros");
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let first = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();
    let second = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();

    let wrap_up = json!({ "name": "Wrap up", "actions": [
        { "action_name": "add_label", "action_params": ["done"] },
        { "action_name": "add_private_note", "action_params": ["Closed by macro"] },
        { "action_name": "resolve_conversation", "action_params": [] }] });
    let r = app.post(&path).token(agent).json(&wrap_up).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mine: Value = r.body["payload"].clone();
    assert_eq!((mine["visibility"].as_str(), mine["created_by"]["id"].as_i64()), (Some("personal"), Some(w.agent.id)));
    let mine_id = mine["id"].as_i64().unwrap();
    // Agents do not make global macros; bad input is named.
    assert_eq!(
        app.post(&path)
            .token(agent)
            .json(&json!({ "name": "g", "visibility": "global", "actions": wrap_up["actions"] }))
            .send()
            .await
            .status,
        401
    );
    assert_invalid(
        &app.post(&path).token(admin).json(&json!({ "name": "x", "visibility": "team", "actions": wrap_up["actions"] })).send().await,
        "visibility",
    );
    assert_invalid(
        &app.post(&path).token(admin).json(&json!({ "name": "x", "actions": [{ "action_name": "explode" }] })).send().await,
        "actions[0].action_name",
    );
    assert_invalid(&app.post(&path).token(admin).json(&json!({ "actions": wrap_up["actions"] })).send().await, "name");
    let global = app
        .post(&path)
        .token(admin)
        .json(&json!({ "macro": { "name": "Urgent", "visibility": "global", "actions": [{ "action_name": "change_priority", "action_params": ["urgent"] }] } }))
        .send()
        .await;
    assert_eq!(global.status, 200, "{:?}", global.body);
    let global_id = global.body["payload"]["id"].as_i64().unwrap();

    // The agent sees both; the administrator sees the global one only (the other is personal).
    let names =
        |v: &Value| v["payload"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&app.get(&path).token(agent).send().await.body), ["Wrap up", "Urgent"]);
    assert_eq!(names(&app.get(&path).token(admin).send().await.body), ["Urgent"]);
    assert_eq!(app.get(&w.path(&format!("/macros/{mine_id}"))).token(admin).send().await.status, 404);
    // Only administrators change the global one.
    let global_path = w.path(&format!("/macros/{global_id}"));
    assert_eq!(app.patch(&global_path).token(agent).json(&json!({ "name": "Mine now" })).send().await.status, 401);
    assert_eq!(app.delete(&global_path).token(agent).send().await.status, 401);

    // Execute: each conversation on its own.
    let execute = w.path(&format!("/macros/{mine_id}/execute"));
    let r = app.post(&execute).token(agent).json(&json!({ "conversation_ids": [first, 999_999, second] })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let outcomes = r.body["payload"].as_array().unwrap();
    let statuses: Vec<&str> = outcomes.iter().map(|o| o["status"].as_str().unwrap_or_default()).collect();
    assert_eq!(statuses, ["applied", "failed", "applied"]);
    assert_eq!(outcomes[1]["error"], "no such conversation");
    for id in [first, second] {
        let c = app.get(&w.path(&format!("/conversations/{id}"))).token(admin).send().await.body;
        assert_eq!((c["status"].as_str(), c["labels"].clone()), (Some("resolved"), json!(["done"])));
        let messages = app.get(&w.path(&format!("/conversations/{id}/messages"))).token(admin).send().await.body;
        let list = messages["payload"].as_array().unwrap();
        assert!(list.iter().any(|m| m["content"] == "Closed by macro" && m["private"] == true));
        let by = format!("resolved by {}", w.agent.name);
        assert!(list.iter().any(|m| m["content"].as_str().is_some_and(|t| t.contains(&by))), "the executor is named");
    }
    // Again: what is already so is unchanged.
    let again = app.post(&execute).token(agent).json(&json!({ "conversation_ids": [first] })).send().await;
    let results: Vec<&str> =
        again.body["payload"][0]["actions"].as_array().unwrap().iter().map(|a| a["result"].as_str().unwrap_or_default()).collect();
    assert_eq!(results, ["unchanged", "applied", "unchanged"]);
    assert_invalid(&app.post(&execute).token(agent).json(&json!({ "conversation_ids": [] })).send().await, "conversation_ids");
    // Another user's personal macro, another account's: 404.
    assert_eq!(app.post(&execute).token(admin).json(&json!({ "conversation_ids": [first] })).send().await.status, 404);
    let theirs = app
        .post(&format!("/api/v1/accounts/{}/macros", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "theirs", "visibility": "global", "actions": [{ "action_name": "resolve_conversation" }] }))
        .send()
        .await;
    let their_id = theirs.body["payload"]["id"].as_i64().unwrap();
    assert_eq!(app.get(&w.path(&format!("/macros/{their_id}"))).token(admin).send().await.status, 404);
    assert_eq!(
        app.post(&w.path(&format!("/macros/{their_id}/execute")))
            .token(admin)
            .json(&json!({ "conversation_ids": [first] }))
            .send()
            .await
            .status,
        404
    );

    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::GET, &global_path, None).await, READ);
    assert_eq!(
        matrix(&app, &w, Method::POST, &path, Some(json!({ "name": "m", "actions": [{ "action_name": "open_conversation" }] }))).await,
        READ
    );
    assert_eq!(matrix(&app, &w, Method::PATCH, &global_path, Some(json!({ "name": "Very urgent" }))).await, ADMIN_WRITE);
    let exec_global = w.path(&format!("/macros/{global_id}/execute"));
    let m: Matrix = matrix(&app, &w, Method::POST, &exec_global, Some(json!({ "conversation_ids": [first] }))).await;
    assert_eq!(m, READ);
    assert_eq!(matrix(&app, &w, Method::DELETE, &global_path, None).await, ADMIN_WRITE);
}
