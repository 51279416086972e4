//! Channel connectors. Each owns its wire types: the rest of the system sees messages, not
//! provider JSON. `channel` is the seam they all implement, `inbound` what their webhooks
//! mean, and `registry` the one place a provider is chosen.

pub mod aldeamo;
pub mod baileys;
pub mod channel;
pub mod groups;
pub mod guard;
pub mod inbound;
pub mod media;
pub mod registry;
pub mod webhook;

pub use channel::Channel;
pub use registry::{open, Clients};
