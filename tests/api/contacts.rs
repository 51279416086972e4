use reqwest::Method;
use serde_json::json;
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, Matrix, READ};

const CONTACT_KEYS: &[&str] = &[
    "id",
    "name",
    "email",
    "phone_number",
    "identifier",
    "thumbnail",
    "blocked",
    "group_type",
    "additional_attributes",
    "custom_attributes",
    "last_activity_at",
    "created_at",
    "contact_inboxes",
];

#[tokio::test]
async fn contact_create_show_update_delete() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let inbox = app.create_inbox(w.account_id, "API").await;
    app.add_inbox_member(inbox, &w.agent).await;
    let agent = &w.agent.access_token;

    let body = json!({ "name": "Lina", "email": "Lina@Example.com", "phone_number": "+57 300 111 2222", "identifier": "crm-1",
        "inbox_id": inbox, "source_id": "api-src-1", "custom_attributes": { "tier": "gold" } });
    let created = app.post(&w.path("/contacts")).token(agent).json(&body).send().await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let contact = &created.body["payload"]["contact"];
    assert_keys(contact, CONTACT_KEYS);
    assert_eq!(contact["phone_number"], "+573001112222", "stored as E.164");
    assert_eq!(contact["group_type"], "individual");
    assert_eq!(created.body["payload"]["contact_inbox"]["source_id"], "api-src-1");
    assert_eq!(contact["contact_inboxes"][0]["inbox"]["id"], inbox);
    let id = contact["id"].as_i64().unwrap();
    let path = w.path(&format!("/contacts/{id}"));

    // Uniqueness within the account, ignoring case for email.
    assert_invalid(&app.post(&w.path("/contacts")).token(agent).json(&json!({ "email": "lina@example.COM" })).send().await, "email");
    assert_invalid(
        &app.post(&w.path("/contacts")).token(agent).json(&json!({ "phone_number": "+573001112222" })).send().await,
        "phone_number",
    );
    assert_invalid(&app.post(&w.path("/contacts")).token(agent).json(&json!({ "identifier": "crm-1" })).send().await, "identifier");
    // …but another account may hold the same contact.
    let other = app
        .post(&format!("/api/v1/accounts/{}/contacts", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "email": "lina@example.com" }))
        .send()
        .await;
    assert_eq!(other.status, 200);
    // Bad fields are named.
    assert_invalid(&app.post(&w.path("/contacts")).token(agent).json(&json!({ "email": "not-an-email" })).send().await, "email");
    assert_invalid(
        &app.post(&w.path("/contacts")).token(agent).json(&json!({ "phone_number": "3001234567" })).send().await,
        "phone_number",
    );
    assert_invalid(&app.post(&w.path("/contacts")).token(agent).json(&json!({ "group_type": "crowd" })).send().await, "group_type");
    assert_invalid(
        &app.post(&w.path("/contacts")).token(agent).json(&json!({ "custom_attributes": "x" })).send().await,
        "custom_attributes",
    );
    let foreign_inbox = app.create_inbox(w.other_account_id, "Foreign").await;
    assert_invalid(
        &app.post(&w.path("/contacts")).token(agent).json(&json!({ "name": "x", "inbox_id": foreign_inbox })).send().await,
        "inbox_id",
    );

    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/contacts"), Some(json!({ "name": "Anyone" }))).await, READ);
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    let shown = app.get(&path).token(agent).send().await;
    assert_eq!(shown.body["payload"]["custom_attributes"]["tier"], "gold");

    let upd = app.put(&path).token(agent).json(&json!({ "name": "Lina M", "email": null, "blocked": true })).send().await;
    assert_eq!(upd.status, 200);
    assert_eq!(upd.body["payload"]["name"], "Lina M");
    assert_eq!(upd.body["payload"]["email"], serde_json::Value::Null);
    assert_eq!(upd.body["payload"]["blocked"], true);
    let m = matrix(&app, &w, Method::PUT, &path, Some(json!({ "name": "Lina" }))).await;
    assert_eq!(m, READ, "every member may edit contacts");

    let m = matrix(&app, &w, Method::DELETE, &path, None).await;
    assert_eq!(m, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 200 });
    assert_eq!(app.get(&path).token(agent).send().await.status, 404);
}

