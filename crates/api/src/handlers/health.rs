//! `GET /health` (the process answers) and `GET /ready` (its database answers).

use actix_web::{web, HttpResponse};
use serde_json::json;

use switchboard_core::state::AppState;

/// The process is up; says nothing about its dependencies.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready to serve: the database answers.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.db.ping().await {
        HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "database": "unreachable" }))
    }
}
