//! Agent bots: account and platform CRUD with the auth matrix, an inbox's bot, and a fake bot
//! server that answers over real HTTP: it hears signed deliveries, replies with its token (its
//! messages show it as sender), hands over to people (the inbox's agents are notified), and its
//! token reaches nothing but the three operations a bot may call.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_domain::webhooks::Policy;
use switchboard_testkit::bot::FakeBot;
use switchboard_testkit::receiver::Received;
use switchboard_testkit::{TestApp, World};

use crate::support::{assert_invalid, matrix, Matrix, ADMIN_WRITE, READ};

const WAIT: Duration = Duration::from_secs(20);

async fn app() -> (TestApp, World) {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.timeout = Duration::from_secs(3);
        s.webhooks.policy = Policy {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(400),
            retry_for: Duration::from_secs(120),
            disable_after: Duration::from_secs(3600),
        };
    })
    .await;
    let w = app.seed().await;
    (app, w)
}

async fn create_bot(app: &TestApp, w: &World, url: &str) -> Value {
    let body = json!({ "name": "Greeter", "description": "Answers first", "outgoing_url": url, "bot_type": 0 });
    let r = app.post(&w.path("/agent_bots")).token(&w.admin.access_token).json(&body).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

async fn set_bot(app: &TestApp, w: &World, inbox: i64, bot: Value) -> u16 {
    let path = w.path(&format!("/inboxes/{inbox}/set_agent_bot"));
    app.post(&path).token(&w.admin.access_token).json(&json!({ "agent_bot": bot })).send().await.status
}

fn events(got: &[Received]) -> Vec<String> {
    got.iter().map(|r| r.json["event"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn account_agent_bots_are_read_by_members_and_written_by_administrators() {
    let (app, w) = app().await;
    let admin = &w.admin.access_token;
    let url = "http://127.0.0.1:9/bot";
    // Strict bodies, named fields.
    assert_invalid(&app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "outgoing_url": url })).send().await, "name");
    let r = app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "name": "B", "bot_type": 7 })).send().await;
    assert_invalid(&r, "bot_type");
    let r = app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "name": "B", "outgoing_url": "ftp://x.example" })).send().await;
    assert_invalid(&r, "outgoing_url");
    let r = app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "name": "B", "bot_config": [1] })).send().await;
    assert_invalid(&r, "bot_config");
    let r = app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "name": "B", "account_id": w.other_account_id })).send().await;
    assert_invalid(&r, "account_id");
    let r = app.post(&w.path("/agent_bots")).token(admin).json(&json!({ "name": "B", "colour": "red" })).send().await;
    assert_eq!(r.status, 422, "unknown fields are refused: {:?}", r.body);

    let bot = create_bot(&app, &w, url).await;
    assert_eq!((bot["bot_type"].as_str(), bot["system_bot"].as_bool()), (Some("webhook"), Some(false)));
    assert_eq!((bot["account_id"].as_i64(), bot["outgoing_url"].as_str()), (Some(w.account_id), Some(url)));
    assert!(bot["access_token"].as_str().is_some_and(|t| t.len() >= 32), "{bot}");
    assert!(bot["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")), "{bot}");
    let id = bot["id"].as_i64().unwrap();
    let base = w.path(&format!("/agent_bots/{id}"));

    // Rails clients wrap the body.
    let r = app.patch(&base).token(admin).json(&json!({ "agent_bot": { "name": "Concierge", "description": null } })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["name"].as_str(), r.body["description"].is_null()), (Some("Concierge"), true));
    // Agents read bots, without their token or secret.
    let listed = app.get(&w.path("/agent_bots")).token(&w.agent.access_token).send().await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    assert!(listed.body[0].get("access_token").is_none() && listed.body[0].get("secret").is_none(), "{:?}", listed.body);

    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/agent_bots"), None).await, READ);
    assert_eq!(matrix(&app, &w, Method::GET, &base, None).await, READ);
    assert_eq!(matrix(&app, &w, Method::POST, &w.path("/agent_bots"), Some(json!({ "name": "Other" }))).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::PATCH, &base, Some(json!({ "name": "Again" }))).await, ADMIN_WRITE);
    let doomed = create_bot(&app, &w, url).await["id"].as_i64().unwrap();
    assert_eq!(matrix(&app, &w, Method::DELETE, &w.path(&format!("/agent_bots/{doomed}")), None).await, ADMIN_WRITE);
    assert_eq!(app.get(&w.path(&format!("/agent_bots/{doomed}"))).token(admin).send().await.status, 404);

    // Another account's bot is a 404, to read, change, delete or put on an inbox.
    let theirs = app
        .post(&format!("/api/v1/accounts/{}/agent_bots", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "Theirs" }))
        .send()
        .await;
    let theirs = theirs.body["id"].as_i64().unwrap();
    assert_eq!(app.get(&w.path(&format!("/agent_bots/{theirs}"))).token(admin).send().await.status, 404);
    assert_eq!(app.patch(&w.path(&format!("/agent_bots/{theirs}"))).token(admin).json(&json!({ "name": "x" })).send().await.status, 404);
    assert_eq!(app.delete(&w.path(&format!("/agent_bots/{theirs}"))).token(admin).send().await.status, 404);

    // An inbox's bot: members of the inbox read it, administrators set and remove it.
    let (inbox, _) = crate::conversations::setup(&app, &w).await;
    let of_inbox = w.path(&format!("/inboxes/{inbox}/agent_bot"));
    assert_eq!(app.get(&of_inbox).token(admin).send().await.body, json!({ "agent_bot": null }));
    assert_eq!(set_bot(&app, &w, inbox, json!(theirs)).await, 404, "another account's bot");
    assert_eq!(set_bot(&app, &w, inbox, json!(999_999)).await, 404);
    let r = app.post(&w.path(&format!("/inboxes/{inbox}/set_agent_bot"))).token(admin).json(&json!({})).send().await;
    assert_invalid(&r, "agent_bot");
    let set = w.path(&format!("/inboxes/{inbox}/set_agent_bot"));
    let no_content = Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 204 };
    assert_eq!(matrix(&app, &w, Method::POST, &set, Some(json!({ "agent_bot": id }))).await, no_content);
    assert_eq!(matrix(&app, &w, Method::GET, &of_inbox, None).await, READ);
    let shown = app.get(&of_inbox).token(&w.agent.access_token).send().await;
    assert_eq!((shown.body["agent_bot"]["id"].as_i64(), shown.body["agent_bot"].get("access_token")), (Some(id), None));
    // The bot's endpoint for the inbox is not one of the account's webhooks.
    assert_eq!(app.get(&w.path("/webhooks")).token(admin).send().await.body, json!([]));
    assert_eq!(set_bot(&app, &w, inbox, Value::Null).await, 204);
    assert_eq!(app.get(&of_inbox).token(admin).send().await.body, json!({ "agent_bot": null }));
}