#[tokio::test]
async fn contact_list_sorts_pages_and_searches() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    for i in 0..17 {
        let body = json!({ "name": format!("Person {i:02}"), "email": format!("p{i:02}@shop.test"), "phone_number": format!("+5730000000{i:02}") });
        assert_eq!(app.post(&w.path("/contacts")).token(admin).json(&body).send().await.status, 200);
    }
    app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": "Zed 100%_off", "identifier": "promo" })).send().await;
    app.post(&format!("/api/v1/accounts/{}/contacts", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "Person 99" }))
        .send()
        .await;

    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/contacts"), None).await, READ);
    let first = app.get(&w.path("/contacts")).token(admin).send().await;
    assert_eq!(first.body["meta"]["count"], 18, "only this account's contacts");
    assert_eq!(first.body["meta"]["current_page"], "1");
    let names: Vec<&str> = first.body["payload"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 15, "15 per page");
    assert_eq!(names[0], "Person 00");
    let second = app.get(&w.path("/contacts?page=2")).token(admin).send().await;
    assert_eq!(second.body["payload"].as_array().unwrap().len(), 3);
    let desc = app.get(&w.path("/contacts?sort=-name")).token(admin).send().await;
    assert_eq!(desc.body["payload"][0]["name"], "Zed 100%_off");
    let by_email = app.get(&w.path("/contacts?sort=email")).token(admin).send().await;
    assert_eq!(by_email.body["payload"][0]["email"], "p00@shop.test");
    // Lenient parameters: garbage falls back to defaults.
    let lenient = app.get(&w.path("/contacts?page=abc&sort=nonsense")).token(admin).send().await;
    assert_eq!(lenient.status, 200);
    assert_eq!(lenient.body["payload"][0]["name"], "Person 00");

    let search = |q: &str| app.get(&w.path(&format!("/contacts/search?q={q}"))).token(admin).send();
    assert_eq!(search("person%2007").await.body["meta"]["count"], 1);
    assert_eq!(search("SHOP.TEST").await.body["meta"]["count"], 17, "case-insensitive, over email");
    assert_eq!(search("%2B573000000016").await.body["meta"]["count"], 1, "over phone numbers");
    assert_eq!(search("promo").await.body["meta"]["count"], 1, "over identifiers");
    assert_eq!(search("100%25_").await.body["meta"]["count"], 1, "% and _ are literal");
    assert_eq!(search("%25").await.body["meta"]["count"], 1);
    assert_eq!(search("").await.body["meta"]["count"], 18);
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/contacts/search?q=x"), None).await, READ);
}

#[tokio::test]
async fn contact_labels_and_inboxes() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let agent = &w.agent.access_token;
    let mine = app.create_inbox(w.account_id, "Mine").await;
    let other = app.create_inbox(w.account_id, "Not mine").await;
    app.add_inbox_member(mine, &w.agent).await;
    let id = app.post(&w.path("/contacts")).token(agent).json(&json!({ "name": "Tag Me" })).send().await.body["payload"]["contact"]["id"]
        .as_i64()
        .unwrap();

    let labels_path = w.path(&format!("/contacts/{id}/labels"));
    assert_eq!(matrix(&app, &w, Method::POST, &labels_path, Some(json!({ "labels": ["VIP", "lead", "vip"] }))).await, READ);
    let labels = app.get(&labels_path).token(agent).send().await;
    assert_eq!(labels.body, json!({ "payload": ["vip", "lead"] }));
    assert_eq!(matrix(&app, &w, Method::GET, &labels_path, None).await, READ);
    assert_invalid(&app.post(&labels_path).token(agent).json(&json!({ "labels": ["two words"] })).send().await, "labels[0]");
    assert_invalid(&app.post(&labels_path).token(agent).json(&json!({})).send().await, "labels");
    let by_label = app.get(&w.path("/contacts?labels=vip")).token(agent).send().await;
    assert_eq!(by_label.body["meta"]["count"], 1);

    let ci_path = w.path(&format!("/contacts/{id}/contact_inboxes"));
    let added = app.post(&ci_path).token(agent).json(&json!({ "inbox_id": mine, "source_id": "abc" })).send().await;
    assert_eq!(added.status, 200);
    assert_eq!(added.body["source_id"], "abc");
    assert_eq!(added.body["inbox"]["id"], mine);
    assert_invalid(&app.post(&ci_path).token(agent).json(&json!({ "inbox_id": mine, "source_id": "abc" })).send().await, "source_id");
    assert_invalid(&app.post(&ci_path).token(agent).json(&json!({ "inbox_id": other })).send().await, "inbox_id");
    assert_invalid(&app.post(&ci_path).token(agent).json(&json!({})).send().await, "inbox_id");
    let m = matrix(&app, &w, Method::POST, &ci_path, Some(json!({ "inbox_id": mine }))).await;
    assert_eq!((m.no_token, m.bad_token, m.other_account), (401, 401, 404));

    let contactable = app.get(&w.path(&format!("/contacts/{id}/contactable_inboxes"))).token(agent).send().await;
    assert_eq!(contactable.status, 200);
    let payload = contactable.body["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 1, "only inboxes the agent works in");
    assert_eq!(payload[0]["source_id"], "abc");
    assert_eq!(payload[0]["inbox"]["id"], mine);
    let as_admin = app.get(&w.path(&format!("/contacts/{id}/contactable_inboxes"))).token(&w.admin.access_token).send().await;
    assert_eq!(as_admin.body["payload"].as_array().unwrap().len(), 2);
    assert_eq!(matrix(&app, &w, Method::GET, &w.path(&format!("/contacts/{id}/contactable_inboxes")), None).await, READ);
}

