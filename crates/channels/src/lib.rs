//! Channel connectors. Each owns its wire types: the rest of the system sees messages, not
//! provider JSON.

pub mod aldeamo;
pub mod baileys;
pub mod guard;
pub mod media;
pub mod webhook;
