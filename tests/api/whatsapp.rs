//! WhatsApp through the BSP, against a fake BSP that speaks the manual's HTTP API.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::bsp::{template, FakeBsp, API_KEY, USER_ID, WABA_ID};
use switchboard_testkit::{Reply, TestApp, World};

use crate::support::{assert_invalid, matrix, ADMIN_WRITE};

pub const PHONE: &str = "+573000000001";
pub const CONTACT_WA: &str = "573130000002";

pub struct Wa {
    pub app: TestApp,
    pub w: World,
    pub bsp: FakeBsp,
    pub inbox_id: i64,
    /// The webhook's path (the URL minus the app's address).
    pub hook: String,
}

impl Wa {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut switchboard_api::Settings)) -> Self {
        let bsp = FakeBsp::start().await.unwrap();
        bsp.set_templates(vec![
            template("order_update", "es", "APPROVED", json!([
                {"type": "HEADER", "format": "IMAGE"},
                {"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}} cuesta {{3}}"},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "OK"}, {"type": "URL", "text": "Ver", "url": "https://shop.example/{{1}}"}]}
            ])),
            template("hello", "en_US", "APPROVED", json!([{"type": "BODY", "text": "Hello!"}])),
            template("draft", "en_US", "PENDING", json!([{"type": "BODY", "text": "Soon"}])),
        ]);
        let app = TestApp::spawn_with(|s| {
            s.whatsapp.retry_base = Duration::from_millis(50);
            s.whatsapp.bsp_timeout = Duration::from_millis(700);
            configure(s);
        })
        .await;
        let w = app.seed().await;
        let inbox = app.create_whatsapp_inbox(&w, &bsp, PHONE).await;
        let inbox_id = inbox["id"].as_i64().unwrap();
        app.add_inbox_member(inbox_id, &w.agent).await;
        let hook = inbox["webhook_url"].as_str().unwrap().strip_prefix(&app.address).unwrap().to_string();
        Self { app, w, bsp, inbox_id, hook }
    }

    pub async fn deliver(&self, body: &Value) -> Reply {
        self.app.post(&self.hook).json(body).send().await
    }

    /// The contact writes `text`; returns the conversation's display id.
    pub async fn contact_writes(&self, id: &str, text: &str) -> i64 {
        let r = self.deliver(&inbound(json!({"id": id, "type": "text", "text": {"body": text}}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body, json!({"status": "ok"}));
        let list = self.app.get(&self.w.path("/conversations")).token(&self.w.admin.access_token).send().await;
        list.body["data"]["payload"][0]["id"].as_i64().unwrap()
    }

    pub async fn messages(&self, conversation: i64) -> Vec<Value> {
        let r =
            self.app.get(&self.w.path(&format!("/conversations/{conversation}/messages"))).token(&self.w.admin.access_token).send().await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["payload"].as_array().unwrap().clone()
    }

    pub async fn reply(&self, conversation: i64, body: &Value) -> Reply {
        self.app
            .post(&self.w.path(&format!("/conversations/{conversation}/messages")))
            .token(&self.w.agent.access_token)
            .json(body)
            .send()
            .await
    }

    /// Polls the message until its status is `status`.
    pub async fn wait_status(&self, conversation: i64, message_id: i64, status: &str) -> Value {
        for _ in 0..300 {
            let found = self.messages(conversation).await.into_iter().find(|m| m["id"] == message_id);
            if let Some(m) = found.filter(|m| m["status"] == status) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        panic!("message {message_id} never became {status}");
    }

    pub async fn count(&self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.app.db.get().await.unwrap();
        diesel::sql_query(sql).get_result::<N>(&mut conn).await.unwrap().n
    }
}

/// A webhook with one contact message from CONTACT_WA; `message` adds to the defaults.
pub fn inbound(message: Value) -> Value {
    let mut m = json!({"context": null, "from": CONTACT_WA, "timestamp": "1700000000", "text": null, "image": null});
    for (k, v) in message.as_object().unwrap() {
        m[k] = v.clone();
    }
    json!({"contacts": [{"profile": {"name": "William G."}, "wa_id": CONTACT_WA}], "messages": [m], "statuses": null, "origin_number": "573000000001"})
}

#[tokio::test]
async fn whatsapp_inboxes_check_their_config_and_hide_the_key() {
    let wa = Wa::new().await;
    let (app, w) = (&wa.app, &wa.w);
    let shown = app.get(&w.path(&format!("/inboxes/{}", wa.inbox_id))).token(&w.admin.access_token).send().await;
    assert_eq!(shown.status, 200);
    let inbox = &shown.body;
    assert_eq!(inbox["channel_type"], "Channel::Whatsapp");
    assert_eq!((inbox["phone_number"].as_str(), inbox["provider"].as_str()), (Some(PHONE), Some("aldeamo")));
    assert!(!inbox.to_string().contains(API_KEY), "the key never comes back: {inbox}");
    assert_eq!(inbox["provider_config"]["api_key"], "********6789");
    assert_eq!(inbox["provider_config"]["waba_id"], WABA_ID);
    let token = inbox["webhook_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    assert!(token.len() >= 24, "unguessable: {token}");
    assert_eq!(inbox["webhook_url"], format!("{}/webhooks/whatsapp/{token}", app.address));
    // Templates were fetched at creation, with the BSP's headers and the WABA id.
    let names: Vec<&str> = inbox["message_templates"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["draft", "hello", "order_update"]);
    let fetch = wa.bsp.requests().into_iter().find(|r| r.path == "/v1/apikey/template/getTemplate").unwrap();
    assert_eq!((fetch.api_key.as_deref(), fetch.user_id.as_deref()), (Some(API_KEY), Some(USER_ID)));
    assert!(fetch.query.contains(&format!("wabaid={WABA_ID}")) && fetch.query.contains("limit="), "{}", fetch.query);
    // Agents don't see the config at all; another account doesn't see the inbox.
    let as_agent = app.get(&w.path(&format!("/inboxes/{}", wa.inbox_id))).token(&w.agent.access_token).send().await;
    assert!(as_agent.body.get("provider_config").is_none());

    let create = |config: Value| {
        let body = json!({"name": "WA", "channel": {"type": "whatsapp", "phone_number": "+573000000009", "provider": "aldeamo", "provider_config": config}});
        async move { app.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&body).send().await }
    };
    let mut missing = wa.bsp.provider_config();
    missing.as_object_mut().unwrap().remove("api_key");
    assert_invalid(&create(missing).await, "channel.provider_config.api_key");
    let mut bad_url = wa.bsp.provider_config();
    bad_url["api_url"] = json!("ftp://bsp.example");
    assert_invalid(&create(bad_url).await, "channel.provider_config.api_url");
    assert_invalid(&create(json!("nope")).await, "channel.provider_config");
    let bad_provider = json!({"name": "WA", "channel": {"type": "whatsapp", "phone_number": "+573000000009", "provider": "twilio", "provider_config": wa.bsp.provider_config()}});
    assert_invalid(&app.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&bad_provider).send().await, "channel.provider");
    let bad_phone =
        json!({"name": "WA", "channel": {"type": "whatsapp", "phone_number": "300", "provider_config": wa.bsp.provider_config()}});
    assert_invalid(&app.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&bad_phone).send().await, "channel.phone_number");
    // Key rotation: a new key is stored and still never shown; an echoed mask keeps the key.
    let inbox_path = w.path(&format!("/inboxes/{}", wa.inbox_id));
    let rotate = |config: Value| {
        let body = json!({"channel": {"provider_config": config}});
        let path = inbox_path.clone();
        async move { app.call(Method::PATCH, &path).token(&w.admin.access_token).json(&body).send().await }
    };
    let rotated = rotate(json!({"api_key": "rotated-key-0000000000-ABCD"})).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);
    assert_eq!(rotated.body["provider_config"]["api_key"], "********ABCD");
    assert_eq!(rotated.body["provider_config"]["user_id"], USER_ID);
    assert_eq!(
        rotate(json!({"api_key": "********ABCD", "waba_id": "other-waba"})).await.body["provider_config"]["api_key"],
        "********ABCD"
    );
    assert_invalid(&rotate(json!({"api_url": "not a url"})).await, "channel.provider_config.api_url");
    let stored = wa.count("SELECT count(*) AS n FROM inboxes WHERE provider_config->>'api_key' = 'rotated-key-0000000000-ABCD' AND provider_config->>'waba_id' = 'other-waba'").await;
    assert_eq!(stored, 1);
    let body = json!({"name": "WA2", "channel": {"type": "whatsapp", "phone_number": "+573000000008", "provider_config": wa.bsp.provider_config()}});
    assert_eq!(matrix(app, w, Method::POST, &w.path("/inboxes"), Some(body)).await, ADMIN_WRITE);
}