#[tokio::test]
async fn contact_filter_conditions() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let mk = |body: serde_json::Value| app.post(&w.path("/contacts")).token(admin).json(&body).send();
    mk(json!({ "name": "Ana", "email": "ana@acme.test", "additional_attributes": { "city": "Bogotá" }, "custom_attributes": { "plan": "gold" } })).await;
    mk(json!({ "name": "Beto", "email": "beto@other.test", "custom_attributes": { "plan": "free" } })).await;
    mk(json!({ "name": "Caro", "phone_number": "+573001234567", "blocked": true })).await;
    let ana = app.get(&w.path("/contacts/search?q=ana")).token(admin).send().await.body["payload"][0]["id"].as_i64().unwrap();
    app.post(&w.path(&format!("/contacts/{ana}/labels"))).token(admin).json(&json!({ "labels": ["vip"] })).send().await;

    let app = &app;
    let names = |payload: serde_json::Value| {
        let path = w.path("/contacts/filter");
        async move {
            let r = app.post(&path).token(admin).json(&json!({ "payload": payload })).send().await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            r.body["payload"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(json!([{ "attribute_key": "email", "filter_operator": "contains", "values": ["ACME"] }])).await, ["Ana"]);
    assert_eq!(
        names(json!([{ "attribute_key": "plan", "filter_operator": "equal_to", "values": ["gold"] }])).await,
        ["Ana"],
        "custom attribute"
    );
    assert_eq!(names(json!([{ "attribute_key": "city", "filter_operator": "equal_to", "values": ["bogotá"] }])).await, ["Ana"]);
    assert_eq!(names(json!([{ "attribute_key": "email", "filter_operator": "is_not_present", "values": [] }])).await, ["Caro"]);
    assert_eq!(names(json!([{ "attribute_key": "labels", "filter_operator": "equal_to", "values": ["vip"] }])).await, ["Ana"]);
    assert_eq!(names(json!([{ "attribute_key": "blocked", "filter_operator": "equal_to", "values": [true] }])).await, ["Caro"]);
    assert_eq!(
        names(json!([{ "attribute_key": "created_at", "filter_operator": "days_before", "values": ["1"] }])).await,
        Vec::<String>::new()
    );
    // AND binds tighter than OR: (plan=free AND name~Beto) OR phone present.
    let combined = json!([
        { "attribute_key": "plan", "filter_operator": "equal_to", "values": ["free"], "query_operator": "AND" },
        { "attribute_key": "name", "filter_operator": "contains", "values": ["bet"], "query_operator": "OR" },
        { "attribute_key": "phone_number", "filter_operator": "is_present", "values": [] }
    ]);
    assert_eq!(names(combined).await, ["Beto", "Caro"]);
    // A value that looks like SQL is only a value.
    assert_eq!(
        names(json!([{ "attribute_key": "name", "filter_operator": "equal_to", "values": ["x') OR 1=1 --"] }])).await,
        Vec::<String>::new()
    );
    assert_eq!(names(json!([{ "attribute_key": "x') OR 1=1 --", "filter_operator": "is_present" }])).await, Vec::<String>::new());

    let bad = |payload: serde_json::Value| app.post(&w.path("/contacts/filter")).token(admin).json(&json!({ "payload": payload })).send();
    assert_invalid(
        &bad(json!([{ "attribute_key": "name", "filter_operator": "sounds_like", "values": ["a"] }])).await,
        "payload[0].filter_operator",
    );
    assert_invalid(&bad(json!([{ "attribute_key": "name", "filter_operator": "equal_to", "values": [] }])).await, "payload[0].values");
    assert_invalid(&bad(json!([])).await, "payload");
    assert_invalid(&app.post(&w.path("/contacts/filter")).token(admin).json(&json!({})).send().await, "payload");
    let m = matrix(
        app,
        &w,
        Method::POST,
        &w.path("/contacts/filter"),
        Some(json!({ "payload": [{ "attribute_key": "name", "filter_operator": "is_present" }] })),
    )
    .await;
    assert_eq!(m, READ);
}

#[tokio::test]
async fn contact_merge_moves_everything_to_the_base() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let inbox = app.create_inbox(w.account_id, "API").await;
    let base = app
        .post(&w.path("/contacts"))
        .token(admin)
        .json(&json!({ "name": "Base", "email": "base@x.test", "custom_attributes": { "a": 1 } }))
        .send()
        .await
        .body["payload"]["contact"]["id"]
        .as_i64()
        .unwrap();
    let mergee = app
        .post(&w.path("/contacts"))
        .token(admin)
        .json(&json!({ "name": "Dup", "phone_number": "+573009998877", "inbox_id": inbox, "source_id": "dup-1", "custom_attributes": { "a": 9, "b": 2 } }))
        .send()
        .await
        .body["payload"]["contact"]["id"]
        .as_i64()
        .unwrap();
    app.post(&w.path(&format!("/contacts/{mergee}/labels"))).token(admin).json(&json!({ "labels": ["lead"] })).send().await;
    let conv = app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": inbox, "contact_id": mergee })).send().await;
    assert_eq!(conv.status, 200);

    let body = json!({ "base_contact_id": base, "mergee_contact_id": mergee });
    // Merging deletes the mergee: an agent, who may not delete contacts, may not merge them.
    let refused = app.post(&w.path("/actions/contact_merge")).token(&w.agent.access_token).json(&body).send().await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    assert_eq!(app.get(&w.path(&format!("/contacts/{mergee}"))).token(admin).send().await.status, 200, "nothing was merged");
    let merged = app.post(&w.path("/actions/contact_merge")).token(admin).json(&body).send().await;
    assert_eq!(merged.status, 200, "{:?}", merged.body);
    assert_eq!(merged.body["id"], base);
    assert_eq!(merged.body["email"], "base@x.test");
    assert_eq!(merged.body["phone_number"], "+573009998877", "gaps filled from the mergee");
    assert_eq!(merged.body["custom_attributes"], json!({ "a": 1, "b": 2 }), "the base wins");
    assert_eq!(merged.body["contact_inboxes"][0]["source_id"], "dup-1");
    assert_eq!(app.get(&w.path(&format!("/contacts/{mergee}"))).token(admin).send().await.status, 404);
    assert_eq!(app.get(&w.path(&format!("/contacts/{base}/labels"))).token(admin).send().await.body, json!({ "payload": ["lead"] }));
    let convs = app.get(&w.path(&format!("/contacts/{base}/conversations"))).token(admin).send().await;
    assert_eq!(convs.body["payload"].as_array().unwrap().len(), 1);
    assert_eq!(convs.body["payload"][0]["meta"]["sender"]["id"], base);

    assert_invalid(
        &app.post(&w.path("/actions/contact_merge"))
            .token(admin)
            .json(&json!({ "base_contact_id": base, "mergee_contact_id": base }))
            .send()
            .await,
        "mergee_contact_id",
    );
    assert_invalid(
        &app.post(&w.path("/actions/contact_merge"))
            .token(admin)
            .json(&json!({ "base_contact_id": base, "mergee_contact_id": mergee }))
            .send()
            .await,
        "mergee_contact_id",
    );
    assert_invalid(
        &app.post(&w.path("/actions/contact_merge")).token(admin).json(&json!({ "base_contact_id": base })).send().await,
        "mergee_contact_id",
    );
    let foreign = app
        .post(&format!("/api/v1/accounts/{}/contacts", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "F" }))
        .send()
        .await
        .body["payload"]["contact"]["id"]
        .clone();
    assert_invalid(
        &app.post(&w.path("/actions/contact_merge"))
            .token(admin)
            .json(&json!({ "base_contact_id": base, "mergee_contact_id": foreign }))
            .send()
            .await,
        "mergee_contact_id",
    );
    let m =
        matrix(&app, &w, Method::POST, &w.path("/actions/contact_merge"), Some(json!({ "base_contact_id": 1, "mergee_contact_id": 2 })))
            .await;
    assert_eq!((m.no_token, m.bad_token, m.other_account), (401, 401, 404));
}
