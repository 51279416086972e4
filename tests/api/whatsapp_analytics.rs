//! The BSP's analytics API through ours: the analytics Token and ClientId on the inbox
//! (masked), `GET …/whatsapp_analytics` normalized, the BSP's errors passed on, and the number's
//! details (getPhoneNumbers) refreshed with the template sync. Against the fake BSP, which
//! answers with the manual's examples and error strings.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::bsp::{Failure, ANALYTICS_TOKEN, CLIENT_ID, WABA_ID};

use crate::support::{assert_invalid, matrix, ADMIN_WRITE};
use crate::whatsapp::{Wa, PHONE};

/// The number as the BSP writes it (digits).
const NUMBER: &str = "573000000001";

/// One data point in the manual's shape.
fn point(start: &str, end: &str, count: &str, country: &str, phone: &str, kind: &str, direction: &str) -> Value {
    json!({"start": start, "end": end, "conversation": count, "country": country, "phone_number": phone,
        "conversation_type": kind, "conversation_direction": direction})
}

/// Sets the analytics credentials on the inbox, as an administrator would.
async fn set_analytics(wa: &Wa, config: Value) -> switchboard_testkit::Reply {
    let path = wa.w.path(&format!("/inboxes/{}", wa.inbox_id));
    wa.app.patch(&path).token(&wa.w.admin.access_token).json(&json!({"channel": {"provider_config": config}})).send().await
}

fn analytics_path(wa: &Wa, query: &str) -> String {
    wa.w.path(&format!("/inboxes/{}/whatsapp_analytics{query}", wa.inbox_id))
}

#[tokio::test]
async fn analytics_are_the_bsps_normalized_with_totals() {
    let wa = Wa::new().await;
    let admin = &wa.w.admin.access_token;
    // The manual's example answer, for our number and another of the WABA.
    wa.bsp.set_data_points(vec![
        point("2022-09-20 18:00:00", "2022-09-20 18:30:00", "1", "CO", NUMBER, "REGULAR", "USER_INITIATED"),
        point("2022-09-20 16:00:00", "2022-09-20 16:30:00", "1", "CO", NUMBER, "REGULAR", "BUSINESS_INITIATED"),
        point("2022-09-20 14:30:00", "2022-09-20 15:00:00", "2", "VE", NUMBER, "FREE_TIER", "BUSINESS_INITIATED"),
        point("2022-09-20 14:30:00", "2022-09-20 15:00:00", "5", "CO", "573195679433", "REGULAR", "USER_INITIATED"),
        point("2022-09-21 09:00:00", "2022-09-21 09:30:00", "4", "CO", NUMBER, "REGULAR", "USER_INITIATED"),
    ]);

    // Without a token the inbox can't ask: a 422 that says which setting is missing.
    let r = wa.app.get(&analytics_path(&wa, "?start=2022-09-20&end=2022-09-20")).token(admin).send().await;
    assert_invalid(&r, "provider_config.analytics_token");

    // The token alone: the ClientId is found with getWabaIdsByToken (the WABA is the second
    // of client 942's list).
    let saved = set_analytics(&wa, json!({"analytics_token": ANALYTICS_TOKEN})).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.body["provider_config"]["analytics_token"], "********1935", "the token is shown masked");
    assert!(!saved.body.to_string().contains(ANALYTICS_TOKEN));

    let r = wa.app.get(&analytics_path(&wa, "?start=2022-09-20&end=2022-09-20&granularity=half_hour")).token(admin).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let calls = wa.bsp.analytics_calls("getWabaIdsByToken");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].token.as_deref(), Some(ANALYTICS_TOKEN));
    let asked = wa.bsp.analytics_calls("getAnalytics").pop().unwrap();
    assert_eq!(asked.token.as_deref(), Some(ANALYTICS_TOKEN));
    assert_eq!(asked.api_key, None, "the analytics API is called with its Token, not the ApiKey");
    assert_eq!(asked.body["wabaId"], WABA_ID);
    assert_eq!(asked.body["clientId"], CLIENT_ID);
    let a = &asked.body["conversationAnalytics"];
    assert_eq!(
        (a["conversationStart"].as_str(), a["conversationEnd"].as_str()),
        (Some("2022-09-20 00:00:00"), Some("2022-09-20 23:59:59"))
    );
    assert_eq!(a["granularity"], "HALF_HOUR");
    assert_eq!(a["phoneNumbers"], json!([NUMBER]), "only the inbox's number");
    assert_eq!(a["dimensions"], json!(["CONVERSATION_TYPE", "CONVERSATION_DIRECTION", "PHONE", "COUNTRY"]));

    // Ours: oldest first, times in RFC 3339, counts as numbers, lower-case kinds, totals.
    let body = &r.body;
    assert_eq!(
        (body["inbox_id"].as_i64(), body["waba_id"].as_str(), body["phone_number"].as_str()),
        (Some(wa.inbox_id), Some(WABA_ID), Some(PHONE))
    );
    assert_eq!((body["start"].as_str(), body["end"].as_str()), (Some("2022-09-20T00:00:00Z"), Some("2022-09-20T23:59:59Z")));
    assert_eq!(body["granularity"], "half_hour");
    let points = body["data_points"].as_array().unwrap();
    assert_eq!(points.len(), 3, "{body}");
    assert_eq!(
        points[0],
        json!({"start": "2022-09-20T14:30:00Z", "end": "2022-09-20T15:00:00Z", "conversations": 2, "country": "VE",
            "phone_number": NUMBER, "conversation_type": "free_tier", "conversation_direction": "business_initiated"})
    );
    assert_eq!(points[2]["start"], "2022-09-20T18:00:00Z");
    assert_eq!(
        body["totals"],
        json!({"conversations": 4, "by_type": {"free_tier": 2, "regular": 2},
            "by_direction": {"business_initiated": 3, "user_initiated": 1}, "by_country": {"CO": 2, "VE": 2}})
    );

    // Filters reach the BSP; unknown values are dropped, not refused.
    let r = wa
        .app
        .get(&analytics_path(
            &wa,
            "?start=2022-09-20&end=2022-09-20&country_codes=co,Colombia&conversation_directions=business_initiated,up",
        ))
        .token(admin)
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let f = &wa.bsp.analytics_calls("getAnalytics").pop().unwrap().body["conversationAnalytics"]["filters"];
    assert_eq!((f["countryCodes"].clone(), f["conversationDirections"].clone()), (json!(["CO"]), json!(["BUSINESS_INITIATED"])));
    assert_eq!(r.body["totals"]["conversations"], 1);

    // Lenient: no period is the last 7 days, daily. The BSP's "Data not found" (a 200 with
    // `errors`) is an empty report, not an error.
    let r = wa.app.get(&analytics_path(&wa, "?start=soon&granularity=weekly")).token(admin).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["granularity"].as_str(), r.body["data_points"].as_array().map(Vec::len)), (Some("daily"), Some(0)));
    assert_eq!(r.body["totals"]["conversations"], 0);
    let a = &wa.bsp.analytics_calls("getAnalytics").pop().unwrap().body["conversationAnalytics"];
    assert_eq!(a["granularity"], "DAILY");
    // A period that ends before it starts is the one thing refused.
    assert_invalid(&wa.app.get(&analytics_path(&wa, "?start=2022-09-21&end=2022-09-20")).token(admin).send().await, "start");

    // The ClientId that was looked up was kept: it is not looked up for every request.
    assert_eq!(wa.bsp.analytics_calls("getWabaIdsByToken").len(), 1);
    // Administrators only; another account's inbox is a 404.
    assert_eq!(matrix(&wa.app, &wa.w, Method::GET, &analytics_path(&wa, "?start=2022-09-20"), None).await, ADMIN_WRITE);
}

