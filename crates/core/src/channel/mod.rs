//! Channels as the operations see them: an inbox's `Line` opens its provider's `Channel` (the
//! one place a provider is chosen), and each story has its module: inbound messages, statuses
//! and reactions, templates, and outbound sends. A webhook delivery is read by the provider
//! into inbound events (`receive`), which these store whatever provider they came from.

pub mod inbound;
pub mod line;
pub mod outbound;
pub mod receive;
pub mod statuses;
pub mod templates;

pub use line::{connect, disconnect, Line};
pub use receive::receive;
