//! A Baileys-style WhatsApp provider (see `baileys-provider-contract.md`): WhatsApp Web behind
//! an HTTP service, which also reaches groups. Requests go under `/connections/:phone`, with
//! the inbox's `x-api-key`; the provider posts events back to the inbox's webhook.

mod channel;
mod client;
mod webhook;

pub use channel::Baileys;
pub use client::{Client, Connection, GroupMetadata, JoinRequest, Participant, ProviderError};
pub use webhook::{
    parse_webhook, Event, GroupActivity, GroupUpdate, InboundFile, ParticipantsUpdate, Reaction, Receipt, Stub, UpsertMessage, Webhook,
    WebhookError,
};
