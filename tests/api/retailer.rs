//! The retailer API (`retailer-api.apib.md`), called as a client written against that document
//! calls it: its headers (`Slug`, `Api-Key`, its `Accept`), its bodies, and its answers. Each test
//! names the examples it checks.

use serde_json::{json, Value};
use switchboard_testkit::{Reply, TestApp, World};

use crate::conversations::setup;

/// The Accept header the document's GET examples send.
const ACCEPT: &str = "text/xml,application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5";

struct Retailer {
    app: TestApp,
    w: World,
    key: String,
}

impl Retailer {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let w = app.seed().await;
        let r = app.patch(&w.path("")).token(&w.admin.access_token).json(&json!({ "slug": "test-connection" })).send().await;
        assert_eq!(r.status, 200, "{}", r.body);
        let key = app.post(&w.path("/api_keys")).token(&w.admin.access_token).json(&json!({ "name": "retailer" })).send().await;
        let key = key.body["key"].as_str().unwrap().to_string();
        Self { app, w, key }
    }

    async fn get(&self, path: &str) -> Reply {
        self.app.get(path).header("Slug", "test-connection").header("Api-Key", &self.key).header("Accept", ACCEPT).send().await
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Reply {
        self.app
            .call(method, path)
            .header("Slug", "test-connection")
            .header("Api-Key", &self.key)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
    }
}

/// The document's "creates a customer" body.
fn juan(tags: Value) -> Value {
    json!({ "customer": { "first_name": "Juan", "last_name": "Campos", "email": "juan@email.com", "phone": "+12036534789",
                          "notes": "New notes", "address": "Calle 5", "city": "Fort Worth", "state": "TX", "zip_code": "76106", "tags": tags } })
}

