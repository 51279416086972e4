//! Custom attribute definitions: CRUD with the auth matrix, and the checks they bring to every
//! write of contacts' and conversations' custom_attributes (type, list values, regex), naming
//! the key; undefined keys stay free.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, ADMIN_WRITE, READ};

async fn define(app: &TestApp, w: &switchboard_testkit::World, body: Value) -> Value {
    let r = app.post(&w.path("/custom_attribute_definitions")).token(&w.admin.access_token).json(&body).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn definitions_check_the_values_written_to_their_keys() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let path = w.path("/custom_attribute_definitions");
    let tier = define(
        &app,
        &w,
        json!({ "attribute_display_name": "Tier", "attribute_key": "tier", "attribute_display_type": 6,
                              "attribute_model": 1, "attribute_values": ["gold", "silver"] }),
    )
    .await;
    assert_eq!((tier["attribute_display_type"].as_str(), tier["attribute_model"].as_str()), (Some("list"), Some("contact_attribute")));
    define(
        &app,
        &w,
        json!({ "attribute_display_name": "Order", "attribute_key": "order_code", "attribute_display_type": "text",
                   "attribute_model": "conversation_attribute", "regex_pattern": "^ORD-[0-9]+$", "regex_cue": "Use ORD-<number>" }),
    )
    .await;
    define(
        &app,
        &w,
        json!({ "attribute_display_name": "Amount", "attribute_key": "amount", "attribute_display_type": "currency",
                   "attribute_model": "conversation_attribute" }),
    )
    .await;
    // Strict definitions, named fields.
    let bad = |body: Value| app.post(&path).token(admin).json(&body).send();
    assert_invalid(
        &bad(json!({ "attribute_display_name": "X", "attribute_key": "x y", "attribute_display_type": 0, "attribute_model": 0 })).await,
        "attribute_key",
    );
    assert_invalid(
        &bad(json!({ "attribute_display_name": "X", "attribute_key": "x", "attribute_display_type": 9, "attribute_model": 0 })).await,
        "attribute_display_type",
    );
    assert_invalid(
        &bad(json!({ "attribute_display_name": "X", "attribute_key": "x", "attribute_display_type": "list", "attribute_model": 0 })).await,
        "attribute_values",
    );
    assert_invalid(&bad(json!({ "attribute_display_name": "X", "attribute_key": "x", "attribute_display_type": 0, "attribute_model": 0, "regex_pattern": "(" })).await, "regex_pattern");
    assert_invalid(
        &bad(json!({ "attribute_display_name": "Tier", "attribute_key": "tier", "attribute_display_type": 0, "attribute_model": 1 })).await,
        "attribute_key",
    );
    // The list narrows by model.
    let contact_defs = app.get(&format!("{path}?attribute_model=contact_attribute")).token(&w.agent.access_token).send().await;
    assert_eq!(contact_defs.body.as_array().map(Vec::len), Some(1));
    assert_eq!(app.get(&format!("{path}?attribute_model=whatever")).token(admin).send().await.body.as_array().map(Vec::len), Some(3));

    // Contacts: a defined key is checked, an undefined one is free.
    let r =
        app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": "Ana", "custom_attributes": { "tier": "bronze" } })).send().await;
    assert_invalid(&r, "custom_attributes.tier");
    let r = app
        .post(&w.path("/contacts"))
        .token(admin)
        .json(&json!({ "name": "Ana", "custom_attributes": { "tier": "gold", "shoe": 38 } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let contact = r.body["payload"]["contact"]["id"].as_i64().unwrap();
    let r =
        app.put(&w.path(&format!("/contacts/{contact}"))).token(admin).json(&json!({ "custom_attributes": { "tier": 3 } })).send().await;
    assert_invalid(&r, "custom_attributes.tier");
    // Conversations: at creation and through their custom_attributes endpoint.
    let inbox = app.create_inbox(w.account_id, "API").await;
    let r = app
        .post(&w.path("/conversations"))
        .token(admin)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact, "custom_attributes": { "amount": "lots" } }))
        .send()
        .await;
    assert_invalid(&r, "custom_attributes.amount");
    let r = app
        .post(&w.path("/conversations"))
        .token(admin)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact, "custom_attributes": { "amount": 19.9, "order_code": "ORD-7" } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let attributes = w.path(&format!("/conversations/{}/custom_attributes", r.body["id"]));
    let r = app.post(&attributes).token(admin).json(&json!({ "custom_attributes": { "order_code": "order 7" } })).send().await;
    assert_invalid(&r, "custom_attributes.order_code");
    assert_eq!(r.body["errors"][0]["message"], "Use ORD-<number>", "the cue is the message: {:?}", r.body);
    let r =
        app.post(&attributes).token(admin).json(&json!({ "custom_attributes": { "order_code": "ORD-8", "note": "free" } })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // Changing and deleting a definition; the matrix; another account's is a 404.
    let one = w.path(&format!("/custom_attribute_definitions/{}", tier["id"]));
    let r = app.patch(&one).token(admin).json(&json!({ "attribute_values": ["gold", "silver", "bronze"] })).send().await;
    assert_eq!((r.status, r.body["attribute_values"].as_array().map(Vec::len)), (200, Some(3)));
    let r = app
        .put(&w.path(&format!("/contacts/{contact}")))
        .token(admin)
        .json(&json!({ "custom_attributes": { "tier": "bronze" } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "bronze is a value now: {:?}", r.body);
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::GET, &one, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::PATCH, &one, Some(json!({ "attribute_display_name": "Level" }))).await, ADMIN_WRITE);
    let new =
        json!({ "attribute_display_name": "Vip", "attribute_key": "vip", "attribute_display_type": "checkbox", "attribute_model": 1 });
    assert_eq!(matrix(&app, &w, Method::POST, &path, Some(new)).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::DELETE, &one, None).await, ADMIN_WRITE);
    let r = app
        .put(&w.path(&format!("/contacts/{contact}")))
        .token(admin)
        .json(&json!({ "custom_attributes": { "tier": 3, "vip": "yes" } }))
        .send()
        .await;
    assert_invalid(&r, "custom_attributes.vip");
}

