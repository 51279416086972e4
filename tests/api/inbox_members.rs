use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, Matrix, ADMIN_WRITE, AGENT_KEYS};

#[tokio::test]
async fn inbox_members_list_add_replace_remove() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let inbox = app.create_inbox(w.account_id, "Support").await;
    let foreign_inbox = app.create_inbox(w.other_account_id, "Foreign").await;
    let second = app.create_user("Second Agent", None).await;
    app.add_member(w.account_id, &second, "agent").await;

    let add = json!({ "inbox_id": inbox, "user_ids": [w.agent.id] });
    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/inbox_members"), Some(add)).await, ADMIN_WRITE);
    let list_path = w.path(&format!("/inbox_members/{inbox}"));
    // The agent is now a member and may read the list.
    let m = matrix(&app, &w, Method::GET, &list_path, None).await;
    assert_eq!(m, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 200, admin: 200 });
    let list = app.get(&list_path).token(admin).send().await;
    assert_keys(&list.body["payload"][0], AGENT_KEYS);
    assert_eq!(list.body["payload"][0]["id"], w.agent.id);

    let replace_same = json!({ "inbox_id": inbox, "user_ids": [w.agent.id] });
    assert_eq!(matrix(&app, &w, Method::PATCH, &w.path("/inbox_members"), Some(replace_same)).await, ADMIN_WRITE);
    // Replace with the second agent (inbox_id as a string, as the OpenAPI document allows).
    let replaced = app
        .patch(&w.path("/inbox_members"))
        .token(admin)
        .json(&json!({ "inbox_id": inbox.to_string(), "user_ids": [second.id] }))
        .send()
        .await;
    assert_eq!(replaced.status, 200);
    let ids: Vec<i64> = replaced.body["payload"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![second.id]);
    // The first agent lost access.
    assert_eq!(app.get(&list_path).token(&w.agent.access_token).send().await.status, 404);

    // Users of another account cannot be added, and another account's inbox does not exist.
    assert_invalid(
        &app.post(&w.path("/inbox_members")).token(admin).json(&json!({ "inbox_id": inbox, "user_ids": [w.outsider.id] })).send().await,
        "user_ids",
    );
    assert_eq!(
        app.post(&w.path("/inbox_members"))
            .token(admin)
            .json(&json!({ "inbox_id": foreign_inbox, "user_ids": [w.agent.id] }))
            .send()
            .await
            .status,
        404
    );
    assert_invalid(&app.post(&w.path("/inbox_members")).token(admin).json(&json!({ "user_ids": [w.agent.id] })).send().await, "inbox_id");
    assert_invalid(
        &app.post(&w.path("/inbox_members")).token(admin).json(&json!({ "inbox_id": "abc", "user_ids": [] })).send().await,
        "inbox_id",
    );
    assert_invalid(
        &app.post(&w.path("/inbox_members")).token(admin).json(&json!({ "inbox_id": inbox, "user_ids": "x" })).send().await,
        "user_ids",
    );

    let remove = json!({ "inbox_id": inbox, "user_ids": [second.id] });
    assert_eq!(matrix(&app, &w, Method::DELETE, &w.path("/inbox_members"), Some(remove)).await, ADMIN_WRITE);
    assert_eq!(app.get(&list_path).token(admin).send().await.body["payload"], json!([]));
}