#[tokio::test]
async fn unknown_tokens_and_malformed_webhooks_store_nothing() {
    let wa = Wa::new().await;
    let body = inbound(json!({"id": "wamid.A", "type": "text", "text": {"body": "hi"}}));
    let unknown = wa.app.post("/webhooks/whatsapp/not-a-token").json(&body).send().await;
    assert_eq!(unknown.status, 404);
    let malformed = wa.app.post(&wa.hook).header("content-type", "application/json").raw("{\"messages\": [").send().await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.body["error"].as_str().unwrap().contains("malformed JSON"), "{:?}", malformed.body);
    let no_id = wa.deliver(&json!({"messages": [{"from": CONTACT_WA, "type": "text", "text": {"body": "x"}}]})).await;
    assert_eq!(no_id.status, 400);
    assert!(no_id.body["error"].as_str().unwrap().contains("messages[0].id"), "{:?}", no_id.body);
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages").await, 0);
    assert_eq!(wa.count("SELECT count(*) AS n FROM contacts").await, 0);
}

#[tokio::test]
async fn every_inbound_type_is_stored() {
    let wa = Wa::new().await;
    let media = |kind: &str, mime: &str| json!({"file": null, "id": format!("media-{kind}"), "link": format!("https://docs.bsp.example/{kind}"), "sha256": "2dfb45", "caption": format!("a {kind}"), "mime_type": mime});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"type": "text", "text": {"body": "Hi"}}), "text"),
        (json!({"type": "image", "image": media("image", "image/jpeg")}), "image"),
        (json!({"type": "audio", "audio": media("audio", "audio/ogg")}), "audio"),
        (json!({"type": "video", "video": media("video", "video/mp4")}), "video"),
        (json!({"type": "document", "document": media("document", "application/pdf")}), "document"),
        (json!({"type": "voice", "voice": media("voice", "audio/ogg")}), "voice"),
        (json!({"type": "sticker", "sticker": media("sticker", "image/webp")}), "sticker"),
        (
            json!({"type": "location", "location": {"latitude": 4.69212, "longitude": -74.052984, "name": "Oficina", "address": "Calle 1"}}),
            "location",
        ),
        (
            json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Carlos Lopez"}, "phones": [{"phone": "57320", "type": "HOME"}]}]}),
            "contacts",
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row one", "description": "d"}}}),
            "list_reply",
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Yes"}}}),
            "button_reply",
        ),
        (json!({"type": "button", "button": {"payload": "3. Confirmar", "text": "Opción # 3"}}), "button"),
        (
            json!({"type": "text", "text": {"body": "Vi esto en Facebook..."}, "referral": {"headline": "Cafgo", "source_type": "post", "source_id": "1107", "source_url": "https://fb.me/x"}}),
            "referral",
        ),
        (
            json!({"type": "order", "order": {"catalog_id": "cat", "product_items": [{"currency": "USD", "quantity": 2, "item_price": 10, "product_retailer_id": "p1"}]}}),
            "order",
        ),
        (json!({"type": "reaction", "reaction": {"emoji": "👍", "message_id": "wamid.in0"}}), "reaction"),
        (json!({"type": "unknown", "unknown": {"x": 1}}), "unsupported"),
    ];
    for (i, (m, _)) in cases.iter().enumerate() {
        let mut m = m.clone();
        m["id"] = json!(format!("wamid.in{i}"));
        m["timestamp"] = json!((1_700_000_000 + i).to_string());
        let r = wa.deliver(&inbound(m)).await;
        assert_eq!(r.status, 200, "case {i}: {:?}", r.body);
    }
    // One contact (from the profile), one conversation, every message in order.
    let contacts = wa.app.get(&wa.w.path("/contacts")).token(&wa.w.admin.access_token).send().await;
    assert_eq!(contacts.body["meta"]["count"], 1);
    assert_eq!(contacts.body["payload"][0]["name"], "William G.");
    assert_eq!(contacts.body["payload"][0]["phone_number"], format!("+{CONTACT_WA}"));
    let all = wa.messages(1).await;
    assert_eq!(all.len(), cases.len() - 1, "a reaction is no message of its own");
    let by = |i: usize| &all[i];
    assert_eq!(by(0)["content"], "Hi");
    assert_eq!(by(0)["source_id"], "wamid.in0");
    assert_eq!(by(0)["created_at"], 1_700_000_000, "the BSP's timestamp, not ours");
    assert_eq!(by(0)["message_type"], 0);
    for (i, file_type) in [(1, "image"), (2, "audio"), (3, "video"), (4, "file"), (5, "audio"), (6, "sticker")] {
        let a = &by(i)["attachments"][0];
        assert_eq!(a["file_type"], file_type, "case {i}: {}", by(i));
        assert!(a["data_url"].as_str().unwrap().starts_with("https://docs.bsp.example/"), "{a}");
    }
    assert_eq!(by(1)["content"], "a image", "captions become the text");
    assert_eq!(by(7)["content"], "Oficina, Calle 1");
    assert_eq!(by(7)["content_attributes"]["location"]["latitude"], 4.69212);
    assert_eq!(by(8)["content"], "Carlos Lopez");
    assert_eq!(by(9)["content"], "Row one");
    assert_eq!(by(9)["content_attributes"]["interactive"]["list_reply"]["id"], "r1");
    assert_eq!(by(10)["content"], "Yes");
    assert_eq!(by(11)["content"], "Opción # 3");
    assert_eq!(by(11)["content_attributes"]["button"]["payload"], "3. Confirmar");
    assert_eq!(by(12)["content_attributes"]["referral"]["source_url"], "https://fb.me/x");
    assert_eq!(by(13)["content_attributes"]["order"]["product_items"][0]["product_retailer_id"], "p1");
    let reactions = &by(0)["content_attributes"]["reactions"];
    assert_eq!((reactions[0]["emoji"].as_str(), reactions[0]["from"].as_str()), (Some("👍"), Some(CONTACT_WA)), "{}", by(0));
    assert_eq!(by(5)["attachments"][0]["meta"]["is_recorded_audio"], true, "a voice note is marked");
    assert_eq!(by(14)["content_attributes"]["is_unsupported"], true, "kept, not dropped");
    assert_eq!(by(14)["content_attributes"]["raw"]["unknown"]["x"], 1);
}

