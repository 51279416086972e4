use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::{TestApp, World};

use crate::support::{assert_invalid, assert_keys, matrix, Matrix, READ};

const CONVERSATION_KEYS: &[&str] = &[
    "id",
    "account_id",
    "inbox_id",
    "status",
    "priority",
    "labels",
    "meta",
    "messages",
    "unread_count",
    "last_activity_at",
    "waiting_since",
    "first_reply_created_at",
    "agent_last_seen_at",
    "custom_attributes",
    "additional_attributes",
    "snoozed_until",
];

/// An inbox the agent works in, with a contact that has an identity there.
pub async fn setup(app: &TestApp, w: &World) -> (i64, i64) {
    let inbox = app.create_inbox(w.account_id, "API").await;
    app.add_inbox_member(inbox, &w.agent).await;
    let contact = app
        .post(&w.path("/contacts"))
        .token(&w.admin.access_token)
        .json(&json!({ "name": "Carla", "inbox_id": inbox, "source_id": "carla-1" }))
        .send()
        .await;
    (inbox, contact.body["payload"]["contact"]["id"].as_i64().unwrap())
}

pub async fn new_conversation(app: &TestApp, w: &World, inbox: i64, contact: i64) -> Value {
    let r = app
        .post(&w.path("/conversations"))
        .token(&w.admin.access_token)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn create_assigns_per_account_display_ids() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let agent = &w.agent.access_token;

    let by_source = app
        .post(&w.path("/conversations"))
        .token(agent)
        .json(&json!({ "inbox_id": inbox, "source_id": "carla-1", "message": { "content": "Hello!" } }))
        .send()
        .await;
    assert_eq!(by_source.status, 200, "{:?}", by_source.body);
    assert_keys(&by_source.body, CONVERSATION_KEYS);
    assert_eq!(by_source.body["id"], 1);
    assert_eq!(by_source.body["status"], "open");
    assert_eq!(by_source.body["meta"]["sender"]["id"], contact);
    assert_eq!(by_source.body["meta"]["channel"], "Channel::Api");
    assert_eq!(by_source.body["messages"][0]["content"], "Hello!");
    assert!(by_source.body["first_reply_created_at"].is_i64(), "the first message is the agent's reply");

    let by_contact = app
        .post(&w.path("/conversations"))
        .token(agent)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact, "status": "pending", "priority": "high" }))
        .send()
        .await;
    assert_eq!(by_contact.body["id"], 2);
    assert_eq!(by_contact.body["status"], "pending");
    assert_eq!(by_contact.body["priority"], "high");

    // Each account counts from 1.
    let other_inbox = app.create_inbox(w.other_account_id, "Other").await;
    let other_contact = app
        .post(&format!("/api/v1/accounts/{}/contacts", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "O" }))
        .send()
        .await
        .body["payload"]["contact"]["id"]
        .clone();
    let other = app
        .post(&format!("/api/v1/accounts/{}/conversations", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "inbox_id": other_inbox, "contact_id": other_contact }))
        .send()
        .await;
    assert_eq!(other.body["id"], 1);

    // Bad input names the field.
    assert_invalid(&app.post(&w.path("/conversations")).token(agent).json(&json!({ "contact_id": contact })).send().await, "inbox_id");
    assert_invalid(&app.post(&w.path("/conversations")).token(agent).json(&json!({ "inbox_id": inbox })).send().await, "contact_id");
    assert_invalid(
        &app.post(&w.path("/conversations")).token(agent).json(&json!({ "inbox_id": inbox, "source_id": "nobody" })).send().await,
        "source_id",
    );
    assert_invalid(
        &app.post(&w.path("/conversations")).token(agent).json(&json!({ "inbox_id": other_inbox, "contact_id": contact })).send().await,
        "inbox_id",
    );
    assert_invalid(
        &app.post(&w.path("/conversations")).token(agent).json(&json!({ "inbox_id": inbox, "contact_id": other_contact })).send().await,
        "contact_id",
    );
    assert_invalid(
        &app.post(&w.path("/conversations"))
            .token(agent)
            .json(&json!({ "inbox_id": inbox, "contact_id": contact, "status": "closed" }))
            .send()
            .await,
        "status",
    );
    assert_invalid(
        &app.post(&w.path("/conversations"))
            .token(agent)
            .json(&json!({ "inbox_id": inbox, "contact_id": contact, "assignee_id": w.outsider.id }))
            .send()
            .await,
        "assignee_id",
    );
    assert_invalid(
        &app.post(&w.path("/conversations"))
            .token(agent)
            .json(&json!({ "inbox_id": inbox, "contact_id": contact, "snoozed_until": "tomorrow" }))
            .send()
            .await,
        "snoozed_until",
    );
    assert_invalid(
        &app.post(&w.path("/conversations"))
            .token(agent)
            .json(&json!({ "inbox_id": inbox, "contact_id": contact, "message": {} }))
            .send()
            .await,
        "message.content",
    );

    // An agent cannot open conversations in an inbox they do not work in.
    let closed_inbox = app.create_inbox(w.account_id, "Closed").await;
    assert_invalid(
        &app.post(&w.path("/conversations")).token(agent).json(&json!({ "inbox_id": closed_inbox, "contact_id": contact })).send().await,
        "inbox_id",
    );
    let m = matrix(&app, &w, Method::POST, &w.path("/conversations"), Some(json!({ "inbox_id": inbox, "contact_id": contact }))).await;
    assert_eq!(m, READ);
}

