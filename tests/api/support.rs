use reqwest::Method;
use serde_json::Value;
use switchboard_testkit::{TestApp, World};

/// The status each kind of caller gets for one request.
#[derive(Debug, PartialEq, Eq)]
pub struct Matrix {
    pub no_token: u16,
    pub bad_token: u16,
    pub other_account: u16,
    pub agent: u16,
    pub admin: u16,
}

/// Sends the same request as nobody, with a bad token, as the other account's admin, as an
/// agent and finally as an admin (last, since it may change what it touches).
pub async fn matrix(app: &TestApp, w: &World, method: Method, path: &str, body: Option<Value>) -> Matrix {
    let send = |token: Option<String>| {
        let mut call = app.call(method.clone(), path);
        if let Some(t) = token {
            call = call.token(&t);
        }
        if let Some(b) = &body {
            call = call.json(b);
        }
        async move { call.send().await.status }
    };
    Matrix {
        no_token: send(None).await,
        bad_token: send(Some("not-a-token".into())).await,
        other_account: send(Some(w.outsider.access_token.clone())).await,
        agent: send(Some(w.agent.access_token.clone())).await,
        admin: send(Some(w.admin.access_token.clone())).await,
    }
}

/// Readable for everyone in the account; 404 for others.
pub const READ: Matrix = Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 200, admin: 200 };
/// Administrators only.
pub const ADMIN_WRITE: Matrix = Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 200 };

/// Every key is present in the object.
#[track_caller]
pub fn assert_keys(v: &Value, keys: &[&str]) {
    let obj = v.as_object().unwrap_or_else(|| panic!("expected an object, got {v}"));
    for k in keys {
        assert!(obj.contains_key(*k), "missing key {k} in {v}");
    }
}

/// A 422 naming `field`.
#[track_caller]
pub fn assert_invalid(reply: &switchboard_testkit::Reply, field: &str) {
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(reply.body["errors"][0]["field"], field, "{:?}", reply.body);
    assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{:?}", reply.body);
}

pub const AGENT_KEYS: &[&str] =
    &["id", "account_id", "availability_status", "auto_offline", "confirmed", "email", "available_name", "name", "role", "thumbnail"];