#[tokio::test]
async fn agents_and_customers_answer_as_the_document_shows() {
    let r = Retailer::new().await;
    // "returns a list of agents"
    let agents = r.get("/retailers/api/v1/agents").await;
    assert_eq!(agents.status, 200, "{}", agents.body);
    let list = agents.body["agents"].as_array().unwrap();
    let admin = list.iter().find(|a| a["email"] == r.w.admin.email).unwrap();
    assert_eq!(admin["admin"], true);
    assert!(admin["first_name"].is_string() && admin["last_name"].is_string() && admin["id"].is_i64());
    assert_eq!(list.iter().find(|a| a["email"] == r.w.agent.email).unwrap()["admin"], false);

    // "creates a customer": 200, the message, the customer with its web id and tag.
    let created = r.send(reqwest::Method::POST, "/retailers/api/v1/customers", juan(json!([{ "name": "Test tag", "value": true }]))).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["message"], "Customer created successfully");
    let customer = created.body["customer"].clone();
    let id = customer["id"].as_str().unwrap().to_string();
    assert!(id.len() > 9 && id[..4].chars().all(|c| c.is_ascii_digit()), "a web id: {id}");
    for (key, value) in [
        ("first_name", "Juan"),
        ("last_name", "Campos"),
        ("email", "juan@email.com"),
        ("phone", "+12036534789"),
        ("address", "Calle 5"),
        ("city", "Fort Worth"),
        ("state", "TX"),
        ("zip_code", "76106"),
        ("notes", "New notes"),
    ] {
        assert_eq!(customer[key], value, "{key}");
    }
    for key in ["meli_customer_id", "meli_nickname", "id_type", "id_number", "country_id", "whatsapp_name"] {
        assert!(customer[key].is_null(), "{key}");
    }
    assert_eq!(customer["whatsapp_opt_in"], false);
    assert_eq!(customer["tags"][0]["tag"], "Test tag");
    assert!(customer["tags"][0]["web_id"].as_str().is_some_and(|w| !w.is_empty()));
    assert_eq!(customer["custom_fields"], json!([]));

    // "returns a customer" and "returns all customers".
    let shown = r.get(&format!("/retailers/api/v1/customers/{id}")).await;
    assert_eq!((shown.status, shown.body["message"].as_str()), (200, Some("Customer found successfully")));
    assert_eq!(shown.body["customer"], customer);
    let all = r.get("/retailers/api/v1/customers?page=1").await;
    assert_eq!((all.body["results"].as_i64(), all.body["total_pages"].as_i64()), (Some(1), Some(1)));
    assert_eq!(all.body["customers"][0]["id"], id.as_str());

    // "updates a customer", "assigns the customer to an agent", "assigns the customer a tag",
    // "remove tag from customer": each answers the document's message.
    let path = format!("/retailers/api/v1/customers/{id}");
    let mut body = juan(json!([]));
    body["customer"]["first_name"] = json!("Juan Pablo");
    let updated = r.send(reqwest::Method::PUT, &path, body.clone()).await;
    assert_eq!((updated.status, updated.body.clone()), (200, json!({ "message": "Customer updated successfully" })));
    let (inbox, _) = setup(&r.app, &r.w).await;
    let contact_id = r.app.get(&r.w.path("/contacts/search?q=juan@email.com")).token(&r.w.admin.access_token).send().await.body["payload"]
        [0]["id"]
        .clone();
    let conv = r
        .app
        .post(&r.w.path("/conversations"))
        .token(&r.w.admin.access_token)
        .json(&json!({ "inbox_id": inbox, "contact_id": contact_id }))
        .send()
        .await;
    let display_id = conv.body["id"].as_i64().unwrap();
    body["customer"]["agent_id"] = json!(r.w.agent.id);
    body["customer"]["tags"] = json!([{ "name": "Test Tag 2", "value": true }]);
    assert_eq!(r.send(reqwest::Method::PUT, &path, body.clone()).await.status, 200);
    let c = r.app.get(&r.w.path(&format!("/conversations/{display_id}"))).token(&r.w.admin.access_token).send().await;
    assert_eq!(c.body["meta"]["assignee"]["id"], r.w.agent.id, "the customer's conversations go to the agent");
    let shown = r.get(&path).await;
    assert_eq!(shown.body["customer"]["first_name"], "Juan");
    assert_eq!(shown.body["customer"]["last_name"], "Pablo Campos", "a name is split at its first space");
    let tags: Vec<&str> = shown.body["customer"]["tags"].as_array().unwrap().iter().map(|t| t["tag"].as_str().unwrap()).collect();
    assert_eq!(tags, ["Test tag", "Test Tag 2"]);
    body["customer"]["tags"] = json!([{ "name": "Test Tag 2", "value": false }]);
    assert_eq!(r.send(reqwest::Method::PUT, &path, body.clone()).await.status, 200);
    let tags = r.get(&path).await.body["customer"]["tags"].clone();
    assert_eq!(tags.as_array().unwrap().len(), 1, "{tags}");
    // Custom fields are custom attributes, shown with the document's `field_content:` key.
    body["customer"]["custom_fields"] = json!([{ "field_name": "voluptas", "field_content": "Test Field" }]);
    assert_eq!(r.send(reqwest::Method::PUT, &path, body.clone()).await.status, 200);
    assert_eq!(r.get(&path).await.body["customer"]["custom_fields"], json!([{ "field_name": "voluptas", "field_content:": "Test Field" }]));

    // Bodies are strict and name the field; an unknown agent is refused; unknown ids are "Not found".
    let mut bad = juan(json!([]));
    bad["customer"]["email"] = json!("not an email");
    let r2 = r.send(reqwest::Method::POST, "/retailers/api/v1/customers", bad).await;
    assert_eq!((r2.status, r2.body["errors"][0]["field"].as_str()), (422, Some("customer.email")), "{}", r2.body);
    body["customer"]["agent_id"] = json!(999_999);
    let r2 = r.send(reqwest::Method::PUT, &path, body).await;
    assert_eq!((r2.status, r2.body["errors"][0]["field"].as_str()), (422, Some("customer.agent_id")));
    for missing in ["/retailers/api/v1/customers/not_found", "/retailers/api/v1/customers/0001abcde1"] {
        let r2 = r.get(missing).await;
        assert_eq!((r2.status, r2.body.clone()), (404, json!({ "message": "Not found" })), "{missing}");
    }
}