#[tokio::test]
async fn replies_link_to_the_message_they_answer_and_resolved_conversations_reopen() {
    let wa = Wa::new().await;
    let first = wa.contact_writes("wamid.first", "hola").await;
    let r = wa
        .deliver(&inbound(
            json!({"id": "wamid.second", "type": "text", "text": {"body": "re"}, "context": {"from": "573000000001", "id": "wamid.first"}}),
        ))
        .await;
    assert_eq!(r.status, 200);
    let msgs = wa.messages(first).await;
    assert_eq!(msgs[1]["content_attributes"]["in_reply_to"], msgs[0]["id"]);
    assert_eq!(msgs[1]["content_attributes"]["in_reply_to_external_id"], "wamid.first");
    // Resolved: the next message starts a new conversation (the reference's default).
    let resolve = wa
        .app
        .post(&wa.w.path(&format!("/conversations/{first}/toggle_status")))
        .token(&wa.w.admin.access_token)
        .json(&json!({"status": "resolved"}))
        .send()
        .await;
    assert_eq!(resolve.status, 200);
    wa.deliver(&inbound(json!({"id": "wamid.third", "type": "text", "text": {"body": "again"}}))).await;
    assert_eq!(wa.count("SELECT count(*) AS n FROM conversations").await, 2);
    assert_eq!(wa.count("SELECT count(*) AS n FROM contacts").await, 1);
}

