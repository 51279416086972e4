//! WhatsApp persistence, by story: inbound messages stored once however often they are
//! delivered (`inbound`), delivery statuses that only move forward and reactions
//! (`statuses`), outbound send bookkeeping (`outbound`), message templates (`templates`) and
//! what is known of a number and its contacts (`numbers`).

mod inbound;
mod numbers;
mod outbound;
mod statuses;
mod templates;

pub(crate) use inbound::upsert_identity;
pub use inbound::{receive_all, receive_in, Delivered, Inbound, Received};
pub use numbers::{name_contact, record_number};
pub use outbound::{last_incoming_at, mark_failed, mark_sent, outgoing, Outgoing};
pub use statuses::{apply_status, react};
pub use templates::{
    apply_template_event, claim_sync, delete_templates, find_template, inboxes_to_sync, replace_templates, templates_of, upsert_template,
    TemplateChange,
};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::Inbox;
use crate::schema::inboxes;
use crate::StoreResult;

/// The inbox a webhook URL belongs to.
pub async fn inbox_by_webhook_token(conn: &mut AsyncPgConnection, token: &str) -> StoreResult<Option<Inbox>> {
    Ok(inboxes::table.filter(inboxes::webhook_token.eq(token)).select(Inbox::as_select()).first(conn).await.optional()?)
}