#[tokio::test]
async fn display_ids_have_no_gaps_or_duplicates_under_concurrent_creates() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    // A failed create (invalid assignee) must not use up a number.
    let failed = app
        .post(&w.path("/conversations"))
        .token(&w.admin.access_token)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact, "team_id": 999999 }))
        .send()
        .await;
    assert_eq!(failed.status, 422);
    let creates = (0..30).map(|_| {
        app.post(&w.path("/conversations")).token(&w.admin.access_token).json(&json!({ "inbox_id": inbox, "contact_id": contact })).send()
    });
    let replies = futures_util::future::join_all(creates).await;
    let mut ids: Vec<i64> = replies.iter().map(|r| r.body["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=30).collect::<Vec<_>>());
}

#[tokio::test]
async fn list_filters_counts_and_visibility() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let hidden_inbox = app.create_inbox(w.account_id, "Hidden").await;
    let admin = &w.admin.access_token;
    let agent = &w.agent.access_token;
    for _ in 0..3 {
        new_conversation(&app, &w, inbox, contact).await;
    }
    let hidden =
        app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": hidden_inbox, "contact_id": contact })).send().await;
    assert_eq!(hidden.status, 200);
    app.post(&w.path("/conversations/1/assignments")).token(admin).json(&json!({ "assignee_id": w.agent.id })).send().await;
    app.post(&w.path("/conversations/2/labels")).token(admin).json(&json!({ "labels": ["billing"] })).send().await;
    app.post(&w.path("/conversations/3/toggle_status")).token(admin).json(&json!({ "status": "resolved" })).send().await;
    app.post(&w.path("/conversations/2/messages")).token(admin).json(&json!({ "content": "your invoice number is INV-42" })).send().await;

    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/conversations"), None).await, READ);
    let all = app.get(&w.path("/conversations")).token(admin).send().await;
    assert_eq!(all.body["data"]["meta"], json!({ "mine_count": 0, "assigned_count": 1, "unassigned_count": 2, "all_count": 3 }));
    let ids: Vec<i64> = all.body["data"]["payload"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![2, 4, 1], "open only, newest activity first");
    assert_keys(&all.body["data"]["payload"][0], CONVERSATION_KEYS);

    let as_agent = app.get(&w.path("/conversations")).token(agent).send().await;
    assert_eq!(as_agent.body["data"]["meta"]["all_count"], 2, "the hidden inbox is not the agent's");
    assert_eq!(as_agent.body["data"]["meta"]["mine_count"], 1);
    assert_eq!(app.get(&w.path("/conversations/4")).token(agent).send().await.status, 404);
    let mine = app.get(&w.path("/conversations?assignee_type=me")).token(agent).send().await;
    assert_eq!(mine.body["data"]["payload"].as_array().unwrap().len(), 1);

    let app = &app;
    let count = |q: &str| {
        let path = w.path(&format!("/conversations?{q}"));
        async move { app.get(&path).token(admin).send().await.body["data"]["meta"]["all_count"].as_i64().unwrap() }
    };
    assert_eq!(count("status=resolved").await, 1);
    assert_eq!(count("status=all").await, 4);
    assert_eq!(count(&format!("inbox_id={hidden_inbox}")).await, 1);
    assert_eq!(count("labels[]=billing").await, 1);
    assert_eq!(count("labels[]=nothing").await, 0);
    assert_eq!(count("q=inv-42").await, 1);
    assert_eq!(count("q=zzz").await, 0);
    assert_eq!(count("conversation_type=unattended").await, 2, "no reply yet on 1 and 4");
    assert_eq!(count("page=abc&status=bogus&inbox_id=x&sort_by=nonsense").await, 3, "lenient params fall back to defaults");
    let unassigned = app.get(&w.path("/conversations?assignee_type=unassigned")).token(admin).send().await;
    assert_eq!(unassigned.body["data"]["payload"].as_array().unwrap().len(), 2);

    let meta = app.get(&w.path("/conversations/meta?status=all")).token(admin).send().await;
    assert_eq!(meta.body["meta"]["all_count"], 4);
    assert_eq!(matrix(app, &w, Method::GET, &w.path("/conversations/meta"), None).await, READ);

    let of_contact = app.get(&w.path(&format!("/contacts/{contact}/conversations"))).token(agent).send().await;
    assert_eq!(of_contact.body["payload"].as_array().unwrap().len(), 3, "visible ones only");
    assert_eq!(matrix(app, &w, Method::GET, &w.path(&format!("/contacts/{contact}/conversations")), None).await, READ);
}