#[tokio::test]
async fn repeated_and_concurrent_deliveries_store_one_message() {
    let wa = Wa::new().await;
    let body = inbound(json!({"id": "wamid.dup", "type": "text", "text": {"body": "once"}}));
    let sends: Vec<_> = (0..20).map(|_| wa.deliver(&body)).collect();
    let replies = futures_util::future::join_all(sends).await;
    assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(wa.deliver(&body).await.status, 200);
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages WHERE source_id = 'wamid.dup'").await, 1);
    assert_eq!(wa.count("SELECT count(*) AS n FROM contacts").await, 1);
    assert_eq!(wa.count("SELECT count(*) AS n FROM contact_inboxes").await, 1);
    assert_eq!(wa.count("SELECT count(*) AS n FROM conversations").await, 1);
    assert_eq!(wa.count("SELECT count(*) AS n FROM realtime_events WHERE event = 'message.created'").await, 1);
    // Twenty different messages at once from one new sender share one conversation.
    let other = "573150000003";
    let wa = &wa;
    let sends: Vec<_> = (0..20)
        .map(|i| {
            let mut b = inbound(json!({"id": format!("wamid.burst{i}"), "type": "text", "text": {"body": "x"}, "from": other}));
            b["contacts"][0]["wa_id"] = json!(other);
            async move { wa.deliver(&b).await }
        })
        .collect();
    let replies = futures_util::future::join_all(sends).await;
    let failed: Vec<_> = replies.iter().filter(|r| r.status != 200).map(|r| (r.status, r.body.clone())).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM contacts WHERE phone_number = '+{other}'")).await, 1);
    assert_eq!(wa.count("SELECT count(*) AS n FROM conversations").await, 2);
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages WHERE source_id LIKE 'wamid.burst%'").await, 20);
}

