//! An inbox's number and how it reaches its provider, and the `Channel` it opens: the only
//! place the operations learn which provider an inbox has.

use switchboard_channels::channel::{ChannelError, Connect};
use switchboard_channels::{Channel, Clients};
use switchboard_domain::whatsapp::ChannelConfig;
use switchboard_store::models::Inbox;

use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// An inbox's provider config and number.
pub struct Line {
    pub config: ChannelConfig,
    pub phone: String,
}

impl Line {
    /// The line of a WhatsApp inbox; an inbox without a valid stored config has none.
    pub fn of(inbox: &Inbox) -> CoreResult<Self> {
        let config = ChannelConfig::from_stored(inbox.provider, &inbox.provider_config)
            .ok_or_else(|| CoreError::internal(format!("inbox {} has no valid channel config", inbox.id)))?;
        Ok(Self { config, phone: inbox.phone_number.clone().unwrap_or_default() })
    }

    /// The inbox's provider, ready to call.
    pub fn open<'a>(&'a self, state: &'a AppState) -> Box<dyn Channel + 'a> {
        switchboard_channels::open(Clients { bsp: &state.bsp, baileys: &state.provider }, &self.config, &self.phone)
    }
}

/// For the REST caller, any provider failure is "the provider is unavailable" (422).
pub fn unavailable(e: ChannelError) -> CoreError {
    CoreError::Upstream { refused: true, message: format!("the WhatsApp provider is unavailable: {}", e.message) }
}

/// Opens the number's connection at its provider (a provider without connections has none),
/// with the webhook it must call. Before the inbox exists: a number the provider refuses would
/// never hear anything.
pub async fn connect(state: &AppState, config: &ChannelConfig, phone: &str, name: &str, webhook_token: &str) -> CoreResult<()> {
    let line = Line { config: config.clone(), phone: phone.to_string() };
    let webhook_url = format!("{}/webhooks/whatsapp/{webhook_token}", state.settings.public_url.trim_end_matches('/'));
    let setup = Connect { name, webhook_url: &webhook_url, groups_enabled: state.settings.whatsapp.groups_enabled };
    let channel = line.open(state);
    let connected = channel.connect(&setup).await;
    connected.map_err(unavailable)
}

/// Closes the inbox's connection at its provider before the inbox goes. Inboxes without a
/// channel config (API inboxes) have none.
pub async fn disconnect(state: &AppState, inbox: &Inbox) -> CoreResult<()> {
    let Ok(line) = Line::of(inbox) else { return Ok(()) };
    let channel = line.open(state);
    let disconnected = channel.disconnect().await;
    disconnected.map_err(unavailable)
}