#[tokio::test]
async fn paging_costs_a_fixed_number_of_queries() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let admin = &w.admin.access_token;
    new_conversation(&app, &w, inbox, contact).await;
    // Like every other row below, the single row has an assignee, a team and a last message.
    let team = app.post(&w.path("/teams")).token(admin).json(&json!({ "name": "t" })).send().await.body["id"].clone();
    app.post(&w.path("/conversations/1/assignments"))
        .token(admin)
        .json(&json!({ "assignee_id": w.agent.id, "team_id": team }))
        .send()
        .await;
    app.post(&w.path("/conversations/1/messages")).token(admin).json(&json!({ "content": "first" })).send().await;
    let app = &app;
    // The pool also serves background work (the job queue, the webhook dispatcher and the CSAT
    // reply reader poll it), which can only add to a count: the fewest of five tries is the
    // request's own.
    let cost = |path: String| async move {
        let mut fewest: Option<(u64, Value)> = None;
        for _ in 0..5 {
            let before = app.app_db.query_count();
            let r = app.get(&path).token(admin).send().await;
            assert_eq!(r.status, 200);
            let n = app.app_db.query_count() - before;
            if fewest.as_ref().is_none_or(|(f, _)| n < *f) {
                fewest = Some((n, r.body));
            }
        }
        fewest.unwrap()
    };
    let (one, body) = cost(w.path("/conversations")).await;
    assert_eq!(body["data"]["payload"].as_array().unwrap().len(), 1);
    // 25 conversations with different contacts, assignees, teams, labels and messages.
    for i in 0..26 {
        let c = app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": format!("c{i}") })).send().await.body["payload"]
            ["contact"]["id"]
            .clone();
        let assignee = if i % 2 == 0 { w.agent.id } else { w.admin.id };
        let conv = app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": inbox, "contact_id": c, "assignee_id": assignee, "team_id": team, "message": { "content": format!("m{i}") } })).send().await;
        assert_eq!(conv.status, 200);
    }
    let (many, body) = cost(w.path("/conversations")).await;
    assert_eq!(body["data"]["payload"].as_array().unwrap().len(), 25);
    assert_eq!(one, many, "the list makes the same number of queries for 1 and 25 rows");
    let (contacts_one, _) = cost(w.path("/contacts?page=3")).await;
    let (contacts_many, _) = cost(w.path("/contacts")).await;
    assert_eq!(contacts_one, contacts_many);
    // One conversation, first with one message, then with a full page from several senders.
    let (few, body) = cost(w.path("/conversations/2/messages")).await;
    assert_eq!(body["payload"].as_array().unwrap().len(), 1);
    for i in 0..30 {
        let (token, kind) = match i % 3 {
            0 => (admin.as_str(), "outgoing"),
            1 => (w.agent.access_token.as_str(), "outgoing"),
            _ => (admin.as_str(), "incoming"),
        };
        app.post(&w.path("/conversations/2/messages"))
            .token(token)
            .json(&json!({ "content": format!("n{i}"), "message_type": kind }))
            .send()
            .await;
    }
    let (full, body) = cost(w.path("/conversations/2/messages")).await;
    assert_eq!(body["payload"].as_array().unwrap().len(), 20);
    assert_eq!(few, full, "messages cost the same for 1 and 20 rows");
}

