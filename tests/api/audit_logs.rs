//! Audit logs: sign-ins (and failed ones), agent, role, team, label, inbox, webhook, key,
//! automation and macro changes are listed for administrators, newest first and paged, with
//! no secret in any entry; entries cannot be edited.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::TestApp;

use crate::support::{matrix, ADMIN_WRITE};

fn find<'a>(entries: &'a [Value], kind: &str, action: &str) -> Option<&'a Value> {
    entries.iter().find(|e| e["auditable_type"] == kind && e["action"] == action)
}

#[tokio::test]
async fn administrators_read_who_changed_what_and_no_secret() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let ok = |r: &switchboard_testkit::Reply| assert!(r.status < 300, "{} {:?}", r.status, r.body);

    // An agent joins with a password, signs in wrong and then right; an administrator makes
    // them an administrator.
    let r = app
        .post(&w.path("/agents"))
        .token(admin)
        .json(&json!({ "name": "Dora", "email": "dora@example.com", "role": "agent", "password": "Correct-horse-42" }))
        .send()
        .await;
    ok(&r);
    let dora = r.body["id"].as_i64().unwrap();
    assert_eq!(app.post("/auth/sign_in").json(&json!({ "email": "dora@example.com", "password": "wrong" })).send().await.status, 401);
    ok(&app.post("/auth/sign_in").json(&json!({ "email": "dora@example.com", "password": "Correct-horse-42" })).send().await);
    ok(&app.patch(&w.path(&format!("/agents/{dora}"))).token(admin).json(&json!({ "role": "administrator" })).send().await);
    // Labels, a team, a webhook, a key, a rule, a macro.
    let label = app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "vip" })).send().await;
    ok(&label);
    let label_id = label.body["id"].as_i64().unwrap();
    ok(&app.patch(&w.path(&format!("/labels/{label_id}"))).token(admin).json(&json!({ "color": "#ff0000" })).send().await);
    ok(&app.delete(&w.path(&format!("/labels/{label_id}"))).token(admin).send().await);
    ok(&app.post(&w.path("/teams")).token(admin).json(&json!({ "name": "Billing" })).send().await);
    let hook = app.post(&w.path("/webhooks")).token(admin).json(&json!({ "url": "https://crm.example.com/hook" })).send().await;
    ok(&hook);
    let secret = hook.body["secret"].as_str().unwrap_or_default().to_string();
    let key = app.post(&w.path("/api_keys")).token(admin).json(&json!({ "name": "CRM" })).send().await;
    ok(&key);
    let key_text = key.body["key"].as_str().unwrap_or_default().to_string();
    ok(&app.delete(&w.path(&format!("/api_keys/{}", key.body["id"]))).token(admin).send().await);
    ok(&app
        .post(&w.path("/automation_rules"))
        .token(admin)
        .json(&json!({ "name": "r", "event_name": "conversation_created",
            "conditions": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"] }],
            "actions": [{ "action_name": "add_label", "action_params": ["new"] }] }))
        .send()
        .await);
    ok(&app
        .post(&w.path("/macros"))
        .token(admin)
        .json(&json!({ "name": "m", "actions": [{ "action_name": "resolve_conversation" }] }))
        .send()
        .await);
    ok(&app.post(&w.path("/inboxes")).token(admin).json(&json!({ "name": "Support", "channel": { "type": "api" } })).send().await);

    let page = app.get(&w.path("/audit_logs")).token(admin).send().await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    assert_eq!((page.body["per_page"].as_i64(), page.body["current_page"].as_i64()), (Some(15), Some(1)));
    let total = page.body["total_entries"].as_i64().unwrap();
    assert!(
        total >= 14,
        "{total}: {:?}",
        page.body["audit_logs"].as_array().unwrap().iter().map(|e| format!("{} {}", e["auditable_type"], e["action"])).collect::<Vec<_>>()
    );
    let mut entries: Vec<Value> = page.body["audit_logs"].as_array().cloned().unwrap();
    assert_eq!(entries.len() as i64, total.min(15));
    let ids: Vec<i64> = entries.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(ids.windows(2).all(|p| p[0] > p[1]), "newest first");
    let second = app.get(&w.path("/audit_logs?page=2")).token(admin).send().await;
    entries.extend(second.body["audit_logs"].as_array().cloned().unwrap_or_default());
    assert_eq!(entries.len() as i64, total);

    let failed = find(&entries, "User", "sign_in_failed").expect("failed sign-in");
    assert_eq!((failed["auditable_id"].as_i64(), failed["username"].as_str()), (Some(dora), Some("dora@example.com")));
    assert!(failed["remote_address"].as_str().is_some(), "{failed}");
    assert!(find(&entries, "User", "sign_in").is_some());
    let role = entries.iter().find(|e| e["auditable_type"] == "AccountUser" && e["action"] == "update").expect("role change");
    assert_eq!(role["audited_changes"]["role_changed"], json!({ "from": "agent", "to": "administrator" }));
    assert_eq!((role["user_id"].as_i64(), role["username"].as_str()), (Some(w.admin.id), Some(w.admin.email.as_str())));
    assert_eq!(role["associated_id"].as_i64(), Some(w.account_id));
    for (kind, action) in [
        ("AccountUser", "create"),
        ("Label", "create"),
        ("Label", "update"),
        ("Label", "destroy"),
        ("Team", "create"),
        ("Webhook", "create"),
        ("AccessToken", "create"),
        ("AccessToken", "destroy"),
        ("AutomationRule", "create"),
        ("Macro", "create"),
        ("Inbox", "create"),
    ] {
        assert!(find(&entries, kind, action).is_some(), "{kind} {action}");
    }
    // No secret anywhere: the webhook's signing secret, the key, tokens.
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [secret.as_str(), key_text.as_str(), w.admin.access_token.as_str(), "Correct-horse-42"] {
        assert!(!secret.is_empty() && !text.contains(secret), "a secret leaked into the audit log");
    }

    // Read-only: no route edits an entry, and the database refuses to.
    assert_eq!(app.call(Method::PATCH, &w.path(&format!("/audit_logs/{}", ids[0]))).token(admin).json(&json!({})).send().await.status, 404);
    assert_eq!(app.delete(&w.path(&format!("/audit_logs/{}", ids[0]))).token(admin).send().await.status, 404);
    {
        use diesel_async::RunQueryDsl;
        let mut conn = app.db.get().await.unwrap();
        let refused = diesel::sql_query("UPDATE audit_logs SET action = 'forged'").execute(&mut conn).await;
        assert!(refused.is_err(), "entries are never edited");
    }
    // Another account sees none of these.
    let theirs = app.get(&format!("/api/v1/accounts/{}/audit_logs", w.other_account_id)).token(&w.outsider.access_token).send().await;
    assert!(theirs.body["audit_logs"].as_array().unwrap().iter().all(|e| e["associated_id"] == w.other_account_id));
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/audit_logs"), None).await, ADMIN_WRITE);
}