#[tokio::test]
async fn messenger_conversations_are_empty_and_keys_stay_in_their_account() {
    let r = Retailer::new().await;
    let created = r.send(reqwest::Method::POST, "/retailers/api/v1/customers", juan(json!([]))).await;
    let id = created.body["customer"]["id"].as_str().unwrap().to_string();
    // "returns all messenger conversations", "returns all unassigned …", "returns customer …", "returns 404".
    for path in [
        "/retailers/api/v1/messenger_conversations?page=1&results_per_page=100",
        "/retailers/api/v1/messenger_conversations?page=1&results_per_page=100&unassigned=true",
    ] {
        let got = r.get(path).await;
        assert_eq!(
            (got.status, got.body.clone()),
            (200, json!({ "results": 0, "total_pages": 0, "messenger_conversations": [] })),
            "{path}"
        );
    }
    let mine = r.get(&format!("/retailers/api/v1/customers/{id}/messenger_conversations?page=1")).await;
    assert_eq!((mine.status, mine.body["messenger_conversations"].clone()), (200, json!([])));
    let missing = r.get("/retailers/api/v1/customers/not_found/messenger_conversations?page=1").await;
    assert_eq!((missing.status, missing.body), (404, json!({ "message": "Not found" })));

    // The auth matrix: no key, a wrong key, a wrong slug, another account's key, a revoked key.
    let call = |slug: Option<&str>, key: Option<&str>| {
        let mut c = r.app.get(&format!("/retailers/api/v1/customers/{id}"));
        if let Some(s) = slug {
            c = c.header("Slug", s);
        }
        if let Some(k) = key {
            c = c.header("Api-Key", k);
        }
        c.send()
    };
    assert_eq!(call(None, None).await.status, 401);
    assert_eq!(call(Some("test-connection"), Some("sbk_nope")).await.status, 401);
    assert_eq!(call(Some("nope"), Some(&r.key)).await.status, 401);
    r.app
        .patch(&format!("/api/v1/accounts/{}", r.w.other_account_id))
        .token(&r.w.outsider.access_token)
        .json(&json!({ "slug": "elsewhere" }))
        .send()
        .await;
    let theirs = r
        .app
        .post(&format!("/api/v1/accounts/{}/api_keys", r.w.other_account_id))
        .token(&r.w.outsider.access_token)
        .json(&json!({ "name": "x" }))
        .send()
        .await;
    let theirs = theirs.body["key"].as_str().unwrap().to_string();
    assert_eq!(call(Some("test-connection"), Some(&theirs)).await.status, 401);
    let cross = call(Some("elsewhere"), Some(&theirs)).await;
    assert_eq!((cross.status, cross.body.clone()), (404, json!({ "message": "Not found" })), "our customer's id names nothing there");
    let keys = r.app.get(&r.w.path("/api_keys")).token(&r.w.admin.access_token).send().await;
    let key_id = keys.body["payload"][0]["id"].as_i64().unwrap();
    r.app.delete(&r.w.path(&format!("/api_keys/{key_id}"))).token(&r.w.admin.access_token).send().await;
    assert_eq!(call(Some("test-connection"), Some(&r.key)).await.status, 403);
}

mod notifications {
    use serde_json::{json, Value};
    use switchboard_testkit::bsp::template;
    use switchboard_testkit::Reply;

    use crate::whatsapp::Wa;

    const OTP: &str = "Your OTP for {{1}} is {{2}}. This is valid for {{3}}.";

    /// A BSP inbox whose templates include the document's OTP template; the key and its internal_id.
    async fn wa_with_otp() -> (Wa, String, String) {
        let wa = Wa::new().await;
        let admin = &wa.w.admin.access_token;
        wa.bsp.set_templates(vec![
            template("otp_code", "en", "APPROVED", json!([{ "type": "BODY", "text": OTP }])),
            template("hello", "en_US", "APPROVED", json!([{ "type": "BODY", "text": "Hello!" }])),
        ]);
        let synced = wa.app.post(&wa.w.path(&format!("/inboxes/{}/sync_templates", wa.inbox_id))).token(admin).send().await;
        assert_eq!(synced.status, 200, "{}", synced.body);
        wa.app.patch(&wa.w.path("")).token(admin).json(&json!({ "slug": "test-connection" })).send().await;
        let key = wa.app.post(&wa.w.path("/api_keys")).token(admin).json(&json!({ "name": "retailer" })).send().await.body["key"]
            .as_str()
            .unwrap()
            .to_string();
        let listed =
            wa.app.get("/retailers/api/v1/whatsapp_templates").header("Slug", "test-connection").header("Api-Key", &key).send().await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        // "returns a list of whatsapp templates": placeholders as `*`.
        let otp =
            listed.body["templates"].as_array().unwrap().iter().find(|t| t["text"] == "Your OTP for * is *. This is valid for *.").cloned();
        let otp = otp.unwrap_or_else(|| panic!("{}", listed.body));
        assert_eq!((otp["status"].as_str(), otp["template_type"].as_str()), (Some("active"), Some("text")));
        let id = otp["internal_id"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 36, "shaped as a UUID: {id}");
        (wa, key, id)
    }

