//! The integrator APIs' foundation and the conversations-list API (`conversations-list-api.txt`):
//! an account's slug and API keys (made by administrators, shown once, revocable), their auth
//! matrix, the list's shape, lenient paging, its fixed query cost, and the per-key rate limit.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::{Reply, TestApp, World};

use crate::conversations::setup;
use crate::support::{assert_invalid, matrix, ADMIN_WRITE};

/// An account with the slug `acme` and a key; the key.
async fn integrator(app: &TestApp, w: &World) -> String {
    let r = app.patch(&w.path("")).token(&w.admin.access_token).json(&json!({ "slug": "acme" })).send().await;
    assert_eq!((r.status, r.body["slug"].as_str()), (200, Some("acme")), "{}", r.body);
    let key = app.post(&w.path("/api_keys")).token(&w.admin.access_token).json(&json!({ "name": "CRM" })).send().await;
    assert_eq!(key.status, 200, "{}", key.body);
    key.body["key"].as_str().unwrap().to_string()
}

async fn list(app: &TestApp, slug: Option<&str>, key: Option<&str>, query: &str) -> Reply {
    let mut call = app.get(&format!("/api/conversations{query}"));
    if let Some(s) = slug {
        call = call.header("api-login", s);
    }
    if let Some(k) = key {
        call = call.header("api-key", k);
    }
    call.send().await
}

#[tokio::test]
async fn administrators_make_slugs_and_keys_that_are_shown_once() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    // The slug: header-safe, unique.
    assert_invalid(&app.patch(&w.path("")).token(&w.admin.access_token).json(&json!({ "slug": "Acme Shop" })).send().await, "slug");
    let key = integrator(&app, &w).await;
    assert!(key.starts_with("sbk_") && key.len() > 40, "{key}");
    let other = app
        .patch(&format!("/api/v1/accounts/{}", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "slug": "acme" }))
        .send()
        .await;
    assert_invalid(&other, "slug");
    assert_eq!(other.body["errors"][0]["code"], "taken");

    // Lists show keys masked; only administrators see or make them.
    let path = w.path("/api_keys");
    let listed = app.get(&path).token(&w.admin.access_token).send().await;
    let first = &listed.body["payload"][0];
    assert_eq!(first["name"], "CRM");
    assert!(first["key"].as_str().unwrap().ends_with(&key[key.len() - 4..]));
    assert!(!listed.body.to_string().contains(&key), "the key is shown once");
    assert_eq!(matrix(&app, &w, Method::GET, &path, None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::POST, &path, Some(json!({ "name": "n8n" }))).await, ADMIN_WRITE);
    assert_invalid(&app.post(&path).token(&w.admin.access_token).json(&json!({ "name": " " })).send().await, "name");
    assert_invalid(&app.post(&path).token(&w.admin.access_token).json(&json!({})).send().await, "name");
    let id = first["id"].as_i64().unwrap();
    let revoke = w.path(&format!("/api_keys/{id}"));
    assert_eq!(app.delete(&revoke).token(&w.agent.access_token).send().await.status, 401);
    assert_eq!(app.delete(&revoke).token(&w.admin.access_token).send().await.status, 200);
    assert_eq!(app.delete(&revoke).token(&w.admin.access_token).send().await.status, 404, "revoked already");
    let listed = app.get(&path).token(&w.admin.access_token).send().await;
    assert!(listed.body["payload"].as_array().unwrap().iter().all(|k| k["id"] != id));
}

