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

/// A file uploaded once (`attach_file`) goes out with each execution of `send_attachment`, each
/// message owning its copy; rules take uploads the same way (administrators only there).
#[tokio::test]
async fn uploaded_files_are_sent_by_send_attachment() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await["id"].as_i64().unwrap();
    let upload = |path: String, token: String| {
        let app = &app;
        async move {
            let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 price list".to_vec())
                .file_name("prices.pdf")
                .mime_str("application/pdf")
                .unwrap();
            let resp = app
                .client
                .post(format!("{}{path}", app.address))
                .header("api_access_token", token)
                .multipart(reqwest::multipart::Form::new().part("attachment", part))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = upload(w.path("/macros/attach_file"), w.agent.access_token.clone()).await;
    assert_eq!(status, 200, "{body:?}");
    let blob = body["blob_id"].as_i64().unwrap();
    assert_eq!(body["filename"], "prices.pdf");
    // Rules' uploads are for administrators; a body without a file is named.
    assert_eq!(upload(w.path("/automation_rules/attach_file"), w.agent.access_token.clone()).await.0, 401);
    assert_eq!(upload(w.path("/automation_rules/attach_file"), w.admin.access_token.clone()).await.0, 200);
    assert_invalid(&app.post(&w.path("/macros/attach_file")).token(&w.agent.access_token).json(&json!({})).send().await, "attachment");
    // No token, a bad one, another account's caller.
    assert_eq!(app.post(&w.path("/macros/attach_file")).json(&json!({})).send().await.status, 401);
    assert_eq!(app.post(&w.path("/macros/attach_file")).token("nope").json(&json!({})).send().await.status, 401);
    assert_eq!(upload(w.path("/macros/attach_file"), w.outsider.access_token.clone()).await.0, 404);
    assert_eq!(upload(w.path("/automation_rules/attach_file"), w.outsider.access_token.clone()).await.0, 404);
    // Another account's upload is not usable.
    let (_, theirs) = upload(format!("/api/v1/accounts/{}/macros/attach_file", w.other_account_id), w.outsider.access_token.clone()).await;
    let bad = json!({ "name": "x", "actions": [{ "action_name": "send_attachment", "action_params": [theirs["blob_id"]] }] });
    assert_invalid(&app.post(&w.path("/macros")).token(&w.agent.access_token).json(&bad).send().await, "actions[0].action_params");

    let m = app
        .post(&w.path("/macros"))
        .token(&w.agent.access_token)
        .json(&json!({ "name": "Prices", "actions": [{ "action_name": "send_attachment", "action_params": [blob] }] }))
        .send()
        .await;
    assert_eq!(m.status, 200, "{:?}", m.body);
    let execute = w.path(&format!("/macros/{}/execute", m.body["payload"]["id"]));
    for _ in 0..2 {
        let r = app.post(&execute).token(&w.agent.access_token).json(&json!({ "conversation_ids": [c] })).send().await;
        assert_eq!(r.body["payload"][0]["status"], "applied", "{:?}", r.body);
    }
    let messages = app.get(&w.path(&format!("/conversations/{c}/messages"))).token(&w.agent.access_token).send().await.body;
    let with_files: Vec<&Value> =
        messages["payload"].as_array().unwrap().iter().filter(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty())).collect();
    assert_eq!(with_files.len(), 2);
    let urls: Vec<&str> = with_files.iter().filter_map(|m| m["attachments"][0]["data_url"].as_str()).collect();
    assert_eq!(urls.len(), 2);
    assert_ne!(urls[0], urls[1], "each message owns its copy");
    assert_eq!(with_files[0]["attachments"][0]["file_type"], "file");
}