#[tokio::test]
async fn platform_apps_manage_the_bots_they_made_and_accounts_may_use_system_bots() {
    let (app, w) = app().await;
    let token = app.create_platform_app("bots inc").await;
    let other_app = app.create_platform_app("someone else").await;
    let url = "http://127.0.0.1:9/bot";

    let r = app.post("/platform/api/v1/agent_bots").token(&token).json(&json!({ "name": "Router", "outgoing_url": url })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["system_bot"].as_bool(), r.body["account_id"].is_null()), (Some(true), true));
    assert!(r.body["access_token"].is_string());
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/platform/api/v1/agent_bots/{id}");

    // A bot for an account the app did not make: 404.
    let r = app.post("/platform/api/v1/agent_bots").token(&token).json(&json!({ "name": "X", "account_id": w.account_id })).send().await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    // Only the app's own bots.
    assert_eq!(app.get("/platform/api/v1/agent_bots").token(&token).send().await.body.as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/platform/api/v1/agent_bots").token(&other_app).send().await.body, json!([]));
    assert_eq!(app.get(&path).token(&other_app).send().await.status, 404);
    assert_eq!(app.patch(&path).token(&other_app).json(&json!({ "name": "Mine" })).send().await.status, 404);
    assert_eq!(app.delete(&path).token(&other_app).send().await.status, 404);
    for (t, status) in [(None, 401), (Some("not-a-token"), 401), (Some(w.admin.access_token.as_str()), 401)] {
        let mut call = app.get(&path);
        if let Some(t) = t {
            call = call.token(t);
        }
        assert_eq!(call.send().await.status, status);
    }
    let r = app.patch(&path).token(&token).json(&json!({ "name": "Router 2", "bot_type": "webhook" })).send().await;
    assert_eq!((r.status, r.body["name"].as_str()), (200, Some("Router 2")));
    assert_eq!(app.get(&path).token(&token).send().await.body["id"].as_i64(), Some(id));

    // An account lists the system bot (without its token), may put it on an inbox, and may not
    // change it.
    let listed = app.get(&w.path("/agent_bots")).token(&w.admin.access_token).send().await;
    assert_eq!(listed.body[0]["system_bot"].as_bool(), Some(true));
    assert!(listed.body[0].get("access_token").is_none(), "{:?}", listed.body);
    assert_eq!(
        app.patch(&w.path(&format!("/agent_bots/{id}"))).token(&w.admin.access_token).json(&json!({ "name": "x" })).send().await.status,
        401
    );
    let (inbox, _) = crate::conversations::setup(&app, &w).await;
    assert_eq!(set_bot(&app, &w, inbox, json!(id)).await, 204);

    assert_eq!(app.delete(&path).token(&token).send().await.status, 200);
    assert_eq!(app.get(&path).token(&token).send().await.status, 404);
    let shown = app.get(&w.path(&format!("/inboxes/{inbox}/agent_bot"))).token(&w.admin.access_token).send().await;
    assert_eq!(shown.body, json!({ "agent_bot": null }), "a deleted bot leaves its inboxes");
}

