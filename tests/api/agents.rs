use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, Matrix, ADMIN_WRITE, AGENT_KEYS, READ};

#[tokio::test]
async fn agents_list() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/agents"), None).await, READ);
    let r = app.get(&w.path("/agents")).token(&w.agent.access_token).send().await;
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 2, "only this account's members");
    assert_keys(&list[0], AGENT_KEYS);
    assert!(list.iter().all(|a| a["account_id"] == w.account_id));
}

#[tokio::test]
async fn agents_create_update_delete() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let m = matrix(&app, &w, Method::POST, &w.path("/agents"), Some(json!({ "name": "New", "email": "new@example.com", "role": "agent" })))
        .await;
    assert_eq!(m, ADMIN_WRITE);

    let created = app
        .post(&w.path("/agents"))
        .token(admin)
        .json(&json!({ "name": "Nia", "email": "nia@example.com", "role": "administrator", "availability_status": "busy", "password": "first-pass" }))
        .send()
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_keys(&created.body, AGENT_KEYS);
    assert_eq!(created.body["role"], "administrator");
    assert_eq!(created.body["availability_status"], "busy");
    let nia = created.body["id"].as_i64().unwrap();
    assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": "nia@example.com", "password": "first-pass" })).send().await.status, 200);

    // An existing user of another account joins this one.
    let joiner = app.create_user("Jo Joiner", None).await;
    app.add_member(w.other_account_id, &joiner, "agent").await;
    let joined =
        app.post(&w.path("/agents")).token(admin).json(&json!({ "name": "Jo", "email": joiner.email, "role": "agent" })).send().await;
    assert_eq!(joined.status, 200);
    assert_eq!(joined.body["id"], joiner.id);

    assert_invalid(
        &app.post(&w.path("/agents")).token(admin).json(&json!({ "name": "X", "email": "NIA@example.com", "role": "agent" })).send().await,
        "email",
    );
    assert_invalid(
        &app.post(&w.path("/agents")).token(admin).json(&json!({ "name": "X", "email": "x@example.com", "role": "boss" })).send().await,
        "role",
    );
    assert_invalid(&app.post(&w.path("/agents")).token(admin).json(&json!({ "name": "X", "role": "agent" })).send().await, "email");
    assert_invalid(
        &app.post(&w.path("/agents")).token(admin).json(&json!({ "email": "y@example.com", "role": "agent" })).send().await,
        "name",
    );

    let path = w.path(&format!("/agents/{nia}"));
    let m = matrix(&app, &w, Method::PATCH, &path, Some(json!({ "role": "agent", "availability_status": "offline" }))).await;
    assert_eq!(m, ADMIN_WRITE);
    let after = app.get(&w.path("/agents")).token(admin).send().await;
    let nia_row = after.body.as_array().unwrap().iter().find(|a| a["id"] == nia).cloned().unwrap();
    assert_eq!(nia_row["role"], "agent");
    assert_eq!(nia_row["availability_status"], "offline");
    assert_invalid(&app.patch(&path).token(admin).json(&json!({ "availability_status": "away" })).send().await, "availability_status");
    assert_eq!(app.patch(&w.path("/agents/999999")).token(admin).json(&json!({ "role": "agent" })).send().await.status, 404);

    // The last administrator cannot be demoted or removed.
    let self_path = w.path(&format!("/agents/{}", w.admin.id));
    assert_invalid(&app.patch(&self_path).token(admin).json(&json!({ "role": "agent" })).send().await, "role");
    assert_invalid(&app.delete(&self_path).token(admin).send().await, "role");

    let m = matrix(&app, &w, Method::DELETE, &path, None).await;
    assert_eq!(m, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 200 });
    assert_eq!(app.delete(&path).token(admin).send().await.status, 404);
    // Members of another account are not ours to remove.
    let other_admin_path = format!("/api/v1/accounts/{}/agents/{}", w.account_id, 999_999);
    assert_eq!(app.delete(&other_admin_path).token(admin).send().await.status, 404);
}

#[tokio::test]
async fn removing_an_agent_removes_their_inbox_and_team_memberships() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let inbox = app.create_inbox(w.account_id, "Support").await;
    app.add_inbox_member(inbox, &w.agent).await;
    let team = app.post(&w.path("/teams")).token(admin).json(&json!({ "name": "Sales" })).send().await.body["id"].as_i64().unwrap();
    app.post(&w.path(&format!("/teams/{team}/team_members"))).token(admin).json(&json!({ "user_ids": [w.agent.id] })).send().await;

    assert_eq!(app.delete(&w.path(&format!("/agents/{}", w.agent.id))).token(admin).send().await.status, 200);
    let members = app.get(&w.path(&format!("/inbox_members/{inbox}"))).token(admin).send().await;
    assert_eq!(members.body["payload"], json!([]));
    let team_members = app.get(&w.path(&format!("/teams/{team}/team_members"))).token(admin).send().await;
    assert_eq!(team_members.body, json!([]));
    assert_eq!(app.get(&w.path("")).token(&w.agent.access_token).send().await.status, 404);
}

/// Two administrators demote each other at the same moment: each check used to count the other
/// as the administrator who stays, and both writes went through. One must be refused.
#[tokio::test]
async fn two_demotions_at_once_leave_an_administrator() {
    let app = TestApp::spawn().await;
    for round in 0..5 {
        let account = app.create_account(&format!("Race {round}")).await;
        let (a, b) = (app.create_user("Ann", None).await, app.create_user("Bob", None).await);
        app.add_member(account, &a, "administrator").await;
        app.add_member(account, &b, "administrator").await;
        let path = |id: i64| format!("/api/v1/accounts/{account}/agents/{id}");
        // Each demotes the other; in odd rounds one removes the other instead.
        let first = app.patch(&path(b.id)).token(&a.access_token).json(&json!({ "role": "agent" })).send();
        let second = if round % 2 == 0 {
            app.patch(&path(a.id)).token(&b.access_token).json(&json!({ "role": "agent" })).send()
        } else {
            app.delete(&path(a.id)).token(&b.access_token).send()
        };
        let (first, second) = tokio::join!(first, second);
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        // The loser is refused as the last administrator (422), or, if its caller was demoted
        // first, as an agent (401), or, if its caller was removed first, as a stranger (404).
        assert_eq!(statuses[0], 200, "round {round}: {} {}", first.body, second.body);
        assert!(matches!(statuses[1], 401 | 404 | 422), "round {round}: {} {}", first.body, second.body);
        let members = app.get(&format!("/api/v1/accounts/{account}/agents")).token(&a.access_token).send().await;
        let members = if members.status == 200 {
            members
        } else {
            app.get(&format!("/api/v1/accounts/{account}/agents")).token(&b.access_token).send().await
        };
        let admins = members.body.as_array().unwrap().iter().filter(|m| m["role"] == "administrator").count();
        assert_eq!(admins, 1, "round {round}: {}", members.body);
    }
}