#[tokio::test]
async fn webhooks_while_the_database_is_down_get_503_and_are_stored_on_redelivery() {
    use diesel_async::RunQueryDsl;
    let wa = Wa::new().await;
    let db_name = wa.app.database_url.rsplit('/').next().unwrap().to_string();
    let admin_url = format!("{}/postgres", wa.app.database_url.rsplit_once('/').unwrap().0);
    let admin = switchboard_store::DbPool::new(&admin_url, 1).unwrap();
    let mut conn = admin.get().await.unwrap();
    diesel::sql_query(format!("ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS false")).execute(&mut conn).await.unwrap();
    diesel::sql_query(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}'"))
        .execute(&mut conn)
        .await
        .unwrap();
    let body = inbound(json!({"id": "wamid.down", "type": "text", "text": {"body": "are you there"}}));
    // The pool may still hold connections that only now learn they were killed.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(wa.deliver(&body).await.status);
    }
    assert!(statuses.iter().all(|s| *s == 503), "never 200 or 500 while the database is down: {statuses:?}");
    diesel::sql_query(format!("ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS true")).execute(&mut conn).await.unwrap();
    let mut status = 0;
    for _ in 0..50 {
        status = wa.deliver(&body).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages WHERE source_id = 'wamid.down'").await, 1);
}