/// Filters compare a defined number as a number and a defined date as a date, and a value
/// written before the definition that does not read as one matches nothing (never an error).
#[tokio::test]
async fn defined_attributes_filter_with_their_type() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let mut ids = vec![];
    // Written before any definition: free values.
    for attrs in [
        json!({ "seats": 9, "renews": "2027-03-01" }),
        json!({ "seats": "12", "renews": "2026-12-15" }),
        json!({ "seats": "lots", "renews": "soon" }),
    ] {
        let r = app
            .post(&w.path("/conversations"))
            .token(admin)
            .json(&json!({ "inbox_id": inbox, "contact_id": contact, "custom_attributes": attrs }))
            .send()
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let filter = |conditions: Value| app.post(&w.path("/conversations/filter")).token(admin).json(&json!({ "payload": conditions })).send();
    let found = |r: &switchboard_testkit::Reply| {
        let mut v: Vec<i64> = r.body["payload"].as_array().map(|l| l.iter().filter_map(|c| c["id"].as_i64()).collect()).unwrap_or_default();
        v.sort_unstable();
        v
    };
    // Undefined, "seats" is text: greater-than does not apply.
    assert_invalid(
        &filter(json!([{ "attribute_key": "seats", "filter_operator": "is_greater_than", "values": ["10"] }])).await,
        "payload[0].filter_operator",
    );
    define(&app, &w, json!({ "attribute_display_name": "Seats", "attribute_key": "seats", "attribute_display_type": "number", "attribute_model": "conversation_attribute" })).await;
    define(&app, &w, json!({ "attribute_display_name": "Renews", "attribute_key": "renews", "attribute_display_type": "date", "attribute_model": "conversation_attribute" })).await;
    let r = filter(json!([{ "attribute_key": "seats", "filter_operator": "is_greater_than", "values": ["10"] }])).await;
    assert_eq!((r.status, found(&r)), (200, vec![ids[1]]), "12 > 10 > 9 as numbers; \"lots\" matches nothing: {:?}", r.body);
    let r = filter(json!([{ "attribute_key": "seats", "filter_operator": "is_less_than", "values": [10] }])).await;
    assert_eq!(found(&r), vec![ids[0]]);
    let r = filter(json!([{ "attribute_key": "renews", "filter_operator": "is_less_than", "values": ["2027-01-01"] }])).await;
    assert_eq!(found(&r), vec![ids[1]], "dates compare as dates");
    assert_invalid(
        &filter(json!([{ "attribute_key": "seats", "filter_operator": "is_greater_than", "values": ["ten"] }])).await,
        "payload[0].values",
    );
    assert_invalid(
        &filter(json!([{ "attribute_key": "seats", "filter_operator": "contains", "values": ["1"] }])).await,
        "payload[0].filter_operator",
    );
}
