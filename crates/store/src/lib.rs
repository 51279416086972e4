//! Persistence: the pool, embedded migrations, the job queue and one module of queries per
//! aggregate. (The private PostgreSQL cluster is process control: `switchboard-cluster`.)

pub mod account_users;
pub mod accounts;
pub mod agent_bots;
pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod automation;
pub mod canned;
pub mod contacts;
pub mod conversations;
pub mod csat;
pub mod custom_attributes;
pub mod custom_filters;
pub mod error;
pub mod events;
pub mod filters;
pub mod groups;
pub mod help_center;
pub mod inboxes;
pub mod integrations;
pub mod jobs;
pub mod labels;
pub mod macros;
pub mod messages;
pub mod migrate;
pub mod models;
pub mod notifications;
pub mod platform;
pub mod pool;
pub mod prepared;
pub mod reports;
pub mod scheduled;
pub mod schema;
pub mod teams;
pub mod uploads;
pub mod users;
pub mod webhooks;
pub mod whatsapp;

pub use diesel_async::AsyncPgConnection;
pub use error::{OptionalExt, StoreError, StoreResult};
pub use pool::{Conn, DbPool};