#[tokio::test]
async fn the_bsps_errors_are_passed_on_clearly_and_the_token_never_shows() {
    let wa = Wa::new().await;
    let admin = &wa.w.admin.access_token;
    let path = analytics_path(&wa, "?start=2022-09-20&end=2022-09-20");

    // A wrong token: getWabaIdsByToken's 401 "Token … is not valid", a 422 for us (the setting
    // is wrong, not the caller's session), with the token masked in the message.
    let wrong = "6f7267fb-9134-11ed-b25b-00155d6019359";
    assert_eq!(set_analytics(&wa, json!({"analytics_token": wrong})).await.status, 200);
    let r = wa.app.get(&path).token(admin).send().await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let message = r.body["error"].as_str().unwrap_or_default();
    assert!(message.contains("401 Token ********9359 is not valid"), "{:?}", r.body);
    assert!(!r.body.to_string().contains(wrong), "the token never shows: {}", r.body);

    // A ClientId the WABA does not belong to: getAnalytics's 401, passed on.
    assert_eq!(set_analytics(&wa, json!({"analytics_token": ANALYTICS_TOKEN, "client_id": "2437"})).await.status, 200);
    let r = wa.app.get(&path).token(admin).send().await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(
        r.body["error"].as_str().unwrap_or_default().contains(&format!("WabaId {WABA_ID} does not belong to the client 2437")),
        "{:?}",
        r.body
    );
    assert!(wa.bsp.analytics_calls("getWabaIdsByToken").len() == 1, "a configured ClientId is not looked up");

    // The BSP down: a 502 that says so.
    assert_eq!(set_analytics(&wa, json!({"client_id": CLIENT_ID})).await.status, 200);
    wa.bsp.fail_next([Failure::Status(503)]);
    let r = wa.app.get(&path).token(admin).send().await;
    assert_eq!(r.status, 502, "{:?}", r.body);
    assert!(r.body["error"].as_str().unwrap_or_default().contains("503"), "{:?}", r.body);

    // Our request always has dates the BSP can parse; the manual's 400 for one it can't is
    // what the fake answers (checked directly, as the BSP's contract).
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/analytics/getAnalytics", wa.bsp.url))
        .header("Token", ANALYTICS_TOKEN)
        .json(&json!({"wabaId": WABA_ID, "clientId": CLIENT_ID, "conversationAnalytics": {
            "conversationStart": "aaaa-mm-dd hh:mm:ss", "conversationEnd": "2022-09-20 23:59:00", "granularity": "DAILY", "dimensions": []}}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.json::<Value>().await.unwrap(), json!({"errors": ["Unparseable date: aaaa-mm-dd hh:mm:ss"]}));

    // Not a BSP inbox: nothing to ask.
    let api_inbox = wa.app.create_inbox(wa.w.account_id, "Site").await;
    let r = wa.app.get(&wa.w.path(&format!("/inboxes/{api_inbox}/whatsapp_analytics"))).token(admin).send().await;
    assert_invalid(&r, "inbox");
}

#[tokio::test]
async fn the_numbers_details_come_with_the_template_sync() {
    let wa = Wa::new().await;
    let (app, w) = (&wa.app, &wa.w);
    let admin = &w.admin.access_token;
    let inbox_path = w.path(&format!("/inboxes/{}", wa.inbox_id));
    let sync_path = format!("{inbox_path}/sync_templates");
    wa.bsp.set_numbers(vec![
        json!({"verified_name": "Otra Linea", "code_verification_status": "VERIFIED", "display_phone_number": "+57 300 000 0002",
            "quality_rating": "GREEN", "id": "22548916321978987"}),
        json!({"verified_name": "Aldeamo Pruebas Col", "code_verification_status": "NOT_VERIFIED", "display_phone_number": "+57 300 000 0001",
            "quality_rating": "UNKNOWN", "id": "22548916321987987"}),
    ]);

    // Before a token: the fields are there, null, and the BSP is not asked.
    let shown = app.get(&inbox_path).token(admin).send().await;
    assert_eq!(shown.status, 200);
    for k in ["verified_name", "display_phone_number", "quality_rating", "code_verification_status"] {
        assert!(shown.body.get(k).is_some_and(Value::is_null), "{k} in {:?}", shown.body);
    }
    assert_eq!(app.post(&sync_path).token(admin).send().await.status, 200);
    assert!(wa.bsp.analytics_calls("getPhoneNumbers").is_empty());

    // With the token, the sync asks getPhoneNumbers (after finding the ClientId, which it keeps)
    // and the inbox shows our number's details, picked by its digits.
    assert_eq!(set_analytics(&wa, json!({"analytics_token": ANALYTICS_TOKEN})).await.status, 200);
    let synced = app.post(&sync_path).token(admin).send().await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
    let b = &synced.body;
    assert_eq!(b["verified_name"], "Aldeamo Pruebas Col");
    assert_eq!(b["display_phone_number"], "+57 300 000 0001");
    assert_eq!(b["quality_rating"], "UNKNOWN");
    assert_eq!(b["code_verification_status"], "NOT_VERIFIED");
    assert!(b["phone_number_checked_at"].as_i64().is_some() && b["phone_number_check_error"].is_null(), "{b}");
    assert_eq!(b["provider_config"]["client_id"], "********", "the ClientId found is kept, masked");
    let asked = wa.bsp.analytics_calls("getPhoneNumbers").pop().unwrap();
    assert_eq!(
        (asked.token.as_deref(), asked.client_id.as_deref(), asked.waba_id.as_deref()),
        (Some(ANALYTICS_TOKEN), Some(CLIENT_ID), Some(WABA_ID))
    );
    // Agents of the inbox see the details, not the check's bookkeeping.
    let as_agent = app.get(&inbox_path).token(&w.agent.access_token).send().await;
    assert_eq!(as_agent.body["quality_rating"], "UNKNOWN");
    assert!(as_agent.body.get("phone_number_check_error").is_none());

    // The quality changes at the BSP: the next sync shows it; getWabaIdsByToken is not asked again.
    wa.bsp.set_numbers(vec![json!({"verified_name": "Aldeamo Pruebas Col", "code_verification_status": "VERIFIED",
        "display_phone_number": "+57 300 000 0001", "quality_rating": "GREEN", "id": "22548916321987987"})]);
    let synced = app.post(&sync_path).token(admin).send().await;
    assert_eq!(
        (synced.body["quality_rating"].as_str(), synced.body["code_verification_status"].as_str()),
        (Some("GREEN"), Some("VERIFIED"))
    );
    assert_eq!(wa.bsp.analytics_calls("getWabaIdsByToken").len(), 1);

    // A failure is shown on the inbox, next to the last good details; the templates still sync.
    assert_eq!(set_analytics(&wa, json!({"client_id": "2437"})).await.status, 200);
    let synced = app.post(&sync_path).token(admin).send().await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
    assert_eq!(synced.body["quality_rating"], "GREEN", "the last good details stay");
    let error = synced.body["phone_number_check_error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("400 WabaId {WABA_ID} does not belong to the client 2437 or the token is not valid ********1935")),
        "{error}"
    );
    assert!(!synced.body.to_string().contains(ANALYTICS_TOKEN));
}
