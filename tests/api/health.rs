use switchboard_testkit::TestApp;

#[tokio::test]
async fn health_is_up_and_ready_checks_the_database() {
    let app = TestApp::spawn().await;
    let health = app.get("/health").send().await;
    assert_eq!(health.status, 200);
    assert!(health.header("x-request-id").is_some_and(|id| !id.is_empty()), "every response carries a request id");
    let ready = app.get("/ready").send().await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["database"], "ok");
}

#[tokio::test]
async fn ready_is_503_when_the_database_does_not_answer() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(1);
    let app = TestApp::spawn_on(format!("postgres://nobody@127.0.0.1:{closed}/none"), |_| {}).await.unwrap();
    assert_eq!(app.get("/health").send().await.status, 200);
    let ready = app.get("/ready").send().await;
    assert_eq!(ready.status, 503);
    // An authenticated request cannot be checked either: 503 with a retry hint, not a 500.
    let profile = app.get("/api/v1/profile").token("whatever").send().await;
    assert_eq!(profile.status, 503);
    assert!(profile.header("retry-after").is_some());
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/nothing-here").send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "Route not found");
}
