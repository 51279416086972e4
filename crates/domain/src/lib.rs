//! Types and rules of the inbox, with no IO, so they can be reasoned about and tested alone.

pub mod column;
pub mod ids;
pub mod inbox;
pub mod limits;
pub mod messages;
pub mod text;
pub mod users;
pub mod validation;

pub use ids::*;
pub use validation::ValidationError;
pub mod agent_bots;
pub mod attachments;
pub mod automation;
pub mod canned;
pub mod contacts;
pub mod conversations;
pub mod csat;
pub mod custom_attributes;
pub mod filters;
pub mod groups;
pub mod help_center;
pub mod reports;
pub mod scheduled;
pub mod webhooks;
pub mod whatsapp;
pub mod whatsapp_analytics;
