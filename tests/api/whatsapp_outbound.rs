//! Outgoing WhatsApp messages: the exact requests, the window, retries, failures, restarts,
//! statuses and templates.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::bsp::{Failure, Recorded, API_KEY, USER_ID, WABA_ID};
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, assert_keys, matrix, ADMIN_WRITE};
use crate::whatsapp::{inbound, Wa, CONTACT_WA};

const FROM: &str = "573000000001";

fn now_ts() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// The contact wrote just now; returns the conversation and the incoming message's id.
async fn open_window(wa: &Wa) -> (i64, i64) {
    let r = wa.deliver(&inbound(json!({"id": "wamid.in", "timestamp": now_ts(), "type": "text", "text": {"body": "hola"}}))).await;
    assert_eq!(r.status, 200);
    let conversation = 1;
    let incoming = wa.messages(conversation).await[0]["id"].as_i64().unwrap();
    (conversation, incoming)
}

fn envelope(kind: &str) -> Value {
    json!({"from": FROM, "to": CONTACT_WA, "type": kind, "recipient_type": "individual"})
}

#[tokio::test]
async fn every_outbound_type_reaches_the_bsp_as_the_manual_shows() {
    let wa = Wa::new().await;
    let (c, incoming) = open_window(&wa).await;
    let interactive_button = json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [
        {"type": "reply", "reply": {"id": "b1", "title": "One"}}, {"type": "reply", "reply": {"id": "b2", "title": "Two"}}]}});
    let list = json!({"type": "list", "header": {"type": "text", "text": "Menu"}, "body": {"text": "Choose"}, "footer": {"text": "f"},
        "action": {"button": "Send", "sections": [{"title": "S1", "rows": [{"id": "r1", "title": "Row", "description": "d"}]}]}});
    let product = json!({"type": "product", "body": {"text": "Look"}, "action": {"catalog_id": "cat1", "product_retailer_id": "p1"}});
    let product_list = json!({"type": "product_list", "header": {"type": "text", "text": "Rojos"}, "body": {"text": "Products"},
        "action": {"catalog_id": "cat1", "sections": [{"title": "s", "product_items": [{"product_retailer_id": "q15"}]}]}});
    let location = json!({"latitude": 4.69212, "longitude": -74.052984, "name": "Oficina", "address": "Calle 1"});
    let contacts =
        json!([{"name": {"formatted_name": "Carlos Lopez", "first_name": "Carlos"}, "phones": [{"phone": "57320", "type": "HOME"}]}]);
    let currency = json!({"type": "currency", "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}});
    let date = json!({"type": "date_time", "date_time": {"fallback_value": "February 25, 1977"}});
    let template = json!({"name": "order_update", "language": "es",
        "header": [{"type": "image", "image": {"link": "https://shop.example/p.png"}}],
        "body": ["Ana", date, currency],
        "buttons": [{"index": 1, "sub_type": "url", "parameters": ["order-42"]}]});
    let cases: Vec<(Value, &str, Value)> = vec![
        (
            json!({"content": "see https://shop.example"}),
            "text",
            json!({"text": {"body": "see https://shop.example"}, "preview_url": true}),
        ),
        (
            json!({"content": "answering", "content_attributes": {"in_reply_to": incoming}}),
            "text",
            json!({"text": {"body": "answering"}, "context": {"message_id": "wamid.in"}}),
        ),
        (json!({"content_attributes": {"location": location}}), "location", json!({"location": location})),
        (json!({"content_attributes": {"contacts": contacts}}), "contacts", json!({"contacts": contacts})),
        (json!({"content_attributes": {"interactive": interactive_button}}), "interactive", json!({"interactive": interactive_button})),
        (json!({"content_attributes": {"interactive": list}}), "interactive", json!({"interactive": list})),
        (json!({"content_attributes": {"interactive": product}}), "interactive", json!({"interactive": product})),
        (json!({"content_attributes": {"interactive": product_list}}), "interactive", json!({"interactive": product_list})),
        (
            json!({"content": "Rate us", "content_type": "input_select", "content_attributes": {"items": [{"title": "Good", "value": "good"}, {"title": "Bad", "value": "bad"}]}}),
            "interactive",
            json!({"interactive": {"type": "button", "body": {"text": "Rate us"}, "action": {"buttons": [
                {"type": "reply", "reply": {"id": "good", "title": "Good"}}, {"type": "reply", "reply": {"id": "bad", "title": "Bad"}}]}}}),
        ),
        (
            json!({"content": "", "template_params": template}),
            "template",
            json!({"template": {"name": "order_update", "language": {"policy": "deterministic", "code": "es"}, "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://shop.example/p.png"}}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, date, currency]},
                {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "order-42"}]}]}}),
        ),
    ];
    let mut ids = Vec::new();
    for (i, (body, _, _)) in cases.iter().enumerate() {
        let r = wa.reply(c, body).await;
        assert_eq!(r.status, 200, "case {i}: {:?}", r.body);
        assert_eq!(r.body["status"], "progress", "not sent yet when the API answers");
        ids.push(r.body["id"].as_i64().unwrap());
    }
    // Files: an image with its caption, a document with its file name; the link is ours, signed.
    let url = wa.app.url(&wa.w.path(&format!("/conversations/{c}/messages")));
    for (name, mime, bytes, caption) in [
        ("photo.png", "image/png", b"\x89PNG...".to_vec(), "a photo"),
        ("invoice.pdf", "application/pdf", b"%PDF-1.4".to_vec(), "the invoice"),
    ] {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name).mime_str(mime).unwrap();
        let form = reqwest::multipart::Form::new().text("content", caption).part("attachments[]", part);
        let r = wa.app.client.post(&url).header("api_access_token", &wa.w.agent.access_token).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let sent = wa.bsp.wait_accepted(ids.len(), Duration::from_secs(20)).await;
    assert_eq!(sent.len(), ids.len(), "{sent:?}");
    let mut sent: Vec<Recorded> = sent;
    // Jobs run concurrently: match requests to cases by content, not arrival.
    for (i, (_, service, extra)) in cases.iter().enumerate() {
        let mut want = if *service == "template" { json!({"from": FROM, "to": CONTACT_WA, "type": "template"}) } else { envelope(service) };
        for (k, v) in extra.as_object().unwrap() {
            want[k] = v.clone();
        }
        let pos = sent
            .iter()
            .position(|r| r.body == want)
            .unwrap_or_else(|| panic!("case {i}: no request {want}\nin {:#?}", sent.iter().map(|r| &r.body).collect::<Vec<_>>()));
        let r = sent.remove(pos);
        assert_eq!(r.service(), Some(if *service == "contacts" { "contacts" } else { service }));
        assert_eq!((r.api_key.as_deref(), r.user_id.as_deref()), (Some(API_KEY), Some(USER_ID)));
    }
    let image = sent.iter().find(|r| r.service() == Some("imagebyurl")).expect("image sent");
    assert_eq!(image.body["image"]["caption"], "a photo");
    let link = image.body["image"]["link"].as_str().unwrap();
    assert!(link.starts_with(&wa.app.address), "under PUBLIC_URL: {link}");
    let fetched = reqwest::get(link).await.unwrap();
    assert_eq!(fetched.status(), 200, "the BSP can fetch it without a token");
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"\x89PNG...");
    let doc = sent.iter().find(|r| r.service() == Some("docbyurl")).expect("document sent");
    assert_eq!(
        (doc.body["document"]["filename"].as_str(), doc.body["document"]["caption"].as_str()),
        (Some("invoice.pdf"), Some("the invoice"))
    );
    // Each message is `sent` with the BSP's id as its source_id.
    let all = wa.bsp.accepted();
    for id in ids {
        let m = wa.wait_status(c, id, "sent").await;
        let source = m["source_id"].as_str().unwrap();
        assert!(all.iter().any(|r| r.message_id.as_deref() == Some(source)), "{m}");
    }
    // Private notes never reach the channel.
    let note = wa.reply(c, &json!({"content": "internal", "private": true})).await;
    assert_eq!(note.body["status"], "sent");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(wa.bsp.accepted().len(), all.len());
}