#[tokio::test]
async fn a_bot_answers_first_hands_over_to_people_and_its_token_reaches_nothing_else() {
    let (app, w) = app().await;
    let admin = &w.admin.access_token;
    let (inbox, contact) = crate::conversations::setup(&app, &w).await;
    let bot = FakeBot::start(&app.address).await.unwrap();
    let created = create_bot(&app, &w, bot.url()).await;
    let (bot_id, token, secret) =
        (created["id"].as_i64().unwrap(), created["access_token"].as_str().unwrap(), created["secret"].as_str().unwrap().to_string());
    bot.set_token(token);
    assert_eq!(set_bot(&app, &w, inbox, json!(bot_id)).await, 204);

    // A new conversation of the bot's inbox starts pending.
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    assert_eq!(c["status"], "pending", "{c}");
    let id = c["id"].as_i64().unwrap();
    let messages = w.path(&format!("/conversations/{id}/messages"));

    // The customer writes; the bot hears it (signed with its secret) and answers as itself.
    let r = app.post(&messages).token(admin).json(&json!({ "content": "Hello", "message_type": "incoming" })).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let replies = bot.wait_replies(1, WAIT).await;
    assert_eq!((replies[0].action, replies[0].status), ("reply", 200), "{replies:?}");
    let reply = &replies[0].body;
    assert_eq!((reply["content"].as_str(), reply["sender_type"].as_str()), (Some("Bot: Hello"), Some("AgentBot")), "{reply}");
    assert_eq!((reply["sender"]["type"].as_str(), reply["sender"]["id"].as_i64()), (Some("agent_bot"), Some(bot_id)));
    let listed = app.get(&messages).token(&w.agent.access_token).send().await;
    let last = listed.body["payload"].as_array().and_then(|p| p.last()).cloned().unwrap_or_default();
    assert_eq!((last["content"].as_str(), last["sender"]["name"].as_str()), (Some("Bot: Hello"), Some("Greeter")), "{last}");

    // Asked for a human, the bot hands over: open, and the inbox's agents are notified.
    let r = app.post(&messages).token(admin).json(&json!({ "content": "A human please", "message_type": "incoming" })).send().await;
    assert_eq!(r.status, 200);
    let replies = bot.wait_replies(2, WAIT).await;
    assert_eq!((replies[1].action, replies[1].status), ("handoff", 200), "{replies:?}");
    assert_eq!(replies[1].body["payload"]["current_status"], "open");
    let notes = app.get(&w.path("/notifications")).token(&w.agent.access_token).send().await;
    let kinds: Vec<&str> =
        notes.body["data"]["payload"].as_array().unwrap().iter().filter_map(|n| n["notification_type"].as_str()).collect();
    assert_eq!(kinds, ["conversation_creation"], "{:?}", notes.body);
    // An agent resolves it; the bot hears that too.
    let r =
        app.post(&w.path(&format!("/conversations/{id}/toggle_status"))).token(admin).json(&json!({ "status": "resolved" })).send().await;
    assert_eq!(r.status, 200);

    // Its deliveries: each message (the customer's, its own reply, the activity lines are not
    // sent), then opened and resolved, in order, all signed with its secret.
    let got = bot.receiver.wait_unique(5, WAIT).await;
    assert!(got.iter().all(|r| r.signed_with(&secret)), "{:?}", events(&got));
    assert_eq!(
        events(&got),
        ["message_created", "message_created", "message_created", "conversation_opened", "conversation_resolved"],
        "the customer's message, the bot's reply, the request for a human, the handoff, the resolution"
    );
    assert_eq!((got[1].json["sender"]["type"].as_str(), got[3].json["status"].as_str()), (Some("agent_bot"), Some("open")));
    assert_eq!(got[0].json["conversation"]["id"].as_i64(), Some(id));

    // The customer comes back to the resolved conversation: the bot has it again, pending.
    let r = app.post(&messages).token(admin).json(&json!({ "content": "Back again", "message_type": "incoming" })).send().await;
    assert_eq!(r.status, 200);
    let shown = app.get(&w.path(&format!("/conversations/{id}"))).token(admin).send().await;
    assert_eq!(shown.body["status"], "pending", "{:?}", shown.body);
    let replies = bot.wait_replies(3, WAIT).await;
    assert_eq!((replies.len(), replies[2].body["content"].as_str()), (3, Some("Bot: Back again")), "{replies:?}");

    // Its token creates conversations (pending) and messages and toggles status, in its inboxes.
    let r = app.post(&w.path("/conversations")).token(token).json(&json!({ "inbox_id": inbox, "contact_id": contact })).send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("pending")), "{:?}", r.body);
    // Nothing else: 401.
    for (method, path) in [
        (Method::GET, w.path("/conversations")),
        (Method::GET, w.path(&format!("/conversations/{id}"))),
        (Method::GET, messages.clone()),
        (Method::GET, w.path("/contacts")),
        (Method::GET, w.path("/agent_bots")),
        (Method::POST, w.path(&format!("/conversations/{id}/assignments"))),
        (Method::GET, "/api/v1/profile".to_string()),
    ] {
        let r = app.call(method.clone(), &path).token(token).json(&json!({ "assignee_id": w.agent.id })).send().await;
        assert_eq!(r.status, 401, "{method} {path}: {:?}", r.body);
    }
    // Another inbox's conversation, or another account: 404.
    let elsewhere = app.create_inbox(w.account_id, "Elsewhere").await;
    let r = app.post(&w.path("/conversations")).token(token).json(&json!({ "inbox_id": elsewhere, "contact_id": contact })).send().await;
    assert_eq!(r.status, 422, "not an inbox it answers: {:?}", r.body);
    let theirs = format!("/api/v1/accounts/{}/conversations/1/messages", w.other_account_id);
    assert_eq!(app.post(&theirs).token(token).json(&json!({ "content": "hi" })).send().await.status, 404);

    // Without the bot, new conversations start open again and it hears nothing more.
    assert_eq!(set_bot(&app, &w, inbox, Value::Null).await, 204);
    let c = crate::conversations::new_conversation(&app, &w, inbox, contact).await;
    assert_eq!(c["status"], "open");
    let r = app.post(&w.path(&format!("/conversations/{id}/toggle_status"))).token(token).json(&json!({ "status": "open" })).send().await;
    assert_eq!(r.status, 404, "a bot sees only the inboxes it answers: {:?}", r.body);
}
