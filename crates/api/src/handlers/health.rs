//! `GET /health` (the process answers) and `GET /ready` (its database answers).

use actix_web::{web, HttpResponse};

use switchboard_core::state::AppState;
use switchboard_core::views;

/// The process is up; says nothing about its dependencies.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(views::Health { status: "ok", database: None })
}

/// Ready to serve: the database answers.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.db.ping().await {
        HttpResponse::Ok().json(views::Health { status: "ready", database: Some("ok") })
    } else {
        HttpResponse::ServiceUnavailable().json(views::Health { status: "unavailable", database: Some("unreachable") })
    }
}