    async fn notify(wa: &Wa, key: &str, body: Value, idempotency: Option<&str>) -> Reply {
        let mut call = wa
            .app
            .post("/retailers/api/v1/whatsapp/send_notification_by_id")
            .header("Slug", "test-connection")
            .header("Api-Key", key)
            .json(&body);
        if let Some(k) = idempotency {
            call = call.header("Idempotency-Key", k);
        }
        call.send().await
    }

    #[tokio::test]
    async fn refusals_are_the_documents_words() {
        let (wa, key, id) = wa_with_otp().await;
        let cases = [
            (json!({ "internal_id": id }), 400, "Error: Missing phone number"),
            (json!({ "phone_number": "+593999999999" }), 400, "Error: Missing phone number and/or internal_id"),
            (
                json!({ "phone_number": "+593999999999", "internal_id": "xxxxxxxxxxxxxxx" }),
                404,
                "Error: Template not found. Please check the ID sent.",
            ),
            (
                json!({ "phone_number": "+593999999999", "internal_id": id, "template_params": ["test 1", "test 2"] }),
                400,
                "Error: Parameters mismatch. Required 3, but 2 sent.",
            ),
        ];
        for (body, status, message) in cases {
            let r = notify(&wa, &key, body, None).await;
            assert_eq!((r.status, r.body.clone()), (status, json!({ "message": message, "info": { "data": {} } })));
        }
        assert!(wa.bsp.requests().iter().all(|r| r.service() != Some("template")), "nothing was sent");
    }