#[tokio::test]
async fn the_window_and_unsendable_messages_are_refused_at_create_time() {
    let wa = Wa::new().await;
    // The contact last wrote 25 hours ago.
    let old = (chrono::Utc::now() - chrono::Duration::hours(25)).timestamp().to_string();
    wa.deliver(&inbound(json!({"id": "wamid.old", "timestamp": old, "type": "text", "text": {"body": "hola"}}))).await;
    let c = 1;
    let r = wa.reply(c, &json!({"content": "late reply"})).await;
    assert_invalid(&r, "message");
    assert!(r.body["message"].as_str().unwrap().contains("24 hours"), "{:?}", r.body);
    let hello = wa.reply(c, &json!({"content": "", "template_params": {"name": "hello", "language": "en_US"}})).await;
    assert_eq!(hello.status, 200, "templates are always allowed: {:?}", hello.body);
    assert_invalid(&wa.reply(c, &json!({"template_params": {"name": "nope"}})).await, "template_params.name");
    assert_invalid(&wa.reply(c, &json!({"template_params": {"name": "draft"}})).await, "template_params.name");
    let short = json!({"template_params": {"name": "order_update", "header": [{"type": "image", "image": {"link": "https://x/y.png"}}], "body": ["Ana"], "buttons": [{"index": 1, "sub_type": "url", "parameters": ["x"]}]}});
    let r = wa.reply(c, &short).await;
    assert_invalid(&r, "template_params.body");
    assert!(r.body["message"].as_str().unwrap().contains("needs 3"), "{:?}", r.body);
    let bad_currency = json!({"template_params": {"name": "hello", "body": [{"type": "currency", "currency": {"code": "USD"}}]}});
    assert_invalid(&wa.reply(c, &bad_currency).await, "template_params.body[0].currency.fallback_value");
    // Inside the window, shapes are still checked.
    wa.deliver(&inbound(json!({"id": "wamid.new", "timestamp": now_ts(), "type": "text", "text": {"body": "hola"}}))).await;
    assert_invalid(&wa.reply(c, &json!({"content": "a".repeat(4097)})).await, "content");
    let buttons: Vec<Value> = (0..4).map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": "t"}})).collect();
    let four = json!({"content": "pick", "content_attributes": {"interactive": {"type": "button", "action": {"buttons": buttons}}}});
    assert_invalid(&wa.reply(c, &four).await, "content_attributes.interactive.action.buttons");
    assert_invalid(
        &wa.reply(c, &json!({"content_attributes": {"location": {"latitude": "north"}}})).await,
        "content_attributes.location.latitude",
    );
    let url = wa.app.url(&wa.w.path(&format!("/conversations/{c}/messages")));
    let part = |n: &str| reqwest::multipart::Part::bytes(b"x".to_vec()).file_name(n.to_string()).mime_str("image/png").unwrap();
    let form = reqwest::multipart::Form::new().part("attachments[]", part("a.png")).part("attachments[]", part("b.png"));
    let two = wa.app.client.post(&url).header("api_access_token", &wa.w.agent.access_token).multipart(form).send().await.unwrap();
    assert_eq!(two.status(), 422);
    // Nothing refused was stored or queued.
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages WHERE message_type = 1").await, 1);
}

