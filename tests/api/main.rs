//! API integration tests against a real PostgreSQL (and Redis where a test needs it).
//! One binary, so the throwaway cluster and the migrated template are made once per run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod agent_bots;
mod agents;
mod auth;
mod baileys_delivery;
mod canned_responses;
mod contacts;
mod conversations;
mod crash;
mod custom_attributes;
mod group_admin;
mod group_inbound;
mod groups;
mod health;
mod inbox_members;
mod inboxes;
mod integration_apps;
mod integrations;
mod labels;
mod messages;
mod notifications;
mod openapi;
mod platform;
mod profile;
mod public;
mod realtime;
mod retailer;
mod security;
mod support;
mod teams;
mod webhooks;
mod whatsapp;
mod whatsapp_analytics;
mod whatsapp_outbound;