    #[tokio::test]
    async fn one_call_sends_the_template_to_a_new_number_once() {
        let (wa, key, id) = wa_with_otp().await;
        let params = json!(["test 1", "test 2", "test 3"]);
        // "sends the notification"
        let r =
            notify(&wa, &key, json!({ "phone_number": "+593999999999", "internal_id": id, "template_params": params }), Some("order-17"))
                .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["message"], "Ok");
        let info = &r.body["info"];
        assert_eq!(info["content"]["text"], "Your OTP for test 1 is test 2. This is valid for test 3.");
        assert_eq!(
            (info["channel"].as_str(), info["direction"].as_str(), info["status"].as_str()),
            (Some("whatsapp"), Some("outbound"), Some("submitted"))
        );
        assert_eq!((info["destination"].as_str(), info["country"].as_str()), (Some("+593999999999"), Some("EC")));
        assert!(chrono::DateTime::parse_from_rfc3339(info["created_time"].as_str().unwrap()).is_ok());
        assert!(info["error"].is_null());
        let sent = {
            let mut found = None;
            for _ in 0..300 {
                found = wa.bsp.requests().into_iter().find(|r| r.service() == Some("template"));
                if found.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            found.expect("the BSP got the template")
        };
        assert_eq!(sent.body["to"], "593999999999");
        assert_eq!(sent.body["template"]["name"], "otp_code");
        // The same key again: the same answer, nothing sent twice.
        let again =
            notify(&wa, &key, json!({ "phone_number": "+593999999999", "internal_id": id, "template_params": params }), Some("order-17"))
                .await;
        assert_eq!((again.status, again.body.clone()), (200, r.body.clone()));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(wa.bsp.requests().iter().filter(|r| r.service() == Some("template")).count(), 1);

        // "…assigning the customer to the agent", "…and include tags", "…updating the customer info".
        let body = json!({ "phone_number": "+593999999999", "internal_id": id, "template_params": params, "agent_id": wa.w.agent.id,
                           "tags": [{ "name": "pariatur", "value": true }], "first_name": "First Name", "last_name": "Last Name",
                           "email": "email@email.com", "address": "Customer address", "city": "Customer city", "state": "Customer state",
                           "zip_code": "12345", "notes": "Notes related to the customer" });
        let r = notify(&wa, &key, body, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let admin = &wa.w.admin.access_token;
        let contacts = wa.app.get(&wa.w.path("/contacts/search?q=593999999999")).token(admin).send().await;
        let list = contacts.body["payload"].as_array().unwrap();
        assert_eq!(list.len(), 1, "one customer per number: {list:?}");
        let customer = &list[0];
        assert_eq!((customer["name"].as_str(), customer["email"].as_str()), (Some("First Name Last Name"), Some("email@email.com")));
        assert_eq!(customer["additional_attributes"]["city"], "Customer city");
        let conversations = wa.app.get(&wa.w.path(&format!("/contacts/{}/conversations", customer["id"]))).token(admin).send().await;
        let convs = conversations.body["payload"].as_array().unwrap();
        assert_eq!(convs.len(), 1, "the conversation going on is reused");
        assert_eq!(convs[0]["meta"]["assignee"]["id"], wa.w.agent.id);
        let labels = wa.app.get(&wa.w.path(&format!("/contacts/{}/labels", customer["id"]))).token(admin).send().await;
        assert_eq!(labels.body["payload"], json!(["pariatur"]));
    }

    #[tokio::test]
    async fn whatsapp_conversations_list_customers_and_their_messages() {
        let (wa, key, _) = wa_with_otp().await;
        let display_id = wa.contact_writes("wamid.r1", "Hola TEST").await;
        let get = |path: String| {
            let (app, key) = (&wa.app, key.clone());
            async move { app.get(&path).header("Slug", "test-connection").header("Api-Key", &key).send().await }
        };
        // "returns all whatsapp conversations from retailer", and "… unassigned …".
        let all = get("/retailers/api/v1/whatsapp_conversations?page=1&results_per_page=100".into()).await;
        assert_eq!(all.status, 200, "{}", all.body);
        assert_eq!((all.body["results"].as_i64(), all.body["total_pages"].as_i64()), (Some(1), Some(1)));
        let row = &all.body["whatsapp_conversations"][0];
        assert_eq!((row["message_count"].as_i64(), row["phone"].as_str()), (Some(1), Some("+573130000002")));
        assert!(row["id"].is_null() && row["agent_id"].is_null() && row["last_interaction"].as_str().unwrap().ends_with('Z'));
        let customer_id = row["customer_id"].as_i64().unwrap();
        let unassigned = get("/retailers/api/v1/whatsapp_conversations?page=1&results_per_page=100&unassigned=true".into()).await;
        assert_eq!(unassigned.body["results"], 1);
        let assign = wa
            .app
            .post(&wa.w.path(&format!("/conversations/{display_id}/assignments")))
            .token(&wa.w.admin.access_token)
            .json(&json!({ "assignee_id": wa.w.agent.id }))
            .send()
            .await;
        assert_eq!(assign.status, 200);
        let unassigned = get("/retailers/api/v1/whatsapp_conversations?page=1&results_per_page=100&unassigned=true".into()).await;
        assert_eq!((unassigned.body["results"].as_i64(), unassigned.body["whatsapp_conversations"].clone()), (Some(0), json!([])));
        assert_eq!(
            get("/retailers/api/v1/whatsapp_conversations".into()).await.body["whatsapp_conversations"][0]["agent_id"],
            wa.w.agent.id
        );

        // "returns customer whatsapp conversations", and "returns 404".
        let customers = get("/retailers/api/v1/customers".into()).await;
        let web_id = customers.body["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_str().unwrap().ends_with(&customer_id.to_string()))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let messages = get(format!("/retailers/api/v1/customers/{web_id}/whatsapp_conversations?page=1")).await;
        assert_eq!(messages.status, 200, "{}", messages.body);
        let m = &messages.body["whatsapp_conversations"][0];
        assert_eq!(
            (m["direction"].as_str(), m["content_type"].as_str(), m["content_text"].as_str()),
            (Some("inbound"), Some("text"), Some("Hola TEST"))
        );
        assert_eq!(
            (m["channel"].as_str(), m["message_identifier"].as_str(), m["account_uid"].as_str()),
            (Some("whatsapp"), Some("wamid.r1"), Some("test-connection"))
        );
        assert_eq!(messages.body["total_pages"], 1);
        let missing = get("/retailers/api/v1/customers/not_found/whatsapp_conversations?page=1".into()).await;
        assert_eq!((missing.status, missing.body), (404, json!({ "message": "Not found" })));
    }
}