#[tokio::test]
async fn failed_sends_are_retried_and_then_marked_failed() {
    let wa = Wa::with(|s| s.whatsapp.send_attempts = 4).await;
    let (c, _) = open_window(&wa).await;
    // A 500, a 429 and a timeout, then the BSP takes it: one message at the BSP.
    wa.bsp.fail_next([Failure::Status(500), Failure::Status(429), Failure::Hang(Duration::from_millis(1500))]);
    let m = wa.reply(c, &json!({"content": "retry me"})).await.body["id"].as_i64().unwrap();
    let sent = wa.wait_status(c, m, "sent").await;
    let tries: Vec<_> = wa.bsp.requests().into_iter().filter(|r| r.body["text"]["body"] == "retry me").collect();
    assert_eq!(tries.len(), 4, "three failures and one success");
    assert_eq!(wa.bsp.accepted().len(), 1);
    assert_eq!(sent["source_id"], wa.bsp.accepted()[0].message_id.clone().unwrap());
    // A 4xx is final: failed at once, with the BSP's words, announced as message.updated.
    wa.bsp.fail_next([Failure::Status(400)]);
    let m = wa.reply(c, &json!({"content": "refused"})).await.body["id"].as_i64().unwrap();
    let failed = wa.wait_status(c, m, "failed").await;
    let error = failed["content_attributes"]["external_error"].as_str().unwrap();
    assert!(error.contains("400") && error.contains("Simulated failure"), "{error}");
    assert_eq!(wa.bsp.requests().iter().filter(|r| r.body["text"]["body"] == "refused").count(), 1, "never retried");
    let events = wa.count(&format!("SELECT count(*) AS n FROM realtime_events WHERE event = 'message.updated' AND data->>'id' = '{m}' AND data->>'status' = 'failed'")).await;
    assert_eq!(events, 1);
    // Out of attempts: failed too.
    wa.bsp.fail_next((0..4).map(|_| Failure::Status(503)));
    let m = wa.reply(c, &json!({"content": "unlucky"})).await.body["id"].as_i64().unwrap();
    let failed = wa.wait_status(c, m, "failed").await;
    assert!(failed["content_attributes"]["external_error"].as_str().unwrap().contains("503"));
    assert_eq!(wa.bsp.requests().iter().filter(|r| r.body["text"]["body"] == "unlucky").count(), 4);
    assert_eq!(wa.count("SELECT count(*) AS n FROM jobs").await, 0, "finished jobs are gone");
}