/// A webhook from `wa` with the given (id, unix time) messages.
fn from_sender(wa: &str, messages: &[(String, i64)]) -> Value {
    let list: Vec<Value> = messages
        .iter()
        .map(|(id, at)| json!({"from": wa, "id": id, "timestamp": at.to_string(), "type": "text", "text": {"body": format!("text of {id}")}}))
        .collect();
    json!({"contacts": [{"profile": {"name": format!("Sender {wa}")}, "wa_id": wa}], "messages": list, "statuses": null})
}

#[tokio::test]
async fn deliveries_written_together_keep_every_conversation_and_contact_right() {
    let wa = Wa::new().await;
    // Times ahead of the clock: a new conversation starts with the current time as its
    // activity, and each message must move it.
    let base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 100;
    // Four senders who wrote before (one of them had its conversation resolved), four new ones.
    let senders: Vec<String> = (0..8).map(|i| format!("57316000000{i}")).collect();
    for (i, s) in senders.iter().take(4).enumerate() {
        let r = wa.deliver(&from_sender(s, &[(format!("wamid.before{i}"), base)])).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let resolved = wa.count("SELECT min(id) AS n FROM conversations").await;
    let mut conn = wa.app.db.get().await.unwrap();
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("UPDATE conversations SET status = 'resolved' WHERE id = {resolved}")),
        &mut conn,
    )
    .await
    .unwrap();

    // Each sender: five deliveries at once, times rising; one delivery carries two messages,
    // one of which is also delivered on its own (a repeat inside the burst).
    let wa = &wa;
    let mut sends = Vec::new();
    for (s_i, s) in senders.iter().enumerate() {
        for k in 0..5_i64 {
            let at = base + 10 + k;
            let mut messages = vec![(format!("wamid.s{s_i}.{k}"), at)];
            if k == 4 {
                messages.push((format!("wamid.s{s_i}.extra"), at + 1));
            }
            if k == 3 {
                messages.push((format!("wamid.s{s_i}.0"), base + 10));
            }
            let body = from_sender(s, &messages);
            sends.push(async move { wa.deliver(&body).await });
        }
    }
    let replies = futures_util::future::join_all(sends).await;
    let failed: Vec<_> = replies.iter().filter(|r| r.status != 200).map(|r| (r.status, r.body.clone())).collect();
    assert!(failed.is_empty(), "{failed:?}");

    for (s_i, s) in senders.iter().enumerate() {
        let phone = format!("+{s}");
        let contact = format!("(SELECT id FROM contacts WHERE phone_number = '{phone}')");
        assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM contacts WHERE phone_number = '{phone}'")).await, 1);
        // Six new messages (five plus the extra; the repeat stored once), in one conversation
        // that is not the resolved one.
        let open = format!("SELECT id FROM conversations WHERE contact_id = {contact} AND status = 'open'");
        assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM ({open}) c")).await, 1, "sender {s_i}");
        let counted = wa
            .count(&format!("SELECT count(*) AS n FROM messages WHERE source_id LIKE 'wamid.s{s_i}.%' AND conversation_id = ({open})"))
            .await;
        assert_eq!(counted, 6, "sender {s_i}");
        // Activity is the newest message's time, whatever order the deliveries were written in.
        let newest = base + 15;
        for table in ["contacts", "conversations"] {
            let id = if table == "contacts" { contact.clone() } else { format!("({open})") };
            let at = wa.count(&format!("SELECT extract(epoch FROM last_activity_at)::bigint AS n FROM {table} WHERE id = {id}")).await;
            assert_eq!(at, newest, "{table} of sender {s_i}");
        }
    }
    assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM conversations WHERE id = {resolved} AND status = 'resolved'")).await, 1);
    assert_eq!(wa.count("SELECT count(*) AS n FROM conversations").await, 9);
    // One event per thing that happened: 4 + 48 messages, 9 conversations, 8 contacts.
    let events = |name: &str| format!("SELECT count(*) AS n FROM realtime_events WHERE event = '{name}'");
    assert_eq!(wa.count(&events("message.created")).await, 52);
    assert_eq!(wa.count(&events("conversation.created")).await, 9);
    assert_eq!(wa.count(&events("contact.created")).await, 8);
}

