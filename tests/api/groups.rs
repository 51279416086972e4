//! WhatsApp groups through a Baileys-style provider, against a fake provider that speaks the
//! contract's HTTP API and posts its webhook envelopes: connection, group messages, syncs,
//! participant and settings events, member lists, sends, and `contact.group_synced`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::provider::{FakeProvider, PROVIDER_KEY};
use switchboard_testkit::{TestApp, World};

use crate::realtime::{connect, identifier, next_within, subscribe, Ws};
use crate::support::{assert_invalid, assert_keys, matrix, Matrix};

pub(crate) const PHONE: &str = "+573000000009";
pub(crate) const GROUP: &str = "120363041234567890@g.us";

pub(crate) struct Groups {
    pub(crate) app: TestApp,
    pub(crate) w: World,
    pub(crate) provider: FakeProvider,
    pub(crate) inbox_id: i64,
}

/// The group as the provider describes it: the inbox's own number (an admin), Ana (the
/// creator), Luis, and whoever else is given.
pub(crate) fn metadata(subject: &str, extra: &[Value]) -> Value {
    let mut participants = vec![
        json!({ "id": "9001@lid", "phoneNumber": "573000000009@s.whatsapp.net", "admin": "admin" }),
        json!({ "id": "2771@lid", "phoneNumber": "573001112222@s.whatsapp.net", "admin": "superadmin" }),
        json!({ "id": "2772@lid", "phoneNumber": "573002223333@s.whatsapp.net", "admin": null }),
    ];
    participants.extend(extra.iter().cloned());
    json!({ "id": GROUP, "subject": subject, "desc": "Pedidos del día", "owner": "2771@lid", "announce": false, "restrict": true,
            "joinApprovalMode": false, "memberAddMode": true, "size": participants.len(), "participants": participants })
}

impl Groups {
    pub(crate) async fn new() -> Self {
        Self::with_groups(true).await
    }

    /// `groups_enabled: false`: groups soft-disabled (`WHATSAPP_GROUPS_ENABLED`, off by default).
    pub(crate) async fn with_groups(groups_enabled: bool) -> Self {
        let provider = FakeProvider::start().await.unwrap();
        let app = TestApp::spawn_with(|s| {
            s.whatsapp.retry_base = Duration::from_millis(50);
            s.whatsapp.bsp_timeout = Duration::from_millis(700);
            s.whatsapp.groups_enabled = groups_enabled;
        })
        .await;
        let w = app.seed().await;
        let body = json!({ "name": "Ventas WhatsApp", "channel": {
            "type": "whatsapp", "phone_number": PHONE, "provider": "baileys", "provider_config": provider.provider_config() } });
        let inbox = app.post(&w.path("/inboxes")).token(&w.admin.access_token).json(&body).send().await;
        assert_eq!(inbox.status, 200, "{}", inbox.body);
        let inbox_id = inbox.body["id"].as_i64().unwrap();
        Self { app, w, provider, inbox_id }
    }

    /// An inbox whose group "Pedidos" has written once (Luis) and been synced, an admin
    /// listening, and the group contact's id.
    pub(crate) async fn with_group() -> (Self, Ws, i64) {
        let g = Self::new().await;
        g.provider.set_group(metadata("Pedidos", &[]));
        let mut ws = g.admin_socket().await;
        assert_eq!(g.group_says("M1", "2772@lid", "573002223333", "Luis", "hola").await, 200);
        next_event(&mut ws, "contact.group_synced").await;
        g.pictures_looked_for(2).await;
        let group_id = g.group_contact().await["id"].as_i64().unwrap();
        (g, ws, group_id)
    }