#[tokio::test]
async fn the_conversations_list_is_the_documents_array_for_the_right_key_only() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let key = integrator(&app, &w).await;
    let (inbox, carla) = setup(&app, &w).await;
    let admin = &w.admin.access_token;
    // Carla writes first (a conversation); we write first to Beto, and assign him (an alert).
    let first = app.post(&w.path("/conversations")).token(admin).json(&json!({ "inbox_id": inbox, "contact_id": carla })).send().await;
    let carla_conv = first.body["id"].as_i64().unwrap();
    for text in ["hola", "¿tienen talla M?"] {
        let r = app
            .post(&w.path(&format!("/conversations/{carla_conv}/messages")))
            .token(admin)
            .json(&json!({ "content": text, "message_type": "incoming" }))
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    app.post(&w.path(&format!("/conversations/{carla_conv}/messages"))).token(admin).json(&json!({ "content": "Sí, hay" })).send().await;
    let beto = app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": "Beto", "phone_number": "+573001234567" })).send().await;
    let beto = beto.body["payload"]["contact"]["id"].as_i64().unwrap();
    let r = app
        .post(&w.path("/conversations"))
        .token(admin)
        .json(&json!({ "inbox_id": inbox, "contact_id": beto, "assignee_id": w.agent.id, "status": "pending", "message": { "content": "Tu pedido salió" } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let beto_conv = r.body["id"].as_i64().unwrap();

    // The document's success example: a bare array, one object per conversation.
    let r = list(&app, Some("acme"), Some(&key), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.body.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let beto_row = &rows[0];
    assert_eq!(beto_row["conversation_id"], beto_conv.to_string(), "latest activity first, ids as strings");
    assert_eq!(beto_row["last_user_channel"], "api");
    assert_eq!(beto_row["recipient_details"], json!({ "phone_number": "573001234567", "name": "Beto" }));
    assert_eq!(beto_row["agent_assigned_to"], w.agent.name);
    assert_eq!((beto_row["purpose"].as_str(), beto_row["color"].as_i64()), (Some("alert"), Some(1)));
    assert_eq!((beto_row["last_message"].as_str(), beto_row["number_of_messages"].as_i64()), (Some("Tu pedido salió"), Some(1)));
    let carla_row = &rows[1];
    assert!(carla_row.get("agent_assigned_to").is_none(), "only when assigned: {carla_row}");
    assert_eq!((carla_row["purpose"].as_str(), carla_row["color"].as_i64()), (Some("conversation"), Some(0)));
    assert_eq!((carla_row["last_message"].as_str(), carla_row["number_of_messages"].as_i64()), (Some("Sí, hay"), Some(3)));
    for field in ["first_message_at", "last_message_at"] {
        let at = carla_row[field].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with("+00:00"), "ISO-8601 with offset: {at}");
    }
    assert!(carla_row["first_message_at"].as_str() <= carla_row["last_message_at"].as_str());
    assert!(carla_row["from"].as_str().is_some_and(|f| !f.is_empty()), "the API inbox's identifier");

    // Paging is lenient: what can be cast is cast, the rest is the default; past the end, 404.
    for (query, expected) in [
        ("?per_page=1", 1),
        ("?per_page=%201%20", 1),
        ("?per_page=1.0", 1),
        ("?per_page=1abc", 1),
        ("?per_page=x", 2),
        ("?per_page=-4", 2),
        ("?page=abc", 2),
    ] {
        let r = list(&app, Some("acme"), Some(&key), query).await;
        assert_eq!((r.status, r.body.as_array().map(Vec::len)), (200, Some(expected)), "{query}");
    }
    let second = list(&app, Some("acme"), Some(&key), "?per_page=1&page=2").await;
    assert_eq!(second.body[0]["conversation_id"], carla_conv.to_string());
    assert_eq!(list(&app, Some("acme"), Some(&key), "?per_page=1&page=3").await.status, 404, "Conversation not found");

    // The auth matrix: no key, a wrong key, a wrong slug, another account's key, a revoked key.
    assert_eq!(list(&app, None, None, "").await.status, 401);
    assert_eq!(list(&app, Some("acme"), None, "").await.status, 401);
    assert_eq!(list(&app, Some("acme"), Some("sbk_wrong"), "").await.status, 401);
    assert_eq!(list(&app, Some("acmf"), Some(&key), "").await.status, 401);
    let r = app
        .patch(&format!("/api/v1/accounts/{}", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "slug": "other" }))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let theirs = app
        .post(&format!("/api/v1/accounts/{}/api_keys", w.other_account_id))
        .token(&w.outsider.access_token)
        .json(&json!({ "name": "x" }))
        .send()
        .await;
    let theirs = theirs.body["key"].as_str().unwrap().to_string();
    assert_eq!(list(&app, Some("acme"), Some(&theirs), "").await.status, 401, "another account's key never reaches this one");
    let own = list(&app, Some("other"), Some(&theirs), "").await;
    assert_eq!((own.status, own.body.clone()), (200, json!([])), "and its own account has nothing of ours");
    let keys = app.get(&w.path("/api_keys")).token(admin).send().await;
    let id = keys.body["payload"][0]["id"].as_i64().unwrap();
    app.delete(&w.path(&format!("/api_keys/{id}"))).token(admin).send().await;
    let revoked = list(&app, Some("acme"), Some(&key), "").await;
    assert_eq!((revoked.status, revoked.body["error"].as_str()), (403, Some("Forbidden: this API key was revoked")));
}

#[tokio::test]
async fn a_page_costs_the_same_queries_whatever_its_size_and_keys_are_rate_limited() {
    let app = TestApp::spawn_with(|s| s.integrator_requests_per_minute = 6).await;
    let w = app.seed().await;
    let key = integrator(&app, &w).await;
    let (inbox, carla) = setup(&app, &w).await;
    let admin = &w.admin.access_token;
    app.post(&w.path("/conversations"))
        .token(admin)
        .json(&json!({ "inbox_id": inbox, "contact_id": carla, "message": { "content": "hola" } }))
        .send()
        .await;
    let cost = |query: &'static str| {
        let (app, key) = (&app, key.clone());
        async move {
            let mut fewest: Option<(u64, Value)> = None;
            for _ in 0..3 {
                // The background readers (event log, automation, reports) share the pool: a
                // measure starts once they have been quiet for a moment, so it counts the page.
                let mut quiet = app.app_db.query_count();
                for _ in 0..50 {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    let now = app.app_db.query_count();
                    if now == quiet {
                        break;
                    }
                    quiet = now;
                }
                let before = app.app_db.query_count();
                let r = list(app, Some("acme"), Some(&key), query).await;
                assert_eq!(r.status, 200, "{}", r.body);
                let n = app.app_db.query_count() - before;
                if fewest.as_ref().is_none_or(|(f, _)| n < *f) {
                    fewest = Some((n, r.body));
                }
            }
            fewest.unwrap()
        }
    };
    let (one, body) = cost("").await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    for i in 0..20 {
        let c = app.post(&w.path("/contacts")).token(admin).json(&json!({ "name": format!("c{i}") })).send().await.body["payload"]
            ["contact"]["id"]
            .clone();
        let assignee = if i % 2 == 0 { w.agent.id } else { w.admin.id };
        let body = json!({ "inbox_id": inbox, "contact_id": c, "assignee_id": assignee, "message": { "content": format!("m{i}") } });
        assert_eq!(app.post(&w.path("/conversations")).token(admin).json(&body).send().await.status, 200);
    }
    // Six requests so far: the key's whole allowance for the minute.
    let (many, body) = cost("").await;
    assert_eq!(body.as_array().unwrap().len(), 21);
    assert_eq!(one, many, "the same number of queries for 1 and 21 rows");
    let limited = list(&app, Some("acme"), Some(&key), "").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.header("retry-after"), Some("60"));
}