#[tokio::test]
async fn status_priority_assignment_and_labels_leave_activity_lines() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let agent = &w.agent.access_token;
    new_conversation(&app, &w, inbox, contact).await;
    let path = |rest: &str| w.path(&format!("/conversations/1{rest}"));

    let resolved = app.post(&path("/toggle_status")).token(agent).json(&json!({ "status": "resolved" })).send().await;
    assert_eq!(
        resolved.body["payload"],
        json!({ "success": true, "current_status": "resolved", "conversation_id": 1, "snoozed_until": null })
    );
    let toggled = app.post(&path("/toggle_status")).token(agent).json(&json!({})).send().await;
    assert_eq!(toggled.body["payload"]["current_status"], "open", "no status toggles open/resolved");
    let snooze =
        app.post(&path("/toggle_status")).token(agent).json(&json!({ "status": "snoozed", "snoozed_until": 4102444800_i64 })).send().await;
    assert_eq!(snooze.body["payload"]["snoozed_until"], 4102444800_i64);
    assert_invalid(&app.post(&path("/toggle_status")).token(agent).json(&json!({ "status": "closed" })).send().await, "status");
    let m = matrix(&app, &w, Method::POST, &path("/toggle_status"), Some(json!({ "status": "open" }))).await;
    assert_eq!(m, READ);

    app.post(&path("/toggle_priority")).token(agent).json(&json!({ "priority": "urgent" })).send().await;
    assert_invalid(&app.post(&path("/toggle_priority")).token(agent).json(&json!({ "priority": "asap" })).send().await, "priority");
    assert_invalid(&app.post(&path("/toggle_priority")).token(agent).json(&json!({})).send().await, "priority");

    let assigned = app.post(&path("/assignments")).token(agent).json(&json!({ "assignee_id": w.admin.id })).send().await;
    assert_eq!(assigned.body["id"], w.admin.id);
    let team = app.post(&w.path("/teams")).token(&w.admin.access_token).json(&json!({ "name": "billing" })).send().await.body["id"]
        .as_i64()
        .unwrap();
    let teamed = app.post(&path("/assignments")).token(agent).json(&json!({ "team_id": team })).send().await;
    assert_eq!(teamed.body["name"], "billing");
    assert_invalid(
        &app.post(&path("/assignments")).token(agent).json(&json!({ "assignee_id": w.outsider.id })).send().await,
        "assignee_id",
    );
    assert_invalid(&app.post(&path("/assignments")).token(agent).json(&json!({})).send().await, "assignee_id");

    let labels = app.post(&path("/labels")).token(agent).json(&json!({ "labels": ["vip", "billing"] })).send().await;
    assert_eq!(labels.body, json!({ "payload": ["vip", "billing"] }));
    app.post(&path("/labels")).token(agent).json(&json!({ "labels": ["vip"] })).send().await;
    assert_eq!(app.get(&path("/labels")).token(agent).send().await.body, json!({ "payload": ["vip"] }));
    assert_eq!(matrix(&app, &w, Method::GET, &path("/labels"), None).await, READ);

    let attrs = app.post(&path("/custom_attributes")).token(agent).json(&json!({ "custom_attributes": { "order": 7 } })).send().await;
    assert_eq!(attrs.body["custom_attributes"]["order"], 7);
    assert_invalid(
        &app.post(&path("/custom_attributes")).token(agent).json(&json!({ "custom_attributes": 7 })).send().await,
        "custom_attributes",
    );
    let patched = app.patch(&path("")).token(agent).json(&json!({ "priority": null })).send().await;
    assert_eq!(patched.body["priority"], Value::Null);

    let lines: Vec<String> = app.get(&path("/messages")).token(agent).send().await.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["message_type"] == 2)
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    let by = "Abe Agent";
    assert_eq!(
        lines,
        vec![
            format!("Conversation was marked resolved by {by}"),
            format!("Conversation was reopened by {by}"),
            format!("Conversation was snoozed by {by}"),
            format!("Conversation was reopened by {by}"),
            format!("{by} set the priority to urgent"),
            format!("Assigned to Ada Admin by {by}"),
            format!("Assigned to billing by {by}"),
            format!("{by} added vip, billing"),
            format!("{by} removed billing"),
            format!("{by} removed the priority"),
        ]
    );
}