    /// Waits until `n` pictures (the group's after its sync, each new sender's) were looked for
    /// by their jobs, so a failure a test asks of the provider next is not spent on them.
    pub(crate) async fn pictures_looked_for(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.provider.requests().iter().filter(|r| r.path.ends_with("/profile-picture-url")).count() < n {
            assert!(tokio::time::Instant::now() < deadline, "the pictures were never looked for");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) async fn deliver(&self, event: &str, data: Value) -> u16 {
        self.provider.deliver(PHONE, event, data).await
    }

    /// A text from `participant` (with its phone as the alternate JID) in the group.
    pub(crate) async fn group_says(&self, id: &str, participant: &str, phone: &str, name: &str, text: &str) -> u16 {
        let message = json!({ "key": { "remoteJid": GROUP, "fromMe": false, "id": id, "participant": participant,
                                        "participantAlt": format!("{phone}@s.whatsapp.net") },
                              "pushName": name, "messageTimestamp": chrono::Utc::now().timestamp(), "message": { "conversation": text } });
        self.deliver("messages.upsert", json!({ "type": "notify", "messages": [message] })).await
    }

    pub(crate) async fn group_contact(&self) -> Value {
        let r = self.app.get(&self.w.path("/contacts/search?q=120363041234567890")).token(&self.w.admin.access_token).send().await;
        r.body["payload"].as_array().and_then(|l| l.first()).cloned().unwrap_or(Value::Null)
    }

    pub(crate) async fn members(&self, group_id: i64, query: &str) -> Value {
        let r = self
            .app
            .get(&self.w.path(&format!("/contacts/{group_id}/group_members{query}")))
            .token(&self.w.admin.access_token)
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    pub(crate) async fn conversation_messages(&self, display_id: i64) -> Vec<Value> {
        let r = self.app.get(&self.w.path(&format!("/conversations/{display_id}/messages"))).token(&self.w.admin.access_token).send().await;
        r.body["payload"].as_array().unwrap().clone()
    }

    pub(crate) async fn admin_socket(&self) -> Ws {
        let mut ws = connect(&self.app).await;
        subscribe(&mut ws, &identifier(&self.w.admin.pubsub_token, self.w.account_id, self.w.admin.id, None)).await;
        ws
    }
}

/// The data of the next `event` frame within 10 s.
pub(crate) async fn next_event(ws: &mut Ws, event: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if let Some(frame) = next_within(ws, Duration::from_millis(500)).await {
            if frame["message"]["event"] == event {
                return frame["message"]["data"].clone();
            }
        }
    }
    panic!("no {event} event");
}

/// (name, role) of a member list, in its order.
pub(crate) fn roster(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| (m["contact"]["name"].as_str().unwrap().to_string(), m["role"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn a_baileys_inbox_opens_its_connection_and_keeps_its_secrets() {
    let g = Groups::new().await;
    let opened = g.provider.wait_for(|r| r.method == "POST" && r.path == format!("/connections/{PHONE}")).await.unwrap();
    assert_eq!(opened.api_key.as_deref(), Some(PROVIDER_KEY));
    assert_eq!(opened.body["groupsEnabled"], true);
    assert_eq!(opened.body["clientName"], "Ventas WhatsApp");
    let inbox = g.app.get(&g.w.path(&format!("/inboxes/{}", g.inbox_id))).token(&g.w.admin.access_token).send().await.body;
    assert_eq!(opened.body["webhookUrl"], inbox["webhook_url"]);
    let token = opened.body["webhookVerifyToken"].as_str().unwrap();
    assert!(token.len() >= 24);
    assert_eq!(inbox["provider"], "baileys");
    assert_eq!(inbox["groups_enabled"], true);
    assert_eq!(inbox["provider_config"], json!({ "provider_url": format!("{}/", g.provider.url), "api_key": "********cdef" }));
    assert!(!inbox.to_string().contains(token) && !inbox.to_string().contains(PROVIDER_KEY), "secrets stay hidden");

    // A bad config names its field; a provider that refuses the connection leaves no inbox.
    let bad = json!({ "name": "X", "channel": { "type": "whatsapp", "phone_number": "+573000000010", "provider": "baileys",
                      "provider_config": { "provider_url": "ftp://nope", "api_key": "k" } } });
    let r = g.app.post(&g.w.path("/inboxes")).token(&g.w.admin.access_token).json(&bad).send().await;
    assert_invalid(&r, "channel.provider_config.provider_url");
    g.provider.fail_next([500]);
    let refused = json!({ "name": "Y", "channel": { "type": "whatsapp", "phone_number": "+573000000011", "provider": "baileys",
                          "provider_config": g.provider.provider_config() } });
    let r = g.app.post(&g.w.path("/inboxes")).token(&g.w.admin.access_token).json(&refused).send().await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("provider is unavailable"), "{}", r.body);
    let inboxes = g.app.get(&g.w.path("/inboxes")).token(&g.w.admin.access_token).send().await.body;
    assert_eq!(inboxes["payload"].as_array().unwrap().len(), 1);

    // The key can be rotated; sent back masked it stays; the webhook token never changes.
    let patch = json!({ "channel": { "provider_config": { "api_key": "********cdef", "provider_url": "http://127.0.0.1:9" } } });
    let r = g.app.patch(&g.w.path(&format!("/inboxes/{}", g.inbox_id))).token(&g.w.admin.access_token).json(&patch).send().await;
    assert_eq!(r.body["provider_config"], json!({ "provider_url": "http://127.0.0.1:9/", "api_key": "********cdef" }));
    // Templates belong to the BSP.
    let r = g.app.post(&g.w.path(&format!("/inboxes/{}/sync_templates", g.inbox_id))).token(&g.w.admin.access_token).send().await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn group_messages_land_in_the_group_conversation_from_their_participant() {
    let g = Groups::new().await;
    g.provider.set_group(metadata("Pedidos", &[]));
    let mut ws = g.admin_socket().await;

    assert_eq!(g.group_says("M1", "2771@lid", "573001112222", "Ana", "hola grupo").await, 200);
    // Delivered again: nothing new.
    assert_eq!(g.group_says("M1", "2771@lid", "573001112222", "Ana", "hola grupo").await, 200);
    assert_eq!(g.group_says("M2", "2772@lid", "573002223333", "Luis", "buenas").await, 200);

    // The new group's sync runs beside the messages: take the events in whatever order they came.
    let mut events = Vec::new();
    while let Some(frame) = next_within(&mut ws, Duration::from_secs(2)).await {
        events.push((frame["message"]["event"].as_str().unwrap_or_default().to_string(), frame["message"]["data"].clone()));
    }
    let find = |event: &str| events.iter().find(|(e, _)| e == event).map(|(_, d)| d.clone()).unwrap_or_else(|| panic!("no {event}"));
    let created = find("message.created");
    assert_eq!(created["content"], "hola grupo");
    assert_eq!(created["sender"]["name"], "Ana");
    assert_eq!(created["sender"]["phone_number"], "+573001112222");
    assert_eq!(created["sender"]["identifier"], "2771@lid");

    let group = g.group_contact().await;
    assert_eq!(group["group_type"], "group");
    assert_eq!(group["identifier"], GROUP);
    let group_id = group["id"].as_i64().unwrap();
    let conversations = g.app.get(&g.w.path("/conversations")).token(&g.w.admin.access_token).send().await.body;
    let list = conversations["data"]["payload"].as_array().unwrap();
    assert_eq!(list.len(), 1, "one conversation for the group");
    assert_eq!(list[0]["meta"]["sender"]["id"], group_id);
    let messages = g.conversation_messages(list[0]["id"].as_i64().unwrap()).await;
    let texts: Vec<(&str, &str)> =
        messages.iter().map(|m| (m["content"].as_str().unwrap_or_default(), m["sender"]["name"].as_str().unwrap_or_default())).collect();
    assert_eq!(texts, [("hola grupo", "Ana"), ("buenas", "Luis")]);

    // The new group was synced by itself: its name and every member came from the provider.
    let synced = find("contact.group_synced");
    assert_eq!(synced["id"], group_id);
    assert_eq!(synced["name"], "Pedidos");
    assert_eq!(synced["account_id"], g.w.account_id);
    let names: Vec<&str> = synced["group_members"].as_array().unwrap().iter().map(|m| m["contact"]["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3, "{names:?}");

    // A person writing directly is a conversation of their own; a wrong verify token stores nothing.
    let direct = json!({ "type": "notify", "messages": [{ "key": { "remoteJid": "573004445555@s.whatsapp.net", "id": "D1" },
                         "pushName": "Marta", "message": { "extendedTextMessage": { "text": "¿tienen envíos?" } } }] });
    assert_eq!(g.deliver("messages.upsert", direct).await, 200);
    let hook = g.provider.connection(PHONE).unwrap().0;
    let forged = json!({ "event": "messages.upsert", "webhookVerifyToken": "guess",
                         "data": { "messages": [{ "key": { "remoteJid": "573009999999@s.whatsapp.net", "id": "F1" }, "message": { "conversation": "x" } }] } });
    let r = reqwest::Client::new().post(&hook).json(&forged).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Not an envelope at all, or not JSON: 400, and nothing stored.
    let r = reqwest::Client::new().post(&hook).json(&json!([1, 2])).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = reqwest::Client::new().post(&hook).header("content-type", "application/json").body("{nope").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let conversations = g.app.get(&g.w.path("/conversations")).token(&g.w.admin.access_token).send().await.body;
    let senders: Vec<&str> =
        conversations["data"]["payload"].as_array().unwrap().iter().map(|c| c["meta"]["sender"]["name"].as_str().unwrap()).collect();
    assert_eq!(senders.len(), 2, "{senders:?}");
    assert!(senders.contains(&"Marta"));
}

#[tokio::test]
async fn syncing_a_group_lists_its_members_and_tells_every_user() {
    let (g, mut ws, group_id) = Groups::with_group().await;

    // Ana is now "Ana María" and promoted nobody; Luis left; Pedro joined.
    let mut changed = metadata("Pedidos del mes", &[json!({ "id": "2773@lid", "phoneNumber": "573003334444@s.whatsapp.net" })]);
    changed["participants"].as_array_mut().unwrap().remove(2);
    g.provider.set_group(changed);
    let path = g.w.path(&format!("/contacts/{group_id}/sync_group"));
    let m = matrix(&g.app, &g.w, Method::POST, &path, None).await;
    assert_eq!(m, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 202 });
    g.app.add_inbox_member(g.inbox_id, &g.w.agent).await;
    let r = g.app.post(&path).token(&g.w.agent.access_token).send().await;
    assert_eq!(r.status, 202, "an agent of the inbox may sync it");
    assert_eq!(r.body["payload"]["id"], group_id);
    assert_keys(
        &r.body["payload"],
        &["id", "name", "identifier", "group_type", "additional_attributes", "contact_inboxes", "group_members"],
    );
    assert_keys(&r.body["payload"]["group_members"][0], &["id", "role", "is_active", "group_contact_id", "contact"]);

    let synced = next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(synced["name"], "Pedidos del mes");
    assert_eq!(synced["additional_attributes"]["description"], "Pedidos del día");
    assert_eq!(synced["additional_attributes"]["restrict"], true);
    assert!(synced["additional_attributes"]["group_last_synced_at"].as_i64().is_some());
    let list = g.members(group_id, "").await;
    assert_eq!(list["meta"]["total_count"], 3);
    assert_eq!(list["meta"]["inbox_phone_number"], PHONE);
    assert_eq!(list["meta"]["is_inbox_admin"], true);
    // The inbox's own number first, then admins, then members; Luis is gone.
    assert_eq!(
        roster(&list["payload"]),
        [("+573000000009".into(), "admin".into()), ("+573001112222".into(), "admin".into()), ("+573003334444".into(), "member".into())]
    );
    assert_eq!(list["payload"][0]["group_contact_id"], group_id);
    assert_keys(&list["payload"][0], &["id", "role", "is_active", "group_contact_id", "contact"]);
    assert_keys(&list["payload"][0]["contact"], &["id", "name", "phone_number", "identifier", "thumbnail"]);
    assert_eq!(list["payload"][0]["is_active"], true);
    // Paging is lenient, as every list is.
    let second = g.members(group_id, "?per_page=2&page=2").await;
    assert_eq!(roster(&second["payload"]).len(), 1);
    assert_eq!(second["meta"]["per_page"], 2);
    let clamped = g.members(group_id, "?per_page=5000&page=abc").await;
    assert_eq!((clamped["meta"]["per_page"].as_i64(), clamped["meta"]["page"].as_i64()), (Some(100), Some(1)));

    // Merging a member into another contact keeps the membership with the person.
    let pedro = list["payload"][2]["contact"]["id"].clone();
    let base = g.app.post(&g.w.path("/contacts")).token(&g.w.admin.access_token).json(&json!({ "name": "Pedro Pérez" })).send().await;
    let base_id = base.body["payload"]["contact"]["id"].clone();
    let merged = g
        .app
        .post(&g.w.path("/actions/contact_merge"))
        .token(&g.w.admin.access_token)
        .json(&json!({ "base_contact_id": base_id, "mergee_contact_id": pedro }))
        .send()
        .await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    let after = g.members(group_id, "").await;
    assert_eq!(after["payload"][2]["contact"]["id"], base_id);
    assert_eq!(after["meta"]["total_count"], 3);

    let members_path = g.w.path(&format!("/contacts/{group_id}/group_members"));
    let m = matrix(&g.app, &g.w, Method::GET, &members_path, None).await;
    assert_eq!(m, Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 200, admin: 200 });

    // A contact that is not a group cannot be synced or listed.
    let person = g.app.post(&g.w.path("/contacts")).token(&g.w.admin.access_token).json(&json!({ "name": "Solo" })).send().await;
    let person_id = person.body["payload"]["contact"]["id"].as_i64().unwrap();
    let r = g.app.post(&g.w.path(&format!("/contacts/{person_id}/sync_group"))).token(&g.w.admin.access_token).send().await;
    assert_eq!((r.status, r.body["error"].as_str()), (400, Some("Contact is not a valid group")));
    let r = g.app.get(&g.w.path(&format!("/contacts/{person_id}/group_members"))).token(&g.w.admin.access_token).send().await;
    assert_eq!(r.status, 400);
    let r = g.app.post(&g.w.path("/contacts/999999/sync_group")).token(&g.w.admin.access_token).send().await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn participant_and_settings_events_update_the_group_and_announce_it() {
    let (g, mut ws, group_id) = Groups::with_group().await;
    let display_id = g.app.get(&g.w.path("/conversations")).token(&g.w.admin.access_token).send().await.body["data"]["payload"][0]["id"]
        .as_i64()
        .unwrap();

    // Ana adds Pedro, promotes Luis; Pedro leaves by himself.
    let update = |author: &str, action: &str, who: Value| json!({ "id": GROUP, "author": author, "action": action, "participants": [who] });
    let pedro = json!({ "id": "2773@lid", "phoneNumber": "573003334444@s.whatsapp.net" });
    assert_eq!(g.deliver("group-participants.update", update("2771@lid", "add", pedro.clone())).await, 200);
    let synced = next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(synced["id"], group_id);
    assert_eq!(synced["group_members"].as_array().unwrap().len(), 4);
    // The provider retries a delivery it thinks failed: the repeat changes nothing.
    assert_eq!(g.deliver("group-participants.update", update("2771@lid", "add", pedro.clone())).await, 200);
    next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(g.deliver("group-participants.update", update("2771@lid", "promote", json!({ "id": "2772@lid" }))).await, 200);
    next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(g.deliver("group-participants.update", update("2773@lid", "remove", pedro)).await, 200);
    let synced = next_event(&mut ws, "contact.group_synced").await;
    let roles: Vec<(String, String)> = roster(&synced["group_members"]);
    assert_eq!(roles.len(), 3, "Pedro is no longer a member: {roles:?}");
    assert!(roles.contains(&("Luis".into(), "admin".into())), "{roles:?}");

    // The name, description and a setting change.
    let settings = json!([{ "id": GROUP, "author": "2771@lid", "subject": "Pedidos VIP", "desc": null, "announce": true }]);
    assert_eq!(g.deliver("groups.update", settings.clone()).await, 200);
    next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(g.deliver("groups.update", settings).await, 200);
    let synced = next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(synced["name"], "Pedidos VIP");
    assert_eq!(synced["additional_attributes"]["description"], Value::Null);
    assert_eq!(synced["additional_attributes"]["announce"], true);

    let lines: Vec<String> = g
        .conversation_messages(display_id)
        .await
        .iter()
        .filter(|m| m["message_type"] == 2)
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "+573003334444 was added to the group",
            "Luis is now an admin",
            "+573003334444 left the group",
            "Group name changed to Pedidos VIP",
            "Group description was removed",
            "Only admins can send messages",
        ]
    );
    // Events for another number's groups never reach this account, and unknown events are acknowledged.
    assert_eq!(g.deliver("connection.update", json!({ "connection": "open" })).await, 200);
}

#[tokio::test]
async fn replies_go_to_the_group_or_the_person_through_the_provider() {
    let g = Groups::new().await;
    g.provider.set_group(metadata("Pedidos", &[]));
    assert_eq!(g.group_says("M1", "2772@lid", "573002223333", "Luis", "hola").await, 200);
    let direct = json!({ "messages": [{ "key": { "remoteJid": "573004445555@s.whatsapp.net", "id": "D1" }, "pushName": "Marta",
                         "message": { "conversation": "hola" } }] });
    assert_eq!(g.deliver("messages.upsert", direct).await, 200);
    let list = g.app.get(&g.w.path("/conversations")).token(&g.w.admin.access_token).send().await.body["data"]["payload"].clone();
    let id_of = |name: &str| {
        list.as_array().unwrap().iter().find(|c| c["meta"]["sender"]["name"] == name).map(|c| c["id"].as_i64().unwrap()).unwrap()
    };
    let (group_conv, marta_conv) = (id_of("Pedidos"), id_of("Marta"));
    // The group's sync and the pictures of the group and of Luis run first.
    g.pictures_looked_for(2).await;
    // Lists and filters narrow to groups or to people; an unknown value narrows nothing.
    let ids = |body: &Value, at: &str| -> Vec<i64> {
        body.pointer(at).unwrap().as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    for (query, expected) in [("group", vec![group_conv]), ("individual", vec![marta_conv]), ("both", vec![marta_conv, group_conv])] {
        let r = g.app.get(&g.w.path(&format!("/conversations?group_type={query}"))).token(&g.w.admin.access_token).send().await;
        let mut got = ids(&r.body, "/data/payload");
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected, "group_type={query}");
    }
    let filter = json!({ "payload": [{ "attribute_key": "group_type", "filter_operator": "equal_to", "values": ["group"], "query_operator": null }] });
    let r = g.app.post(&g.w.path("/conversations/filter")).token(&g.w.admin.access_token).json(&filter).send().await;
    assert_eq!(ids(&r.body, "/payload"), vec![group_conv], "{}", r.body);

    let reply = |conv: i64, body: Value| {
        let app = &g.app;
        let path = g.w.path(&format!("/conversations/{conv}/messages"));
        let token = g.w.admin.access_token.clone();
        async move { app.post(&path).token(&token).json(&body).send().await }
    };
    // The provider fails once (retried), then takes it.
    g.provider.fail_next([503]);
    let sent = reply(group_conv, json!({ "content": "Buenos días a todos" })).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.body["status"], "progress");
    let to_group = g.provider.wait_for(|r| r.path.ends_with("/send-message") && r.body["jid"] == GROUP).await.unwrap();
    assert_eq!(to_group.body["messageContent"], json!({ "text": "Buenos días a todos" }));
    assert!(to_group.body["chatwootMessageId"].as_str().unwrap().starts_with(&format!("{}:", sent.body["id"])));
    let reply_to_marta = reply(marta_conv, json!({ "content": "Sí, a todo el país" })).await;
    assert_eq!(reply_to_marta.status, 200);
    let to_marta = g.provider.wait_for(|r| r.body["jid"] == "573004445555@s.whatsapp.net").await.unwrap();
    assert_eq!(to_marta.body["messageContent"]["text"], "Sí, a todo el país");

    // Both end up sent, with the provider's id; the failed attempt was retried, not doubled.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let messages = g.conversation_messages(group_conv).await;
        let mine = messages.iter().find(|m| m["id"] == sent.body["id"]).unwrap();
        if mine["status"] == "sent" {
            assert!(mine["source_id"].as_str().unwrap().starts_with("3EB0FAKE"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never sent: {mine}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let group_sends = g.provider.requests().iter().filter(|r| r.body["jid"] == GROUP).count();
    assert_eq!(group_sends, 2, "one failed attempt and one success");

    // No templates and no empty messages through this provider; private notes are never sent.
    let r = reply(marta_conv, json!({ "content": "x", "template_params": { "name": "hello", "language": "en_US" } })).await;
    assert_invalid(&r, "template_params");
    let r = reply(marta_conv, json!({ "content": "  " })).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let before = g.provider.requests().len();
    let note = reply(group_conv, json!({ "content": "nota interna", "private": true })).await;
    assert_eq!(note.status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(g.provider.requests().len(), before);
}

#[tokio::test]
async fn soft_disabled_groups_show_their_activity_without_messages() {
    let g = Groups::with_groups(false).await;
    let connected = g.provider.requests().into_iter().find(|r| r.method == "POST" && r.path == format!("/connections/{PHONE}")).unwrap();
    assert_eq!(connected.body["groupsEnabled"], false, "the provider is told");
    let inbox = g.app.get(&g.w.path(&format!("/inboxes/{}", g.inbox_id))).token(&g.w.admin.access_token).send().await;
    assert_eq!(inbox.body["groups_enabled"], false);
    g.provider.set_group(metadata("Pedidos", &[]));
    let mut ws = g.admin_socket().await;

    let at = chrono::Utc::now().timestamp() - 60;
    let summary = |unread: i64, at: i64| json!([{ "jid": GROUP, "unreadCount": unread, "lastMessageAt": at }]);
    assert_eq!(g.deliver("groups.activity", summary(3, at)).await, 200);
    let created = next_event(&mut ws, "conversation.created").await;
    assert_eq!((created["unread_count"].as_i64(), created["timestamp"].as_i64()), (Some(3), Some(at)));
    let display_id = created["id"].as_i64().unwrap();
    assert!(g.conversation_messages(display_id).await.is_empty(), "no message is stored");
    let synced = next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(synced["name"], "Pedidos", "the group is synced");

    assert_eq!(g.deliver("groups.activity", summary(5, at + 30)).await, 200);
    loop {
        let updated = next_event(&mut ws, "conversation.updated").await;
        if updated["unread_count"] == 5 {
            assert_eq!(updated["id"].as_i64(), Some(display_id));
            break;
        }
    }
    let list = g.app.get(&g.w.path("/conversations?group_type=group")).token(&g.w.admin.access_token).send().await;
    assert_eq!(list.body["data"]["payload"][0]["unread_count"], 5, "an agent sees there is something unseen");
    // Once an agent has looked, it is seen.
    let seen = g.app.post(&g.w.path(&format!("/conversations/{display_id}/update_last_seen"))).token(&g.w.admin.access_token).send().await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let list = g.app.get(&g.w.path("/conversations?group_type=group")).token(&g.w.admin.access_token).send().await;
    assert_eq!(list.body["data"]["payload"][0]["unread_count"], 0);
}
