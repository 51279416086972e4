//! The WhatsApp BSP "aldeamo" (see `whatsapp-bsp-manual.md`): outbound requests, inbound
//! webhooks and the template API, and the BSP as a `Channel`.

mod analytics;
mod channel;
mod client;
mod inbound;
mod outbound;

pub use crate::channel::{SendError, TemplateListing};
pub use analytics::AnalyticsAccess;
pub use channel::Bsp;
pub use client::{BspError, Client};
pub use inbound::{parse_webhook, InboundMedia, InboundMessage, ReactionEvent, StatusUpdate, TemplateEvent, Webhook, WebhookError};
pub use outbound::{build, template_components, Media, MediaKind, Outbound, Request, TemplateParams, TemplateSend};

/// The BSP's number format: digits only, no `+`.
pub fn wa_number(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}
