//! Use cases that combine rules, hashing and several queries; shared by handlers and the CLI.

pub mod baileys;
pub mod change;
pub mod conversations;
pub mod events;
pub mod inbound;
pub mod inbox_cache;
pub mod ingest;
pub mod notifications;
pub mod sending;
pub mod users;
pub mod whatsapp;