#[tokio::test]
async fn sends_resume_after_a_restart_and_are_never_repeated() {
    let wa = Wa::with(|s| s.whatsapp.retry_base = Duration::from_secs(2)).await;
    let (c, _) = open_window(&wa).await;
    // The first attempt fails; the process dies while the retry waits.
    wa.bsp.fail_next([Failure::Status(502)]);
    let first = wa.reply(c, &json!({"content": "after restart"})).await.body["id"].as_i64().unwrap();
    // getTemplate at the inbox's creation, then the failed attempt.
    wa.bsp.wait_requests(2, Duration::from_secs(5)).await;
    // The second message's send hangs at the BSP when the process dies.
    wa.bsp.fail_next([Failure::Hang(Duration::from_secs(2))]);
    let second = wa.reply(c, &json!({"content": "mid-flight"})).await.body["id"].as_i64().unwrap();
    assert_eq!(wa.bsp.wait_requests(3, Duration::from_secs(5)).await.len(), 3);
    wa.app.stop().await;
    assert_eq!(wa.bsp.accepted().len(), 0);
    let next = TestApp::spawn_on(wa.app.database_url.clone(), |s| {
        s.whatsapp.retry_base = Duration::from_millis(50);
        s.whatsapp.bsp_timeout = Duration::from_millis(700);
    })
    .await
    .unwrap();
    let sent = wa.bsp.wait_accepted(2, Duration::from_secs(20)).await;
    assert_eq!(sent.len(), 2, "both resumed after the restart");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(wa.bsp.accepted().len(), 2, "and sent exactly once");
    let path = wa.w.path(&format!("/conversations/{c}/messages"));
    let list = next.get(&path).token(&wa.w.admin.access_token).send().await.body["payload"].as_array().unwrap().clone();
    for id in [first, second] {
        assert_eq!(list.iter().find(|m| m["id"] == id).unwrap()["status"], "sent");
    }
}

