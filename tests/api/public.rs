//! The public client API, driven as a chat widget or client SDK does, with only public
//! identifiers: the whole flow (contact, conversation, live reply, a bot's buttons answered,
//! resolution), isolation between contacts, inboxes and accounts for every operation and on the
//! socket, identity verification, and rate limits shared by two processes through Redis.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use switchboard_testkit::{TestApp, TestRedis, World};

use crate::realtime::{connect, next_within, subscribe, Ws};
use crate::support::{assert_invalid, matrix, ADMIN_WRITE};

fn base(identifier: &str) -> String {
    format!("/public/api/v1/inboxes/{identifier}")
}

/// An API inbox (the agent works in it) and its public identifier.
async fn api_inbox(app: &TestApp, w: &World, name: &str) -> (i64, String) {
    let r = app
        .post(&w.path("/inboxes"))
        .token(&w.admin.access_token)
        .json(&json!({ "name": name, "channel": { "type": "api" } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    app.add_inbox_member(id, &w.agent).await;
    (id, r.body["inbox_identifier"].as_str().unwrap().to_string())
}

async fn new_contact(app: &TestApp, identifier: &str, body: Value) -> Value {
    let r = app.post(&format!("{}/contacts", base(identifier))).json(&body).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

async fn open(app: &TestApp, identifier: &str, source_id: &str) -> i64 {
    let r = app
        .post(&format!("{}/contacts/{source_id}/conversations", base(identifier)))
        .json(&json!({ "custom_attributes": { "order": "A-1" } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// Frames until `wait` passes with none: (event, data).
async fn drain(ws: &mut Ws, wait: Duration) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    while let Some(frame) = next_within(ws, wait).await {
        if let Some(event) = frame["message"]["event"].as_str() {
            out.push((event.to_string(), frame["message"]["data"].clone()));
        }
    }
    out
}

fn sign(token: &str, identifier: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(identifier.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn a_widget_talks_to_agents_with_public_identifiers_only() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox_id, inbox) = api_inbox(&app, &w, "Website").await;
    let r = app
        .patch(&w.path(&format!("/inboxes/{inbox_id}")))
        .token(&w.admin.access_token)
        .json(&json!({ "csat_survey_enabled": true }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let shown = app.get(&base(&inbox)).send().await;
    assert_eq!((shown.status, shown.body["name"].as_str()), (200, Some("Website")), "{:?}", shown.body);
    assert_eq!(shown.body["csat_survey_enabled"], true);

    // 1. A contact.
    let me = new_contact(&app, &inbox, json!({ "name": "Carla", "email": "carla@example.com" })).await;
    let (source_id, pubsub) = (me["source_id"].as_str().unwrap().to_string(), me["pubsub_token"].as_str().unwrap().to_string());
    let contact_path = format!("{}/contacts/{source_id}", base(&inbox));
    assert_eq!(app.get(&contact_path).send().await.body["email"], "carla@example.com");
    let r = app.patch(&contact_path).json(&json!({ "name": "Carla R", "phone_number": "+573001112233" })).send().await;
    assert_eq!((r.status, r.body["name"].as_str()), (200, Some("Carla R")), "{:?}", r.body);
    assert_invalid(&app.patch(&contact_path).json(&json!({ "email": "nope" })).send().await, "email");
    // A bot answers the inbox first: it will ask with buttons (its token, no server needed here).
    let bot = app.post(&w.path("/agent_bots")).token(&w.admin.access_token).json(&json!({ "name": "Router" })).send().await;
    let bot_token = bot.body["access_token"].as_str().unwrap().to_string();
    let set = w.path(&format!("/inboxes/{inbox_id}/set_agent_bot"));
    assert_eq!(app.post(&set).token(&w.admin.access_token).json(&json!({ "agent_bot": bot.body["id"] })).send().await.status, 204);
    // 2. A conversation, with custom attributes (pending: the bot has it first).
    let id = open(&app, &inbox, &source_id).await;
    let conv = format!("{contact_path}/conversations/{id}");
    let shown = app.get(&conv).send().await;
    assert_eq!((shown.body["custom_attributes"]["order"].as_str(), shown.body["status"].as_str()), (Some("A-1"), Some("pending")));
    // 3. Live updates with the pubsub token alone.
    let mut ws = connect(&app).await;
    assert_eq!(
        subscribe(&mut ws, &json!({ "channel": "RoomChannel", "pubsub_token": pubsub }).to_string()).await["type"],
        "confirm_subscription"
    );
    // 4. It writes (as text, never HTML); an agent answers and the reply arrives live; the
    //    agents' private note does not.
    let r = app.post(&format!("{conv}/messages")).json(&json!({ "content": "<b>Hola</b>", "echo_id": "e-1" })).send().await;
    assert_eq!(
        (r.status, r.body["content"].as_str(), r.body["message_type"].as_i64()),
        (200, Some("<b>Hola</b>"), Some(0)),
        "{:?}",
        r.body
    );
    let agent = &w.agent.access_token;
    let agent_messages = w.path(&format!("/conversations/{id}/messages"));
    let listed = app.get(&agent_messages).token(agent).send().await;
    assert_eq!(listed.body["payload"][0]["content"], "<b>Hola</b>", "the agents see the message");
    app.post(&agent_messages).token(agent).json(&json!({ "content": "Hi Carla!" })).send().await;
    app.post(&agent_messages).token(agent).json(&json!({ "content": "internal", "private": true })).send().await;
    // 5. A bot's buttons, answered.
    let ask = json!({ "content": "Pick one", "content_type": "input_select",
                      "content_attributes": { "items": [{ "title": "Sales", "value": "sales" }, { "title": "Support", "value": "support" }] } });
    let asked = app.post(&agent_messages).token(&bot_token).json(&ask).send().await;
    assert_eq!((asked.status, asked.body["sender"]["type"].as_str()), (200, Some("agent_bot")), "{:?}", asked.body);
    let asked_id = asked.body["id"].as_i64().unwrap();
    let events = drain(&mut ws, Duration::from_millis(800)).await;
    let contents: Vec<&str> = events.iter().filter(|(e, _)| e == "message.created").filter_map(|(_, d)| d["content"].as_str()).collect();
    assert_eq!(contents, ["<b>Hola</b>", "Hi Carla!", "Pick one"], "its own, the reply and the question; never the note: {events:?}");
    let answer = json!({ "submitted_values": [{ "title": "Support", "value": "support" }] });
    let r = app.patch(&format!("{conv}/messages/{asked_id}")).json(&answer).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["content_attributes"]["submitted_values"][0]["value"], "support");
    assert_eq!(r.body["content_attributes"]["items"][1]["value"], "support", "the question stays");
    let updated = drain(&mut ws, Duration::from_millis(500)).await;
    assert!(updated.iter().any(|(e, d)| e == "message.updated" && d["id"].as_i64() == Some(asked_id)), "{updated:?}");
    let plain = listed.body["payload"][0]["id"].as_i64().unwrap();
    let r = app.patch(&format!("{conv}/messages/{plain}")).json(&answer).send().await;
    assert_invalid(&r, "submitted_values");
    // The contact's view of the conversation: no note, no activity line.
    let mine = app.get(&format!("{conv}/messages")).send().await;
    let seen: Vec<&str> = mine.body.as_array().unwrap().iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(seen, ["<b>Hola</b>", "Hi Carla!", "Pick one"]);
    assert!(mine.body[1]["sender"].get("email").is_none(), "agents' emails stay private: {}", mine.body[1]);
    // Typing and last seen reach the agents.
    let mut agent_ws = connect(&app).await;
    subscribe(&mut agent_ws, &crate::realtime::identifier(&w.agent.pubsub_token, w.account_id, w.agent.id, None)).await;
    assert_eq!(app.post(&format!("{conv}/toggle_typing")).json(&json!({ "typing_status": "on" })).send().await.status, 200);
    assert_invalid(&app.post(&format!("{conv}/toggle_typing")).json(&json!({ "typing_status": "maybe" })).send().await, "typing_status");
    assert_eq!(app.post(&format!("{conv}/update_last_seen")).send().await.status, 200);
    // 6. It resolves.
    let r = app.post(&format!("{conv}/toggle_status")).send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("resolved")), "{:?}", r.body);
    let agent_events: Vec<String> = drain(&mut agent_ws, Duration::from_millis(600)).await.into_iter().map(|(e, _)| e).collect();
    assert!(agent_events.contains(&"conversation.typing_on".to_string()), "{agent_events:?}");
    assert!(agent_events.contains(&"conversation.status_changed".to_string()), "{agent_events:?}");
    let list = app.get(&format!("{contact_path}/conversations")).send().await;
    assert_eq!((list.body.as_array().map(Vec::len), list.body[0]["status"].as_str()), (Some(1), Some("resolved")));

    // 7. The resolution sent a survey, live; the contact answers it, then changes its mind.
    let frames = drain(&mut ws, Duration::from_millis(600)).await;
    let survey = frames
        .iter()
        .find(|(e, d)| e == "message.created" && d["content_type"] == "input_csat")
        .map(|(_, d)| d.clone())
        .unwrap_or_else(|| panic!("no survey in {frames:?}"));
    let survey_path = format!("{conv}/messages/{}", survey["id"]);
    let bad = app.patch(&survey_path).json(&json!({ "submitted_values": { "csat_survey_response": { "rating": 9 } } })).send().await;
    assert_invalid(&bad, "submitted_values.csat_survey_response.rating");
    let rate =
        |rating: i64| json!({ "submitted_values": { "csat_survey_response": { "rating": rating, "feedback_message": "Quick answers" } } });
    assert_eq!(app.patch(&survey_path).json(&rate(5)).send().await.status, 200);
    let r = app.patch(&survey_path).json(&rate(4)).send().await;
    assert_eq!(r.body["content_attributes"]["submitted_values"]["csat_survey_response"]["rating"], 4);
    // One rating for the resolution, the latest; administrators read it and its metrics.
    let admin = &w.admin.access_token;
    let responses = app.get(&w.path("/csat_survey_responses")).token(admin).send().await;
    assert_eq!(responses.body["meta"]["count"], 1, "{:?}", responses.body);
    let response = &responses.body["payload"][0];
    assert_eq!((response["rating"].as_i64(), response["conversation_id"].as_i64()), (Some(4), Some(id)));
    assert_eq!(response["feedback_message"], "Quick answers");
    let narrowed = app.get(&w.path(&format!("/csat_survey_responses?rating=1,2&inbox_id={inbox_id}"))).token(admin).send().await;
    assert_eq!(narrowed.body["meta"]["count"], 0);
    let metrics = app.get(&w.path("/csat_survey_responses/metrics?since=2020-01-01")).token(admin).send().await;
    assert_eq!(
        (metrics.body["total_count"].as_i64(), metrics.body["total_sent_messages_count"].as_i64(), metrics.body["response_rate"].as_f64()),
        (Some(1), Some(1), Some(100.0)),
        "{:?}",
        metrics.body
    );
    assert_eq!((metrics.body["satisfaction_score"].as_f64(), metrics.body["ratings_count"]["4"].as_i64()), (Some(100.0), Some(1)));
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/csat_survey_responses"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/csat_survey_responses/metrics"), None).await, ADMIN_WRITE);
    // The survey page's data, by the conversation's uuid.
    let uuid = list.body[0]["uuid"].as_str().unwrap();
    let page = app.get(&format!("/survey/responses/{uuid}")).send().await;
    assert_eq!((page.status, page.body["rating"].as_i64(), page.body["answered"].as_bool()), (200, Some(4), Some(true)), "{:?}", page.body);
    assert_eq!(app.get("/survey/responses/not-a-conversation").send().await.status, 404);
}

#[tokio::test]
async fn a_contact_reaches_only_its_own_conversations_in_its_own_inbox() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (_, inbox) = api_inbox(&app, &w, "Website").await;
    let (_, second_inbox) = api_inbox(&app, &w, "App").await;
    let a = new_contact(&app, &inbox, json!({ "name": "Ana" })).await["source_id"].as_str().unwrap().to_string();
    let b_contact = new_contact(&app, &inbox, json!({ "name": "Beto" })).await;
    let (b, b_pubsub) = (b_contact["source_id"].as_str().unwrap().to_string(), b_contact["pubsub_token"].as_str().unwrap().to_string());
    let conversation = open(&app, &inbox, &a).await;
    let message = app
        .post(&format!("{}/contacts/{a}/conversations/{conversation}/messages", base(&inbox)))
        .json(&json!({ "content": "mine" }))
        .send()
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    // Another account: its own inbox and contact, and a conversation with the same display id.
    let other = World { account_id: w.other_account_id, admin: w.outsider.clone(), ..w.clone() };
    let (_, their_inbox) = api_inbox(&app, &other, "Theirs").await;
    let c = new_contact(&app, &their_inbox, json!({ "name": "Zoe" })).await["source_id"].as_str().unwrap().to_string();
    assert_eq!(open(&app, &their_inbox, &c).await, conversation, "display ids are per account");
    // A WhatsApp or other non-API inbox is not served.
    let whatsapp = app.create_inbox(w.account_id, "Not API").await;
    let mut conn = app.db.get().await.unwrap();
    let not_api: String = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use switchboard_store::schema::inboxes;
        diesel::update(inboxes::table.find(whatsapp)).set(inboxes::channel_type.eq("whatsapp")).execute(&mut conn).await.unwrap();
        inboxes::table.find(whatsapp).select(inboxes::inbox_identifier).first(&mut conn).await.unwrap()
    };
    assert_eq!(app.get(&base(&not_api)).send().await.status, 404);
    assert_eq!(app.get(&base("no-such-inbox")).send().await.status, 404);

    // Every operation on A's conversation, as B, as A through another inbox, and as another
    // account's contact through its own inbox: 404, never data.
    let ops = |inbox: &str, who: &str| {
        let contact = format!("{}/contacts/{who}", base(inbox));
        let conv = format!("{contact}/conversations/{conversation}");
        vec![
            (Method::GET, conv.clone(), None),
            (Method::POST, format!("{conv}/toggle_status"), None),
            (Method::POST, format!("{conv}/toggle_typing"), Some(json!({ "typing_status": "on" }))),
            (Method::POST, format!("{conv}/update_last_seen"), None),
            (Method::POST, format!("{conv}/messages"), Some(json!({ "content": "hi" }))),
            (Method::GET, format!("{conv}/messages"), None),
            (Method::PATCH, format!("{conv}/messages/{message}"), Some(json!({ "submitted_values": { "value": "x" } }))),
        ]
    };
    for (inbox, who) in [(inbox.as_str(), b.as_str()), (second_inbox.as_str(), a.as_str()), (their_inbox.as_str(), a.as_str())] {
        for (method, path, body) in ops(inbox, who) {
            let mut call = app.call(method.clone(), &path);
            if let Some(body) = body {
                call = call.json(&body);
            }
            let r = call.send().await;
            assert_eq!(r.status, 404, "{method} {path}: {:?}", r.body);
        }
    }
    // A contact's own endpoints, through another inbox: 404.
    assert_eq!(app.get(&format!("{}/contacts/{a}", base(&second_inbox))).send().await.status, 404);
    assert_eq!(app.patch(&format!("{}/contacts/{a}", base(&their_inbox))).json(&json!({ "name": "x" })).send().await.status, 404);
    assert_eq!(app.post(&format!("{}/contacts/{a}/conversations", base(&second_inbox))).json(&json!({})).send().await.status, 404);
    // B's list holds none of A's; their account's contact sees only its own.
    assert_eq!(app.get(&format!("{}/contacts/{b}/conversations", base(&inbox))).send().await.body, json!([]));
    let theirs = app.get(&format!("{}/contacts/{c}/conversations", base(&their_inbox))).send().await;
    assert_eq!((theirs.body.as_array().map(Vec::len), theirs.body[0]["messages"].clone()), (Some(1), json!([])));

    // On the socket: B hears nothing of A's conversation.
    let mut ws = connect(&app).await;
    subscribe(&mut ws, &json!({ "channel": "RoomChannel", "pubsub_token": b_pubsub }).to_string()).await;
    app.post(&w.path(&format!("/conversations/{conversation}/messages")))
        .token(&w.admin.access_token)
        .json(&json!({ "content": "for Ana" }))
        .send()
        .await;
    app.post(&format!("{}/contacts/{a}/conversations/{conversation}/messages", base(&inbox)))
        .json(&json!({ "content": "again" }))
        .send()
        .await;
    assert_eq!(drain(&mut ws, Duration::from_millis(600)).await, vec![], "another contact's events never reach it");
}

#[tokio::test]
async fn identifiers_are_proven_with_the_inboxes_hmac() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox_id, inbox) = api_inbox(&app, &w, "Website").await;
    let admin = &w.admin.access_token;
    let r = app
        .patch(&w.path(&format!("/inboxes/{inbox_id}")))
        .token(admin)
        .json(&json!({ "channel": { "hmac_mandatory": true } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.body["hmac_token"].as_str().unwrap().to_string();
    assert_eq!(app.get(&base(&inbox)).send().await.body["identity_validation_enabled"], true);
    let contacts = format!("{}/contacts", base(&inbox));

    // No hash where one is required, or a wrong one: 401.
    let r = app.post(&contacts).json(&json!({ "identifier": "user-42", "name": "Ana" })).send().await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    let r = app.post(&contacts).json(&json!({ "identifier": "user-42", "identifier_hash": sign("wrong", "user-42") })).send().await;
    assert_eq!((r.status, r.body["error"].as_str()), (401, Some("HMAC failed: Invalid Identifier Hash Provided")), "{:?}", r.body);
    // The right hash: verified.
    let hash = sign(&token, "user-42");
    let first = new_contact(&app, &inbox, json!({ "identifier": "user-42", "identifier_hash": hash, "name": "Ana" })).await;
    assert_eq!((first["hmac_verified"].as_bool(), first["identifier"].as_str()), (Some(true), Some("user-42")));
    // The same verified identifier from a second device: the same contact, another identity.
    let second = new_contact(&app, &inbox, json!({ "identifier": "user-42", "identifier_hash": hash })).await;
    assert_eq!(second["id"], first["id"], "one customer on two devices is one contact");
    assert_ne!(second["source_id"], first["source_id"]);
    // A visitor without an identifier needs no hash.
    new_contact(&app, &inbox, json!({ "name": "Anonymous" })).await;
    // Updating with an identifier needs the hash too.
    let path = format!("{contacts}/{}", second["source_id"].as_str().unwrap());
    assert_eq!(app.patch(&path).json(&json!({ "identifier": "user-43" })).send().await.status, 401);

    // Where the hash is not required, an unproven identifier never reaches a known contact.
    let (_, open_inbox) = api_inbox(&app, &w, "Open").await;
    let r = app.post(&format!("{}/contacts", base(&open_inbox))).json(&json!({ "identifier": "user-42" })).send().await;
    assert_invalid(&r, "identifier");
    let fresh = new_contact(&app, &open_inbox, json!({ "identifier": "user-77" })).await;
    assert_eq!((fresh["hmac_verified"].as_bool(), fresh["identifier"].as_str()), (Some(false), Some("user-77")));
}

#[tokio::test]
async fn rate_limits_hold_across_processes_sharing_redis() {
    let redis = TestRedis::start().await.unwrap();
    let limits = |s: &mut switchboard_api::Settings| {
        s.redis_url = Some(redis.url());
        s.public_limits.per_ip = 5;
    };
    let first = TestApp::spawn_with(limits).await;
    let second = TestApp::spawn_on(first.database_url.clone(), limits).await.unwrap();
    let w = first.seed().await;
    let (_, inbox) = api_inbox(&first, &w, "Website").await;
    for app in [&first, &second, &first, &second, &first] {
        assert_eq!(app.get(&base(&inbox)).send().await.status, 200);
    }
    let r = second.get(&base(&inbox)).send().await;
    assert_eq!(r.status, 429, "the sixth request, on either process: {:?}", r.body);
    assert!(r.headers.get("retry-after").is_some());
    // The inbox's own allowance holds from every address together.
    let redis2 = TestRedis::start().await.unwrap();
    let app = TestApp::spawn_with(|s| {
        s.redis_url = Some(redis2.url());
        s.public_limits.per_inbox = 3;
    })
    .await;
    let w = app.seed().await;
    let (_, inbox) = api_inbox(&app, &w, "Website").await;
    for _ in 0..3 {
        assert_eq!(app.get(&base(&inbox)).send().await.status, 200);
    }
    assert_eq!(app.get(&base(&inbox)).send().await.status, 429);
    let (_, other) = api_inbox(&app, &w, "Other").await;
    assert_eq!(app.get(&base(&other)).send().await.status, 200, "another inbox has its own allowance");
}