#[tokio::test]
async fn conversation_endpoints_hide_other_inboxes_and_accounts() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    let hidden_inbox = app.create_inbox(w.account_id, "Hidden").await;
    app.post(&w.path("/conversations"))
        .token(&w.admin.access_token)
        .json(&json!({ "inbox_id": hidden_inbox, "contact_id": contact }))
        .send()
        .await;
    let not_member = Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 404, admin: 200 };
    for (method, rest, body) in [
        (Method::GET, "", None),
        (Method::PATCH, "", Some(json!({ "priority": "low" }))),
        (Method::POST, "/toggle_status", Some(json!({ "status": "pending" }))),
        (Method::POST, "/toggle_priority", Some(json!({ "priority": "low" }))),
        (Method::POST, "/assignments", Some(json!({ "assignee_id": null }))),
        (Method::POST, "/labels", Some(json!({ "labels": ["x"] }))),
        (Method::GET, "/labels", None),
        (Method::POST, "/custom_attributes", Some(json!({ "custom_attributes": {} }))),
        (Method::POST, "/toggle_typing_status", Some(json!({ "typing_status": "on" }))),
        (Method::POST, "/update_last_seen", None),
        (Method::GET, "/messages", None),
        (Method::POST, "/messages", Some(json!({ "content": "hi" }))),
    ] {
        let visible = matrix(&app, &w, method.clone(), &w.path(&format!("/conversations/1{rest}")), body.clone()).await;
        assert_eq!(visible, READ, "{method} /conversations/1{rest}");
        let hidden = matrix(&app, &w, method.clone(), &w.path(&format!("/conversations/2{rest}")), body).await;
        assert_eq!(hidden, not_member, "{method} /conversations/2{rest}");
    }
    assert_eq!(app.get(&w.path("/conversations/999")).token(&w.admin.access_token).send().await.status, 404);
    assert_eq!(app.get(&w.path("/conversations/abc")).token(&w.admin.access_token).send().await.status, 404);
    assert_invalid(
        &app.post(&w.path("/conversations/1/toggle_typing_status"))
            .token(&w.admin.access_token)
            .json(&json!({ "typing_status": "maybe" }))
            .send()
            .await,
        "typing_status",
    );
}