#[tokio::test]
async fn statuses_move_forward_only_and_keep_their_details() {
    let wa = Wa::new().await;
    let (c, _) = open_window(&wa).await;
    let m = wa.reply(c, &json!({"content": "track me"})).await.body["id"].as_i64().unwrap();
    let source = wa.wait_status(c, m, "sent").await["source_id"].as_str().unwrap().to_string();
    let status = |s: &str, extra: Value| {
        let mut st = json!({"id": source, "timestamp": now_ts(), "recipient_id": CONTACT_WA, "status": s,
            "conversation": {"id": "conv-1", "origin": {"type": "business_initiated"}}, "pricing": {"billable": true, "category": "business_initiated", "pricing_model": "CBP"}});
        for (k, v) in extra.as_object().unwrap() {
            st[k] = v.clone();
        }
        json!({"contacts": null, "messages": null, "statuses": [st], "origin_number": FROM})
    };
    // Twenty copies of `delivered` at once change it once.
    let delivered = status("delivered", json!({}));
    let copies: Vec<_> = (0..20).map(|_| wa.deliver(&delivered)).collect();
    assert!(futures_util::future::join_all(copies).await.iter().all(|r| r.status == 200));
    wa.wait_status(c, m, "delivered").await;
    assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM realtime_events WHERE event = 'message.updated' AND data->>'id' = '{m}' AND data->>'status' = 'delivered'")).await, 1);
    assert_eq!(wa.deliver(&status("read", json!({}))).await.status, 200);
    wa.deliver(&status("delivered", json!({}))).await;
    wa.deliver(&status("failed", json!({"errors": [{"code": 131047, "title": "Re-engagement message"}]}))).await;
    wa.deliver(&status("sent", json!({}))).await;
    let read = wa.wait_status(c, m, "read").await;
    assert!(read["content_attributes"].get("external_error").is_none(), "never backwards: {read}");
    assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM messages WHERE id = {m} AND additional_attributes->'whatsapp'->'pricing'->>'pricing_model' = 'CBP' AND additional_attributes->'whatsapp'->'conversation'->>'id' = 'conv-1'")).await, 1);
    // A failure on a message only sent carries the BSP's error.
    let other = wa.reply(c, &json!({"content": "fail me"})).await.body["id"].as_i64().unwrap();
    let other_source = wa.wait_status(c, other, "sent").await["source_id"].as_str().unwrap().to_string();
    let mut failed = status("failed", json!({"errors": [{"code": 131047, "title": "Re-engagement message"}]}));
    failed["statuses"][0]["id"] = json!(other_source);
    wa.deliver(&failed).await;
    let f = wa.wait_status(c, other, "failed").await;
    assert_eq!(f["content_attributes"]["external_error"], "131047: Re-engagement message");
    // Statuses of messages we don't know are ignored.
    let mut unknown = status("read", json!({}));
    unknown["statuses"][0]["id"] = json!("wamid.unknown");
    assert_eq!(wa.deliver(&unknown).await.status, 200);
}