#[tokio::test]
async fn a_delivery_the_database_refuses_does_not_fail_the_others() {
    let wa = Wa::new().await;
    // NUL cannot be stored in PostgreSQL text: the character is dropped, the message kept.
    use futures_util::FutureExt;
    let r = wa.deliver(&inbound(json!({"id": "wamid.nul", "type": "text", "text": {"body": "a\u{0}b"}}))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // In keys too: an unknown type keeps its raw payload.
    let r = wa.deliver(&inbound(json!({"id": "wamid.nul2", "type": "mystery", "mystery": {"k\u{0}": "v\u{0}"}}))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let msgs = wa.messages(wa.count("SELECT max(display_id) AS n FROM conversations").await).await;
    assert_eq!(msgs[msgs.len() - 2]["content"], "ab");
    assert!(msgs[msgs.len() - 1].to_string().contains(r#""k":"v""#), "{}", msgs[msgs.len() - 1]);

    // A second inbox, whose token this app has cached, is deleted: its deliveries are refused
    // (404, as for an unknown token) while the first inbox's, written alongside, all succeed.
    let other = wa.app.create_whatsapp_inbox(&wa.w, &wa.bsp, "+573000000009").await;
    let other_hook = other["webhook_url"].as_str().unwrap().strip_prefix(&wa.app.address).unwrap().to_string();
    let r = wa.app.post(&other_hook).json(&from_sender("573170000001", &[("wamid.o.first".into(), 1_700_000_000)])).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = wa.app.delete(&wa.w.path(&format!("/inboxes/{}", other["id"]))).token(&wa.w.admin.access_token).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    let wa = &wa;
    let other_hook = &other_hook;
    let mut sends = Vec::new();
    for i in 0..12 {
        let good = from_sender(&format!("5731800000{i:02}"), &[(format!("wamid.g{i}"), 1_700_000_000)]);
        let bad = from_sender(&format!("5731900000{i:02}"), &[(format!("wamid.b{i}"), 1_700_000_000)]);
        sends.push(async move { ("good", wa.deliver(&good).await) }.boxed());
        sends.push(async move { ("gone", wa.app.post(other_hook).json(&bad).send().await) }.boxed());
    }
    let replies = futures_util::future::join_all(sends).await;
    for (kind, r) in &replies {
        let expected = if *kind == "good" { 200 } else { 404 };
        assert_eq!(r.status, expected, "{kind}: {:?}", r.body);
    }
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages WHERE source_id LIKE 'wamid.g%'").await, 12);
    assert_eq!(wa.count("SELECT count(*) AS n FROM messages WHERE source_id LIKE 'wamid.b%'").await, 0);
    assert_eq!(wa.count("SELECT count(*) AS n FROM conversations c JOIN inboxes i ON i.id = c.inbox_id").await, 13);
}

#[tokio::test]
async fn two_processes_writing_the_same_senders_at_once_agree() {
    let wa = Wa::new().await;
    let other = TestApp::spawn_on(wa.app.database_url.clone(), |_| {}).await.unwrap();
    let base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Five senders, two of them new to the inbox, each delivering through both processes at once.
    let senders: Vec<String> = (0..5).map(|i| format!("57320000000{i}")).collect();
    for s in senders.iter().take(3) {
        assert_eq!(wa.deliver(&from_sender(s, &[(format!("wamid.first.{s}"), base)])).await.status, 200);
    }
    let (wa, other) = (&wa, &other);
    let mut sends = Vec::new();
    for round in 0..8 {
        for s in &senders {
            let body = from_sender(s, &[(format!("wamid.{s}.{round}"), base + 1 + round)]);
            let app = if round % 2 == 0 { &wa.app } else { other };
            let hook = wa.hook.clone();
            sends.push(async move { app.post(&hook).json(&body).send().await });
        }
    }
    let replies = futures_util::future::join_all(sends).await;
    let failed: Vec<_> = replies.iter().filter(|r| r.status != 200).map(|r| (r.status, r.body.clone())).collect();
    assert!(failed.is_empty(), "{failed:?}");
    for s in &senders {
        let contact = format!("(SELECT id FROM contacts WHERE phone_number = '+{s}')");
        assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM conversations WHERE contact_id = {contact}")).await, 1, "{s}");
        assert_eq!(wa.count(&format!("SELECT count(*) AS n FROM messages WHERE source_id LIKE 'wamid.{s}.%'")).await, 8, "{s}");
    }
    assert_eq!(wa.count("SELECT count(*) AS n FROM contacts").await, 5);
}

#[tokio::test]
async fn the_bsps_expiring_links_are_fetched_into_our_storage() {
    let wa = Wa::new().await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    let link = wa.bsp.host_file("photo-1", jpeg.clone(), "image/jpeg");
    let image =
        json!({"id": "wamid.img1", "type": "image", "image": {"id": "m1", "link": link, "mime_type": "image/jpeg", "caption": "mira"}});
    assert_eq!(wa.deliver(&inbound(image)).await.status, 200);
    // The link has expired by the time this one is fetched.
    let gone = json!({"id": "wamid.img2", "type": "image", "image": {"id": "m2", "link": format!("{}/media/expired", wa.bsp.url), "mime_type": "image/jpeg"}});
    assert_eq!(wa.deliver(&inbound(gone)).await.status, 200);
    for _ in 0..300 {
        let all = wa.messages(1).await;
        let kept =
            all.iter().find(|m| m["source_id"] == "wamid.img1").and_then(|m| m["attachments"][0]["data_url"].as_str().map(str::to_string));
        let lost = all.iter().find(|m| m["source_id"] == "wamid.img2").map(|m| m["attachments"][0]["meta"]["download_error"].clone());
        if let (Some(url), Some(Value::String(why))) = (kept.filter(|u| u.contains("/attachments/")), lost) {
            let got = wa.app.client.get(&url).send().await.unwrap();
            assert_eq!(got.bytes().await.unwrap().to_vec(), jpeg, "our copy of the file");
            assert!(why.contains("404"), "{why}");
            assert_eq!(all.len(), 2, "both messages stay");
            return;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("the files were never fetched: {:?}", wa.messages(1).await);
}

#[tokio::test]
async fn a_person_known_only_by_a_bsuid_is_stored_and_answered() {
    let wa = Wa::new().await;
    let body = json!({"contacts": [{"profile": {"name": "Ana BSUID"}, "user_id": "US.13491208655302741918"}],
                      "messages": [{"from_user_id": "US.13491208655302741918", "id": "wamid.bsuid1", "timestamp": chrono::Utc::now().timestamp().to_string(),
                                    "type": "text", "text": {"body": "hola"}}]});
    let r = wa.deliver(&body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let contacts = wa.app.get(&wa.w.path("/contacts")).token(&wa.w.admin.access_token).send().await;
    let ana = &contacts.body["payload"][0];
    assert_eq!(ana["name"], "Ana BSUID");
    assert!(ana["phone_number"].is_null(), "no number is made up from the id: {ana}");
    assert_eq!(ana["contact_inboxes"][0]["source_id"], "US.13491208655302741918");
    let sent = wa.reply(1, &json!({"content": "¡Hola Ana!"})).await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    wa.wait_status(1, sent.body["id"].as_i64().unwrap(), "sent").await;
    let send = wa.bsp.requests().into_iter().find(|r| r.service() == Some("text")).unwrap();
    assert_eq!(send.body["to"], "US.13491208655302741918");
}
