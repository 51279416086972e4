//! The help center: portals, categories and articles with their callers and bad input, and the
//! public reading: published articles only, full-text search in the portal's locale, Markdown
//! rendered without script, and the rate limit.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::TestApp;

use crate::support::{assert_invalid, matrix, Matrix, ADMIN_WRITE, READ};

#[tokio::test]
async fn portals_categories_and_articles_for_their_callers() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (admin, agent) = (&w.admin.access_token, &w.agent.access_token);

    let portal = app
        .post(&w.path("/portals"))
        .token(admin)
        .json(&json!({ "name": "Handbook", "slug": "handbook", "color": "#1F93FF", "header_text": "Help", "page_title": "Acme help",
                       "homepage_link": "https://acme.example.com", "custom_domain": "help.acme.example.com",
                       "config": { "allowed_locales": ["en", "es"], "default_locale": "en" } }))
        .send()
        .await;
    assert_eq!(portal.status, 200, "{:?}", portal.body);
    let p = &portal.body["payload"];
    assert_eq!((p["slug"].as_str(), p["config"]["default_locale"].as_str()), (Some("handbook"), Some("en")));
    assert_eq!(p["config"]["allowed_locales"][1]["code"], "es");
    let pid = p["id"].as_i64().unwrap();
    let base = w.path("/portals/handbook");

    // Bad input names the field; a taken slug too; agents may not write portals.
    assert_invalid(&app.post(&w.path("/portals")).token(admin).json(&json!({ "name": "X", "slug": "Bad Slug" })).send().await, "slug");
    assert_invalid(&app.post(&w.path("/portals")).token(admin).json(&json!({ "name": "X", "slug": "handbook" })).send().await, "slug");
    assert_invalid(&app.post(&w.path("/portals")).token(admin).json(&json!({ "name": "X", "color": "red" })).send().await, "color");
    assert_invalid(
        &app.post(&w.path("/portals")).token(admin).json(&json!({ "name": "X", "homepage_link": "javascript:alert(1)" })).send().await,
        "homepage_link",
    );
    assert_invalid(
        &app.post(&w.path("/portals")).token(admin).json(&json!({ "name": "X", "config": { "allowed_locales": ["../etc"] } })).send().await,
        "config.allowed_locales[0]",
    );
    assert_invalid(&app.post(&w.path("/portals")).token(admin).json(&json!({ "name": "X", "slogan": "x" })).send().await, "slogan");
    assert_invalid(&app.post(&w.path("/portals")).token(admin).json(&json!({ "slug": "nameless" })).send().await, "name");
    assert_eq!(app.post(&w.path("/portals")).token(agent).json(&json!({ "name": "Mine" })).send().await.status, 401);

    let updated =
        app.patch(&format!("{}/{pid}", w.path("/portals"))).token(admin).json(&json!({ "header_text": "How can we help?" })).send().await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(
        (updated.body["payload"]["header_text"].as_str(), updated.body["payload"]["name"].as_str()),
        (Some("How can we help?"), Some("Handbook"))
    );

    // Categories (administrators) and articles (any member).
    let cat = app
        .post(&format!("{base}/categories"))
        .token(admin)
        .json(&json!({ "name": "Billing", "description": "Money", "locale": "en", "position": 1 }))
        .send()
        .await;
    assert_eq!(cat.status, 200, "{:?}", cat.body);
    assert_eq!(cat.body["slug"], "billing");
    let cat_id = cat.body["id"].as_i64().unwrap();
    assert_invalid(
        &app.post(&format!("{base}/categories")).token(admin).json(&json!({ "name": "Fr", "locale": "fr" })).send().await,
        "locale",
    );
    assert_invalid(&app.post(&format!("{base}/categories")).token(admin).json(&json!({ "name": "Billing" })).send().await, "slug");
    assert_eq!(app.post(&format!("{base}/categories")).token(agent).json(&json!({ "name": "A" })).send().await.status, 401);

    let article = app
        .post(&format!("{base}/articles"))
        .token(agent)
        .json(
            &json!({ "title": "How refunds work", "content": "# Refunds\n\nWe refund **within 14 days**.", "description": "Refund policy",
                       "category_id": cat_id, "status": 1, "locale": "en" }),
        )
        .send()
        .await;
    assert_eq!(article.status, 200, "{:?}", article.body);
    assert_eq!((article.body["status"].as_str(), article.body["author_id"].as_i64()), (Some("published"), Some(w.agent.id)));
    let aid = article.body["id"].as_i64().unwrap();
    assert_invalid(
        &app.post(&format!("{base}/articles")).token(agent).json(&json!({ "title": "T", "status": "live" })).send().await,
        "status",
    );
    assert_invalid(&app.post(&format!("{base}/articles")).token(agent).json(&json!({ "title": "" })).send().await, "title");
    assert_invalid(
        &app.post(&format!("{base}/articles")).token(agent).json(&json!({ "title": "T", "category_id": 999999 })).send().await,
        "category_id",
    );
    assert_invalid(
        &app.post(&format!("{base}/articles")).token(agent).json(&json!({ "title": "T", "author_id": w.outsider.id })).send().await,
        "author_id",
    );
    let draft = app
        .post(&format!("{base}/articles"))
        .token(admin)
        .json(&json!({ "title": "Unreleased refund secrets", "slug": "secret", "content": "refund", "status": "draft" }))
        .send()
        .await;
    assert_eq!(draft.status, 200, "{:?}", draft.body);

    let list = app.get(&format!("{base}/articles?status=published")).token(agent).send().await;
    assert_eq!(list.body["meta"]["articles_count"].as_i64(), Some(1), "{:?}", list.body);
    let all = app.get(&format!("{base}/articles")).token(agent).send().await;
    assert_eq!(all.body["payload"].as_array().map(Vec::len), Some(2));
    let changed =
        app.patch(&format!("{base}/articles/{aid}")).token(agent).json(&json!({ "position": 3, "description": null })).send().await;
    assert_eq!((changed.body["position"].as_i64(), changed.body["description"].is_null()), (Some(3), true), "{:?}", changed.body);
    assert_eq!(changed.body["title"], "How refunds work", "fields left out keep their value");

    // The portal's counts.
    let shown = app.get(&base).token(agent).send().await;
    let meta = &shown.body["payload"]["meta"];
    assert_eq!(
        (meta["all_articles_count"].as_i64(), meta["published_count"].as_i64(), meta["draft_articles_count"].as_i64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(shown.body["payload"]["config"]["allowed_locales"][0]["categories_count"].as_i64(), Some(1));

    // Another account sees nothing of it.
    let theirs = format!("/api/v1/accounts/{}/portals/handbook", w.other_account_id);
    assert_eq!(app.get(&theirs).token(&w.outsider.access_token).send().await.status, 404);

    // Callers.
    let member_write = Matrix { agent: 200, ..ADMIN_WRITE };
    for (method, path, body, expected) in [
        (Method::GET, w.path("/portals"), None, &READ),
        (Method::GET, base.clone(), None, &READ),
        (Method::GET, format!("{base}/categories"), None, &READ),
        (Method::GET, format!("{base}/categories/{cat_id}"), None, &READ),
        (Method::GET, format!("{base}/articles"), None, &READ),
        (Method::GET, format!("{base}/articles/{aid}"), None, &READ),
        (Method::PATCH, format!("{base}/categories/{cat_id}"), Some(json!({ "position": 2 })), &ADMIN_WRITE),
        (Method::PATCH, format!("{base}/articles/{aid}"), Some(json!({ "position": 4 })), &member_write),
        (Method::PATCH, w.path(&format!("/portals/{pid}")), Some(json!({ "page_title": "Help" })), &ADMIN_WRITE),
        (Method::POST, w.path("/portals"), Some(json!({ "name": "Second" })), &ADMIN_WRITE),
    ] {
        assert_eq!(&matrix(&app, &w, method.clone(), &path, body).await, expected, "{method} {path}");
    }
    let deleting = [
        (format!("{base}/articles/{}", draft.body["id"]), &ADMIN_WRITE),
        (format!("{base}/categories/{cat_id}"), &ADMIN_WRITE),
        (w.path("/portals/second"), &ADMIN_WRITE),
    ];
    for (path, expected) in deleting {
        assert_eq!(&matrix(&app, &w, Method::DELETE, &path, None).await, expected, "{path}");
        assert_eq!(app.get(&path).token(admin).send().await.status, 404, "{path}");
    }
    // Deleting the category keeps its article, uncategorized.
    let kept = app.get(&format!("{base}/articles/{aid}")).token(admin).send().await;
    assert!(kept.body["category_id"].is_null(), "{:?}", kept.body);
}

fn titles(list: &Value) -> Vec<String> {
    list["payload"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn customers_read_and_search_published_articles_only() {
    let app = TestApp::spawn_with(|s| s.public_limits.per_ip = 40).await;
    let w = app.seed().await;
    let admin = &w.admin.access_token;
    let r = app
        .post(&w.path("/portals"))
        .token(admin)
        .json(&json!({ "name": "Docs", "slug": "docs", "config": { "allowed_locales": ["en", "es"] } }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let write = |body: Value| {
        let (app, path, admin) = (&app, w.path("/portals/docs/articles"), admin.clone());
        async move {
            let r = app.post(&path).token(&admin).json(&body).send().await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            r.body
        }
    };
    write(json!({ "title": "Refunds", "slug": "refunds", "status": "published", "locale": "en",
                  "content": "You can get your money back.\n\n<script>alert('x')</script>\n\n<a href=\"javascript:alert(1)\" onclick=\"x()\">click</a>\n\n**Bold** [site](https://acme.example.com)" }))
    .await;
    write(json!({ "title": "Shipping times", "slug": "shipping", "status": "published", "locale": "en", "position": 1,
                  "content": "Orders ship in two days. Refunds for late orders are described elsewhere." }))
    .await;
    write(json!({ "title": "Refunds draft", "slug": "refunds-draft", "status": "draft", "locale": "en", "content": "refunds refunds" }))
        .await;
    write(json!({ "title": "Old refunds", "slug": "old", "status": "archived", "locale": "en", "content": "refunds" })).await;
    write(json!({ "title": "Reembolsos", "slug": "reembolsos", "status": "published", "locale": "es", "content": "Devolvemos el dinero de los pedidos cancelados." }))
        .await;

    // No token: published articles of the locale only, in order.
    let list = app.get("/hc/docs/en/articles").send().await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(titles(&list.body), ["Refunds", "Shipping times"]);
    assert_eq!(list.body["payload"][0]["content"], "", "lists carry no content");
    // Search ranks by PostgreSQL full-text search in the locale's language: "refund" finds
    // "Refunds" (English stemming), the title before the body.
    let found = app.get("/hc/docs/en/articles?query=refund").send().await;
    assert_eq!(titles(&found.body), ["Refunds", "Shipping times"]);
    let money = app.get("/hc/docs/en/articles?query=money").send().await;
    assert_eq!(titles(&money.body), ["Refunds"]);
    let spanish = app.get("/hc/docs/es/articles?query=pedido").send().await;
    assert_eq!(titles(&spanish.body), ["Reembolsos"], "Spanish stemming: pedido finds pedidos");
    assert_eq!(titles(&app.get("/hc/docs/en/articles?query=pedido").send().await.body), Vec::<String>::new());
    // Unbalanced or odd queries are words, never errors.
    assert_eq!(app.get("/hc/docs/en/articles?query=%22refund%20%26%7C!(").send().await.status, 200);

    // One article, rendered and sanitized.
    let one = app.get("/hc/docs/articles/refunds").send().await;
    assert_eq!(one.status, 200, "{:?}", one.body);
    let html = one.body["content"].as_str().unwrap();
    assert!(html.contains("<strong>Bold</strong>") && html.contains("href=\"https://acme.example.com\""), "{html}");
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("javascript:") && !lower.contains("onclick"), "{html}");
    assert_eq!(one.body["views"].as_i64(), Some(1));
    assert_eq!(app.get("/hc/docs/articles/refunds").send().await.body["views"].as_i64(), Some(2));

    // Drafts, archived articles, unknown portals and locales the portal does not offer: 404.
    for path in [
        "/hc/docs/articles/refunds-draft",
        "/hc/docs/articles/old",
        "/hc/nowhere/en/articles",
        "/hc/docs/fr/articles",
        "/hc/nowhere/articles/refunds",
    ] {
        assert_eq!(app.get(path).send().await.status, 404, "{path}");
    }
    // An archived portal is not public.
    let archived = app.patch(&w.path("/portals/docs")).token(admin).json(&json!({ "archived": true })).send().await;
    assert_eq!(archived.status, 200, "{:?}", archived.body);
    assert_eq!(app.get("/hc/docs/en/articles").send().await.status, 404);

    // The public routes are rate limited per address.
    let mut limited = None;
    for _ in 0..60 {
        let r = app.get("/hc/docs/articles/refunds").send().await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let limited = limited.expect("the limit answers 429");
    assert!(limited.header("retry-after").is_some());
}