#[tokio::test]
async fn templates_sync_create_delete_and_follow_their_webhooks() {
    let wa = Wa::new().await;
    let (app, w) = (&wa.app, &wa.w);
    let base = w.path(&format!("/inboxes/{}", wa.inbox_id));
    wa.bsp.set_templates(vec![switchboard_testkit::bsp::template(
        "hello",
        "en_US",
        "APPROVED",
        json!([{"type": "BODY", "text": "Hi {{1}}"}]),
    )]);
    let synced = app.post(&format!("{base}/sync_templates")).token(&w.admin.access_token).send().await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
    let names: Vec<&str> = synced.body["message_templates"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hello"], "vanished templates are removed");
    assert_eq!(matrix(app, w, Method::POST, &format!("{base}/sync_templates"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(app, w, Method::GET, &format!("{base}/message_templates"), None).await, ADMIN_WRITE);
    let via_matrix = json!({"name": "matrix_made", "category": "UTILITY", "language": "en", "components": [{"type": "BODY", "text": "x"}]});
    assert_eq!(matrix(app, w, Method::POST, &format!("{base}/message_templates"), Some(via_matrix)).await, ADMIN_WRITE);

    let new = json!({"name": "shipping_notice", "category": "UTILITY", "language": "en_US",
        "components": [{"type": "BODY", "text": "Your order {{1}} shipped", "example": {"body_text": [["42"]]}}]});
    let created = app.post(&format!("{base}/message_templates")).token(&w.admin.access_token).json(&new).send().await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!(created.body["status"], "PENDING");
    let call = wa.bsp.requests().into_iter().rfind(|r| r.path == "/v1/apikey/template/createTemplate").unwrap();
    assert_eq!(call.body["wabaId"], WABA_ID);
    assert_eq!(call.body["components"], new["components"]);
    assert_invalid(
        &app.post(&format!("{base}/message_templates"))
            .token(&w.admin.access_token)
            .json(&json!({"name": "Bad Name", "category": "UTILITY", "language": "en", "components": [{"type": "BODY", "text": "x"}]}))
            .send()
            .await,
        "name",
    );
    wa.bsp.fail_next([Failure::Status(400)]);
    let refused = app
        .post(&format!("{base}/message_templates"))
        .token(&w.admin.access_token)
        .json(&json!({"name": "other", "category": "UTILITY", "language": "en", "components": [{"type": "BODY", "text": "x"}]}))
        .send()
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    assert!(refused.body["error"].as_str().unwrap().contains("Simulated failure 400"), "passed on: {:?}", refused.body);
    wa.bsp.fail_next([Failure::Status(500)]);
    let broken = app
        .post(&format!("{base}/message_templates"))
        .token(&w.admin.access_token)
        .json(&json!({"name": "other", "category": "UTILITY", "language": "en", "components": [{"type": "BODY", "text": "x"}]}))
        .send()
        .await;
    assert_eq!(broken.status, 502);

    // Template webhooks: approval, rejection reason, category change, metrics.
    let wa = &wa;
    let hook = |field: &str, value: Value| {
        let body = json!({"field": field, "value": value});
        async move { wa.deliver(&body).await }
    };
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(hook("message_template_status_update", json!({"event": "APPROVED", "message_template_id": id.parse::<i64>().unwrap(), "message_template_name": "shipping_notice", "message_template_language": "en-US", "reason": null})).await.status, 200);
    hook("template_category_update", json!({"message_template_id": 1, "message_template_name": "hello", "message_template_language": "en-US", "previous_category": "UTILITY", "new_category": "MARKETING"})).await;
    hook("template_performance_metrics", json!({"templates_performance_metrics": [{"template_id": "id-hello-en_US", "template_name": "hello", "template_language": "en_US", "messages_sent_7d": 2000, "top_block_reason": "SPAM"}]})).await;
    let listed = app.get(&format!("{base}/message_templates")).token(&w.admin.access_token).send().await;
    assert_keys(
        &listed.body["payload"][0],
        &["id", "name", "language", "status", "category", "components", "rejected_reason", "quality_metrics"],
    );
    let find = |name: &str| listed.body["payload"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap().clone();
    assert_eq!(find("shipping_notice")["status"], "APPROVED");
    assert_eq!(find("hello")["category"], "MARKETING");
    assert_eq!(find("hello")["previous_category"], "UTILITY");
    assert_eq!(find("hello")["quality_metrics"]["messages_sent_7d"], 2000);
    hook("message_template_status_update", json!({"event": "REJECTED", "message_template_name": "shipping_notice", "message_template_language": "en_US", "reason": "INCORRECT_CATEGORY"})).await;
    let shown = app.get(&base).token(&w.admin.access_token).send().await;
    let t = shown.body["message_templates"].as_array().unwrap().iter().find(|t| t["name"] == "shipping_notice").unwrap().clone();
    assert_eq!((t["status"].as_str(), t["rejected_reason"].as_str()), (Some("REJECTED"), Some("INCORRECT_CATEGORY")));

    let deleted = app.call(Method::DELETE, &format!("{base}/message_templates/shipping_notice")).token(&w.admin.access_token).send().await;
    assert_eq!(deleted.status, 200);
    let call = wa.bsp.requests().into_iter().rfind(|r| r.method == "DELETE").unwrap();
    assert!(call.query.contains("nameTemplate=shipping_notice") && call.query.contains(&format!("wabaid={WABA_ID}")), "{}", call.query);
    let gone = app.call(Method::DELETE, &format!("{base}/message_templates/shipping_notice")).token(&w.admin.access_token).send().await;
    assert_eq!(gone.status, 404);
    assert_eq!(matrix(app, w, Method::DELETE, &format!("{base}/message_templates/matrix_made"), None).await, ADMIN_WRITE);
    // Other accounts and API inboxes have no templates to touch.
    let other = app
        .post(&format!("/api/v1/accounts/{}/inboxes/{}/sync_templates", w.other_account_id, wa.inbox_id))
        .token(&w.outsider.access_token)
        .send()
        .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn sends_keep_to_the_inbox_rate_limit() {
    let wa = Wa::with(|s| s.whatsapp.rate_limit = 2).await;
    let (c, _) = open_window(&wa).await;
    for i in 0..6 {
        assert_eq!(wa.reply(c, &json!({"content": format!("burst {i}")})).await.status, 200);
    }
    let sent = wa.bsp.wait_accepted(6, Duration::from_secs(15)).await;
    assert_eq!(sent.len(), 6);
    let span = sent.last().unwrap().at.duration_since(sent[0].at);
    // Six sends at two per second span at least two second boundaries.
    assert!(span >= Duration::from_millis(1000), "sent within {span:?}");
    let mut per_window = std::collections::HashMap::new();
    for r in &sent {
        *per_window.entry(r.at.duration_since(sent[0].at).as_millis() / 1000).or_insert(0) += 1;
    }
    assert!(sent.len() == 6 && per_window.len() >= 2, "{per_window:?}");
}

/// A malformed payload used to read as message 0 and complete silently; an unknown kind was
/// dropped. Both are now kept dead, with the reason, and never claimed again; good jobs run on.
#[tokio::test]
async fn jobs_that_can_never_run_are_kept_dead_with_the_reason() {
    let wa = Wa::new().await;
    let (c, _) = open_window(&wa).await;
    let (malformed, unknown) = {
        let mut conn = wa.app.db.get().await.unwrap();
        let malformed = switchboard_store::jobs::enqueue_raw(&mut conn, "whatsapp.send", &json!({ "message_id": "seven" })).await.unwrap();
        let unknown = switchboard_store::jobs::enqueue_raw(&mut conn, "reports.rebuild", &json!({})).await.unwrap();
        (malformed, unknown)
    };
    // A good send goes through beside them.
    let good = wa.reply(c, &json!({ "content": "still sent" })).await.body["id"].as_i64().unwrap();
    wa.wait_status(c, good, "sent").await;
    let mut dead = vec![];
    for _ in 0..100 {
        let mut conn = wa.app.db.get().await.unwrap();
        dead = switchboard_store::jobs::dead(&mut conn, 10).await.unwrap();
        if dead.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reason = |id: i64| dead.iter().find(|j| j.id == id).and_then(|j| j.last_error.clone()).unwrap_or_default();
    assert!(reason(malformed).contains("unreadable whatsapp.send payload"), "{dead:?}");
    assert!(reason(unknown).contains("unknown job kind reports.rebuild"), "{dead:?}");
    assert_eq!(wa.count("SELECT count(*) AS n FROM jobs WHERE dead_at IS NULL").await, 0, "only the dead remain");
    // Dead jobs are never claimed again.
    let mut conn = wa.app.db.get().await.unwrap();
    diesel_async::RunQueryDsl::execute(diesel::sql_query("UPDATE jobs SET run_at = now() - interval '1 hour'"), &mut conn).await.unwrap();
    assert!(switchboard_store::jobs::claim(&mut conn, 10, Duration::from_secs(30)).await.unwrap().is_empty());
}

/// Issue 14, the defect: `POST conversations` with a first message on a WhatsApp inbox sends it
/// through the job queue, with every check a reply gets (and names the field under `message`).
#[tokio::test]
async fn a_new_conversations_first_message_is_checked_and_sent_like_any_other() {
    let wa = Wa::new().await;
    // A number that has never written: a contact with an identity in the inbox.
    let created = wa
        .app
        .post(&wa.w.path("/contacts"))
        .token(&wa.w.admin.access_token)
        .json(&json!({"name": "Nuevo Cliente", "phone_number": "+573145550000", "inbox_id": wa.inbox_id}))
        .send()
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let contact_id = created.body["payload"]["contact"]["id"].as_i64().unwrap();
    let open = |message: Value| {
        let body = json!({"inbox_id": wa.inbox_id, "contact_id": contact_id, "message": message});
        let (app, path, token) = (&wa.app, wa.w.path("/conversations"), wa.w.agent.access_token.clone());
        async move { app.post(&path).token(&token).json(&body).send().await }
    };
    // Free text to a number that has not written: the window is closed.
    let r = open(json!({"content": "Hola"})).await;
    assert_invalid(&r, "message");
    // A template with the wrong parameter count names the field.
    let r = open(json!({"content": "", "template_params": {"name": "order_update", "language": "es", "body": ["Ana"]}})).await;
    assert_invalid(&r, "message.template_params.body");
    let r = open(json!({"template_params": {"name": "nope"}})).await;
    assert_invalid(&r, "message.template_params.name");
    let conversations = wa.app.get(&wa.w.path("/conversations?status=all")).token(&wa.w.admin.access_token).send().await;
    assert_eq!(conversations.body["data"]["meta"]["all_count"], 0, "a refused first message opens nothing");

    // The template goes out through the queue, to the new number.
    let r = open(json!({"content": "", "template_params": {"name": "hello", "language": "en_US"}})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let display_id = r.body["id"].as_i64().unwrap();
    let first = wa.messages(display_id).await.into_iter().find(|m| m["message_type"] == 1).unwrap();
    // Queued (or already sent by the job): never stored as sent without going out.
    assert!(first["status"] == "progress" || first["status"] == "sent", "{first}");
    let sent = wa.wait_status(display_id, first["id"].as_i64().unwrap(), "sent").await;
    assert!(sent["source_id"].as_str().unwrap().starts_with("wamid.fake"));
    let request = wa.bsp.requests().into_iter().find(|r| r.service() == Some("template")).unwrap();
    assert_eq!(request.body["to"], "573145550000");
    assert_eq!(request.body["template"]["name"], "hello");

    // Once the contact writes, free text opens a conversation and goes out the same way.
    let hello = json!({"contacts": [{"profile": {"name": "Nuevo"}, "wa_id": "573145550000"}],
                       "messages": [{"from": "573145550000", "id": "wamid.n1", "timestamp": now_ts(), "type": "text", "text": {"body": "gracias"}}]});
    assert_eq!(wa.deliver(&hello).await.status, 200);
    let resolved = wa
        .app
        .post(&wa.w.path(&format!("/conversations/{display_id}/toggle_status")))
        .token(&wa.w.admin.access_token)
        .json(&json!({"status": "resolved"}))
        .send()
        .await;
    assert_eq!(resolved.status, 200);
    let r = open(json!({"content": "¿Algo más?"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let second = r.body["id"].as_i64().unwrap();
    let text = wa.messages(second).await.into_iter().find(|m| m["message_type"] == 1).unwrap();
    wa.wait_status(second, text["id"].as_i64().unwrap(), "sent").await;
    assert!(wa.bsp.requests().iter().any(|r| r.service() == Some("text") && r.body["text"]["body"] == "¿Algo más?"));
}

#[tokio::test]
async fn a_whatsapp_survey_goes_out_as_text_and_the_customers_number_is_its_rating() {
    let wa = Wa::new().await;
    let admin = &wa.w.admin.access_token;
    let r = wa
        .app
        .patch(&wa.w.path(&format!("/inboxes/{}", wa.inbox_id)))
        .token(admin)
        .json(&json!({ "csat_survey_enabled": true }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (c, _) = open_window(&wa).await;
    let r = wa
        .app
        .post(&wa.w.path(&format!("/conversations/{c}/toggle_status")))
        .token(admin)
        .json(&json!({ "status": "resolved" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The survey reaches the customer through the BSP, as text to answer with a number.
    let sent = wa.bsp.wait_accepted(1, Duration::from_secs(20)).await;
    let question = sent.first().map(|s| s.body["text"]["body"].clone()).unwrap_or_default();
    assert!(question.as_str().is_some_and(|q| q.contains("1 (poor) to 5 (excellent)")), "{sent:?}");
    // An ordinary reply is a message; a number is the rating, and a second one replaces it.
    for (id, text) in [("wamid.r1", "gracias"), ("wamid.r2", "4"), ("wamid.r3", "⭐⭐⭐⭐⭐")] {
        assert_eq!(
            wa.deliver(&inbound(json!({"id": id, "timestamp": now_ts(), "type": "text", "text": {"body": text}}))).await.status,
            200
        );
    }
    let responses = wa.w.path("/csat_survey_responses");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let listed = loop {
        let listed = wa.app.get(&responses).token(admin).send().await;
        if listed.body["payload"][0]["rating"] == 5 || tokio::time::Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (listed.body["meta"]["count"].as_i64(), listed.body["payload"][0]["rating"].as_i64()),
        (Some(1), Some(5)),
        "{:?}",
        listed.body
    );
    assert_eq!(listed.body["payload"][0]["conversation_id"].as_i64(), Some(c));
    // The survey message carries the answer, as a public PATCH would have left it.
    let survey = wa.messages(c).await.into_iter().find(|m| m["content_type"] == "input_csat").unwrap_or_default();
    assert_eq!(survey["content_attributes"]["submitted_values"]["csat_survey_response"]["rating"], 5, "{survey}");
}
