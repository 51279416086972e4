//! The one place a provider is chosen: an inbox's channel config opens its provider's
//! `Channel`. Adding a provider means a module that implements `Channel`, a config variant
//! (`domain::whatsapp::ChannelConfig`) and a line here.

use switchboard_domain::whatsapp::ChannelConfig;

use crate::channel::Channel;
use crate::{aldeamo, baileys};

/// The providers' HTTP clients, built once per process.
#[derive(Clone, Copy)]
pub struct Clients<'a> {
    pub bsp: &'a aldeamo::Client,
    pub baileys: &'a baileys::Client,
}

/// The channel of a number with this config.
pub fn open<'a>(clients: Clients<'a>, config: &'a ChannelConfig, phone: &'a str) -> Box<dyn Channel + 'a> {
    match config {
        ChannelConfig::Aldeamo(c) => Box::new(aldeamo::Bsp::new(clients.bsp, c, phone)),
        ChannelConfig::Baileys(c) => Box::new(baileys::Baileys::new(clients.baileys, c, phone)),
    }
}