#[tokio::test]
async fn snoozed_conversations_reopen_when_their_time_comes() {
    let app = TestApp::spawn_with(|s| s.snooze_check = std::time::Duration::from_millis(100)).await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    new_conversation(&app, &w, inbox, contact).await;
    new_conversation(&app, &w, inbox, contact).await;
    let soon = chrono::Utc::now().timestamp() + 1;
    let later = chrono::Utc::now().timestamp() + 3600;
    let admin = &w.admin.access_token;
    app.post(&w.path("/conversations/1/toggle_status"))
        .token(admin)
        .json(&json!({ "status": "snoozed", "snoozed_until": soon }))
        .send()
        .await;
    app.post(&w.path("/conversations/2/toggle_status"))
        .token(admin)
        .json(&json!({ "status": "snoozed", "snoozed_until": later }))
        .send()
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let c = app.get(&w.path("/conversations/1")).token(admin).send().await.body;
        if c["status"] == "open" {
            assert_eq!(c["snoozed_until"], Value::Null);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "conversation 1 did not wake up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.get(&w.path("/conversations/2")).token(admin).send().await.body["status"], "snoozed", "not yet");
    let lines = app.get(&w.path("/conversations/1/messages")).token(admin).send().await.body["payload"].clone();
    assert_eq!(lines.as_array().unwrap().last().unwrap()["content"], "Conversation was reopened by System");

    // A contact writing to a snoozed conversation reopens it too.
    app.post(&w.path("/conversations/2/messages"))
        .token(admin)
        .json(&json!({ "content": "hello?", "message_type": "incoming" }))
        .send()
        .await;
    assert_eq!(app.get(&w.path("/conversations/2")).token(admin).send().await.body["status"], "open");
}

#[tokio::test]
async fn conversation_filter_conditions() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let admin = &w.admin.access_token;
    for _ in 0..3 {
        new_conversation(&app, &w, inbox, contact).await;
    }
    app.post(&w.path("/conversations/1/assignments")).token(admin).json(&json!({ "assignee_id": w.agent.id })).send().await;
    app.post(&w.path("/conversations/2/toggle_status")).token(admin).json(&json!({ "status": "resolved" })).send().await;
    app.post(&w.path("/conversations/3/custom_attributes"))
        .token(admin)
        .json(&json!({ "custom_attributes": { "order_id": "A-7" } }))
        .send()
        .await;
    let app = &app;
    let ids = |payload: serde_json::Value| {
        let path = w.path("/conversations/filter");
        async move {
            let r = app.post(&path).token(admin).json(&json!({ "payload": payload })).send().await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            let mut ids: Vec<i64> = r.body["payload"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
            ids.sort_unstable();
            (ids, r.body["meta"]["all_count"].as_i64().unwrap())
        }
    };
    assert_eq!(ids(json!([{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["resolved"] }])).await, (vec![2], 1));
    assert_eq!(
        ids(json!([{ "attribute_key": "assignee_id", "filter_operator": "equal_to", "values": [{ "id": w.agent.id, "name": "Abe" }] }]))
            .await
            .0,
        vec![1]
    );
    assert_eq!(ids(json!([{ "attribute_key": "assignee_id", "filter_operator": "is_not_present" }])).await.0, vec![2, 3]);
    assert_eq!(ids(json!([{ "attribute_key": "order_id", "filter_operator": "equal_to", "values": ["a-7"] }])).await.0, vec![3]);
    assert_eq!(ids(json!([{ "attribute_key": "display_id", "filter_operator": "not_equal_to", "values": [1, 2] }])).await.0, vec![3]);
    let r = app
        .post(&w.path("/conversations/filter"))
        .token(admin)
        .json(&json!({ "payload": [{ "attribute_key": "inbox_id", "filter_operator": "contains", "values": ["1"] }] }))
        .send()
        .await;
    assert_invalid(&r, "payload[0].filter_operator");
    let m = matrix(
        app,
        &w,
        Method::POST,
        &w.path("/conversations/filter"),
        Some(json!({ "payload": [{ "attribute_key": "status", "filter_operator": "is_present" }] })),
    )
    .await;
    assert_eq!(m, READ);
}

#[tokio::test]
async fn mention_and_participating_views() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    for _ in 0..3 {
        new_conversation(&app, &w, inbox, contact).await;
    }
    let admin = &w.admin.access_token;
    let note = format!("[@Abe](mention://user/{}/Abe) please check; also [@Olga](mention://user/{}/Olga)", w.agent.id, w.outsider.id);
    app.post(&w.path("/conversations/2/messages")).token(admin).json(&json!({ "content": note, "private": true })).send().await;
    // A public message with the same markup is not a mention.
    app.post(&w.path("/conversations/3/messages")).token(admin).json(&json!({ "content": note })).send().await;
    app.post(&w.path("/conversations/1/messages")).token(&w.agent.access_token).json(&json!({ "content": "I replied here" })).send().await;

    let ids = |token: &str, kind: &str| {
        let path = w.path(&format!("/conversations?conversation_type={kind}"));
        let token = token.to_string();
        let app = &app;
        async move {
            let r = app.get(&path).token(&token).send().await;
            let mut ids: Vec<i64> = r.body["data"]["payload"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
            ids.sort_unstable();
            ids
        }
    };
    assert_eq!(ids(&w.agent.access_token, "mention").await, vec![2]);
    assert_eq!(ids(admin, "mention").await, Vec::<i64>::new());
    assert_eq!(ids(&w.agent.access_token, "participating").await, vec![1]);
}
