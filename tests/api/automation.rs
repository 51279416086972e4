//! Automation rules: CRUD with the auth matrix and named errors, rules running from the event
//! log (labels, assignment, priority, a message, a signed webhook through the deliveries), a
//! run log with the conditions and actions, typed custom attributes in conditions, and two
//! rules that trigger each other stopping at the documented depth.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::receiver::Receiver;
use switchboard_testkit::{TestApp, World};

use crate::support::{assert_invalid, matrix, ADMIN_WRITE};

const WAIT: Duration = Duration::from_secs(15);

async fn create_rule(app: &TestApp, w: &World, body: Value) -> Value {
    let r = app.post(&w.path("/automation_rules")).token(&w.admin.access_token).json(&body).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["payload"].clone()
}

/// The rule's runs once there are at least `n`.
async fn runs(app: &TestApp, w: &World, rule: i64, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = app.get(&w.path(&format!("/automation_rules/{rule}/runs"))).token(&w.admin.access_token).send().await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let list = r.body["payload"].as_array().cloned().unwrap_or_default();
        if list.len() >= n || tokio::time::Instant::now() > deadline {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn incoming(app: &TestApp, w: &World, conversation: i64, text: &str) {
    let r = app
        .post(&w.path(&format!("/conversations/{conversation}/messages")))
        .token(&w.admin.access_token)
        .json(&json!({ "content": text, "message_type": "incoming" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

async fn conversation(app: &TestApp, w: &World, id: i64) -> Value {
    app.get(&w.path(&format!("/conversations/{id}"))).token(&w.admin.access_token).send().await.body
}

#[tokio::test]
async fn rules_are_managed_by_administrators_with_named_errors() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let path = w.path("/automation_rules");
    let rule = json!({
        "name": "Refunds to billing", "description": "tag and route", "event_name": "message_created",
        "conditions": [{ "attribute_key": "content", "filter_operator": "contains", "values": ["refund"], "query_operator": "AND" },
                       { "attribute_key": "message_type", "filter_operator": "equal_to", "values": ["incoming"] }],
        "actions": [{ "action_name": "add_label", "action_params": ["Billing"] },
                    { "action_name": "assign_agent", "action_params": [w.agent.id] }]
    });
    let created = create_rule(&app, &w, rule.clone()).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["event_name"], "message_created");
    assert_eq!(created["active"], true);
    assert!(created["created_on"].as_i64().is_some());
    assert_eq!(created["actions"][0], json!({ "action_name": "add_label", "action_params": ["billing"] }), "kept in checked form");
    assert_eq!(created["conditions"], rule["conditions"]);

    let bad = |patch: Value| {
        let mut body = rule.clone();
        if let (Some(b), Some(p)) = (body.as_object_mut(), patch.as_object()) {
            b.extend(p.clone());
        }
        body
    };
    let post = |body: Value| app.post(&path).token(admin).json(&body).send();
    assert_invalid(&post(bad(json!({ "event_name": "whenever" }))).await, "event_name");
    assert_invalid(&post(bad(json!({ "name": " " }))).await, "name");
    assert_invalid(
        &post(bad(json!({ "conditions": [{ "attribute_key": "content", "filter_operator": "resembles", "values": ["x"] }] }))).await,
        "conditions[0].filter_operator",
    );
    assert_invalid(&post(bad(json!({ "conditions": [] }))).await, "conditions");
    assert_invalid(&post(bad(json!({ "actions": [{ "action_name": "launch_rocket" }] }))).await, "actions[0].action_name");
    assert_invalid(
        &post(bad(json!({ "actions": [{ "action_name": "assign_agent", "action_params": [w.outsider.id] }] }))).await,
        "actions[0].action_params",
    );
    assert_invalid(
        &post(bad(json!({ "actions": [{ "action_name": "send_webhook_event", "action_params": ["ftp://x.example"] }] }))).await,
        "actions[0].action_params",
    );
    assert_invalid(
        &post(bad(json!({ "actions": [{ "action_name": "send_attachment", "action_params": [999] }] }))).await,
        "actions[0].action_params",
    );
    assert_eq!(post(bad(json!({ "trigger": "x" }))).await.status, 422, "strict bodies");

    // Update keeps what is left out; the Rails wrapper works.
    let one = w.path(&format!("/automation_rules/{id}"));
    let r = app.patch(&one).token(admin).json(&json!({ "automation_rule": { "active": false, "name": "Refunds" } })).send().await;
    assert_eq!((r.status, r.body["payload"]["active"].as_bool(), r.body["payload"]["name"].as_str()), (200, Some(false), Some("Refunds")));
    assert_eq!(r.body["payload"]["actions"].as_array().map(Vec::len), Some(2));
    let copy = app.post(&format!("{one}/clone")).token(admin).send().await;
    assert_eq!((copy.status, copy.body["payload"]["name"].as_str()), (200, Some("Refunds (copy)")));
    let list = app.get(&path).token(admin).send().await;
    assert_eq!(list.body["payload"].as_array().map(Vec::len), Some(2));

    // Another account's rule is a 404.
    let theirs = app
        .post(&format!("/api/v1/accounts/{}/automation_rules", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "x", "event_name": "conversation_created",
                       "conditions": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"] }],
                       "actions": [{ "action_name": "resolve_conversation" }] }))
        .send()
        .await;
    assert_eq!(theirs.status, 200, "{:?}", theirs.body);
    let their_id = theirs.body["payload"]["id"].as_i64().unwrap();
    for m in [Method::GET, Method::DELETE] {
        assert_eq!(app.call(m, &w.path(&format!("/automation_rules/{their_id}"))).token(admin).send().await.status, 404);
    }
    assert_eq!(app.get(&w.path(&format!("/automation_rules/{their_id}/runs"))).token(admin).send().await.status, 404);

    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::POST, &path, Some(rule.clone())).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::GET, &one, None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::PATCH, &one, Some(json!({ "description": "again" }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::GET, &format!("{one}/runs"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::POST, &format!("{one}/clone"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::DELETE, &one, None).await, ADMIN_WRITE);
    assert_eq!(app.get(&one).token(admin).send().await.status, 404);
}

#[tokio::test]
async fn rules_run_from_the_log_once_and_record_what_they_did() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let receiver = Receiver::start().await.unwrap();
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let id = c["id"].as_i64().unwrap();
    // A defined number compares as a number: "9" is not more than 10 as a number ("9" > "10" as text).
    let r = app
        .post(&w.path("/custom_attribute_definitions"))
        .token(&w.admin.access_token)
        .json(&json!({ "attribute_display_name": "Seats", "attribute_key": "seats", "attribute_display_type": "number", "attribute_model": "contact_attribute" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let rule = create_rule(
        &app,
        &w,
        json!({
            "name": "Big refunds", "event_name": "message_created",
            "conditions": [{ "attribute_key": "content", "filter_operator": "contains", "values": ["REFUND"], "query_operator": "AND" },
                           { "attribute_key": "message_type", "filter_operator": "equal_to", "values": ["incoming"], "query_operator": "AND" },
                           { "attribute_key": "seats", "filter_operator": "is_greater_than", "values": [10] }],
            "actions": [{ "action_name": "add_label", "action_params": ["billing"] },
                        { "action_name": "assign_agent", "action_params": [w.agent.id] },
                        { "action_name": "change_priority", "action_params": ["high"] },
                        { "action_name": "send_message", "action_params": ["We are on it"] },
                        { "action_name": "send_webhook_event", "action_params": [receiver.url] }]
        }),
    )
    .await;
    let rule_id = rule["id"].as_i64().unwrap();

    // Nine seats: the conditions do not hold; nothing runs.
    let r = app
        .put(&w.path(&format!("/contacts/{contact}")))
        .token(&w.admin.access_token)
        .json(&json!({ "custom_attributes": { "seats": 9 } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    incoming(&app, &w, id, "I want a refund").await;
    // Rules read the log about every second and check the conversation and contact as they are
    // then: the reader passes this message before the contact changes.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(runs(&app, &w, rule_id, 0).await.len(), 0, "nine seats: no run");
    // Twelve seats: it runs, once.
    let r = app
        .put(&w.path(&format!("/contacts/{contact}")))
        .token(&w.admin.access_token)
        .json(&json!({ "custom_attributes": { "seats": 12 } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    incoming(&app, &w, id, "Refund please").await;
    incoming(&app, &w, id, "hello?").await;
    let list = runs(&app, &w, rule_id, 1).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let run = &list[0];
    assert_eq!(
        (run["event_name"].as_str(), run["conversation_id"].as_i64(), run["error"].as_str()),
        (Some("message_created"), Some(id), None)
    );
    assert_eq!(run["depth"], 1);
    let results: Vec<&str> = run["actions"].as_array().unwrap().iter().map(|a| a["result"].as_str().unwrap_or_default()).collect();
    assert_eq!(results, ["applied"; 5]);

    let now = conversation(&app, &w, id).await;
    assert_eq!(now["labels"], json!(["billing"]));
    assert_eq!(now["meta"]["assignee"]["id"].as_i64(), Some(w.agent.id));
    assert_eq!(now["priority"], "high");
    let messages = app.get(&w.path(&format!("/conversations/{id}/messages"))).token(&w.admin.access_token).send().await;
    let sent: Vec<&Value> = messages.body["payload"].as_array().unwrap().iter().filter(|m| m["content"] == "We are on it").collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["content_attributes"]["automation_rule_id"].as_i64(), Some(rule_id));
    assert!(
        messages.body["payload"].as_array().unwrap().iter().any(|m| m["content"].as_str().is_some_and(|t| t.contains("Automation System"))),
        "activity lines name the automation"
    );

    // The webhook went through the signed deliveries, with the conversation.
    let got = receiver.wait_delivered(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json["event"], "automation_event.message_created");
    assert_eq!(got[0].json["id"].as_i64(), Some(id));
    assert!(got[0].signature.is_some());
    // Its endpoint is the rule's own: the webhook API does not list it.
    let hooks = app.get(&w.path("/webhooks")).token(&w.admin.access_token).send().await;
    assert_eq!(hooks.body["payload"].as_array().map(Vec::len).unwrap_or(0) + hooks.body.as_array().map(Vec::len).unwrap_or(0), 0);

    // A deactivated rule does nothing.
    app.patch(&w.path(&format!("/automation_rules/{rule_id}"))).token(&w.admin.access_token).json(&json!({ "active": false })).send().await;
    incoming(&app, &w, id, "another refund").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(runs(&app, &w, rule_id, 2).await.len(), 1);
}

#[tokio::test]
async fn rules_that_trigger_each_other_stop_at_the_documented_depth() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    let id = c["id"].as_i64().unwrap();
    let flip = |from: &str, to: &str| {
        json!({ "name": format!("{from} to {to}"), "event_name": "conversation_updated",
                "conditions": [{ "attribute_key": "priority", "filter_operator": "equal_to", "values": [from] }],
                "actions": [{ "action_name": "change_priority", "action_params": [to] }] })
    };
    let down = create_rule(&app, &w, flip("high", "low")).await["id"].as_i64().unwrap();
    let up = create_rule(&app, &w, flip("low", "high")).await["id"].as_i64().unwrap();
    let r = app
        .post(&w.path(&format!("/conversations/{id}/toggle_priority")))
        .token(&w.admin.access_token)
        .json(&json!({ "priority": "high" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // A person (depth 0) → down (run depth 1) → up (2) → down (3); events three steps deep run
    // no rule, so the chain ends (each rule sees the conversation as the rules before it left
    // it, so one level may hold several runs).
    runs(&app, &w, down, 2).await;
    let settled = |downs: &[Value], ups: &[Value]| downs.len() + ups.len();
    let mut seen = 0;
    let (mut downs, mut ups) = (vec![], vec![]);
    // Settled: no new run over more than two of the reader's rounds (it polls every second).
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        downs = runs(&app, &w, down, 0).await;
        ups = runs(&app, &w, up, 0).await;
        if settled(&downs, &ups) == seen {
            break;
        }
        seen = settled(&downs, &ups);
    }
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(settled(&runs(&app, &w, down, 0).await, &runs(&app, &w, up, 0).await), seen, "the chain stopped");
    let depths: Vec<i64> = downs.iter().chain(&ups).filter_map(|r| r["depth"].as_i64()).collect();
    assert!(depths.iter().all(|d| (1..=3).contains(d)), "{depths:?}");
    assert!(depths.contains(&3) && !ups.is_empty(), "the chain went three steps: {depths:?}");
    assert!(seen < 40, "bounded: {seen} runs");
    let runs_of_person = downs.iter().filter(|r| r["depth"] == 1).count();
    assert_eq!(runs_of_person, 1, "the person's change ran the rule once");
    let final_priority = conversation(&app, &w, id).await["priority"].clone();
    assert!(final_priority == "low" || final_priority == "high");
}
