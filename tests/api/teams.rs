use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, ADMIN_WRITE, AGENT_KEYS, READ};

#[tokio::test]
async fn teams_crud() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/teams"), Some(json!({ "name": "Billing" }))).await, ADMIN_WRITE);
    let created = app
        .post(&w.path("/teams"))
        .token(admin)
        .json(&json!({ "name": "Sales", "description": "Deals", "allow_auto_assign": false }))
        .send()
        .await;
    assert_eq!(created.status, 200);
    assert_keys(&created.body, &["id", "name", "description", "allow_auto_assign", "account_id", "is_member"]);
    assert_eq!(created.body["name"], "sales", "team names are stored lowercase");
    assert_eq!(created.body["allow_auto_assign"], false);
    let id = created.body["id"].as_i64().unwrap();
    assert_invalid(&app.post(&w.path("/teams")).token(admin).json(&json!({ "name": "SALES" })).send().await, "name");
    assert_invalid(&app.post(&w.path("/teams")).token(admin).json(&json!({})).send().await, "name");

    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/teams"), None).await, READ);
    let path = w.path(&format!("/teams/{id}"));
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::PATCH, &path, Some(json!({ "description": "All deals" }))).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.body["description"], "All deals");
    assert_eq!(matrix(&app, &w, Method::DELETE, &path, None).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.status, 404);
    let foreign = app
        .post(&format!("/api/v1/accounts/{}/teams", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "x" }))
        .send()
        .await;
    assert_eq!(app.get(&w.path(&format!("/teams/{}", foreign.body["id"]))).token(admin).send().await.status, 404);
}

#[tokio::test]
async fn team_members() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let team = app.post(&w.path("/teams")).token(admin).json(&json!({ "name": "Support" })).send().await.body["id"].as_i64().unwrap();
    let path = w.path(&format!("/teams/{team}/team_members"));

    assert_eq!(matrix(&app, &w, Method::POST, &path, Some(json!({ "user_ids": [w.agent.id] }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    let list = app.get(&path).token(&w.agent.access_token).send().await;
    assert_keys(&list.body[0], AGENT_KEYS);
    assert_eq!(list.body[0]["id"], w.agent.id);
    let teams = app.get(&w.path("/teams")).token(&w.agent.access_token).send().await;
    assert_eq!(teams.body[0]["is_member"], true);

    assert_eq!(matrix(&app, &w, Method::PATCH, &path, Some(json!({ "user_ids": [w.agent.id] }))).await, ADMIN_WRITE);
    let replaced = app.patch(&path).token(admin).json(&json!({ "user_ids": [w.admin.id] })).send().await;
    assert_eq!(replaced.body.as_array().unwrap().iter().map(|a| a["id"].clone()).collect::<Vec<_>>(), vec![json!(w.admin.id)]);
    assert_invalid(&app.post(&path).token(admin).json(&json!({ "user_ids": [w.outsider.id] })).send().await, "user_ids");
    assert_invalid(&app.post(&path).token(admin).json(&json!({})).send().await, "user_ids");
    assert_eq!(matrix(&app, &w, Method::DELETE, &path, Some(json!({ "user_ids": [w.admin.id] }))).await, ADMIN_WRITE);
    assert_eq!(app.get(&path).token(admin).send().await.body, json!([]));
}
