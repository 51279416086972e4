//! `openapi/openapi.json` and the served routes must name the same operations.

use std::collections::BTreeSet;

use switchboard_api::routes::ROUTES;
use switchboard_testkit::TestApp;

/// `/a/{x}/b/{y}` → `/a/{}/b/{}`: parameter names may differ, positions may not.
fn shape(path: &str) -> String {
    path.trim_end_matches('/')
        .split('/')
        .map(|seg| if seg.starts_with('{') && seg.ends_with('}') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn documented() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|m| *m != "parameters") {
            ops.insert((method.to_uppercase(), shape(path)));
        }
    }
    ops
}

fn served() -> BTreeSet<(String, String)> {
    ROUTES.iter().map(|(m, p)| (m.to_string(), shape(p))).collect()
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let (doc, routes) = (documented(), served());
    let undocumented: Vec<_> = routes.difference(&doc).collect();
    let phantom: Vec<_> = doc.difference(&routes).collect();
    assert!(undocumented.is_empty(), "served but missing from openapi/openapi.json: {undocumented:?}");
    assert!(phantom.is_empty(), "documented but not served: {phantom:?}");
}

/// The route table is what actix serves: each documented operation reaches a handler.
#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let app = TestApp::spawn().await;
    for (method, path) in documented() {
        let concrete = path.replace("{}", "1");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let reply = app.call(method.clone(), &concrete).send().await;
        assert_ne!(reply.body["error"], "Route not found", "{method} {concrete} is not routed");
        assert!(reply.status < 500, "{method} {concrete} answered {}", reply.status);
    }
}
