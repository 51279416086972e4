//! Inboxes by webhook token, kept briefly, for the webhook fast path.

use std::time::Duration;

use switchboard_store::models::Inbox;

use crate::error::CoreResult;

/// Inboxes by webhook token, kept briefly: a busy number delivers thousands of webhooks a
/// second, and the inbox behind a token rarely changes. A change (or deletion) shows within
/// `INBOX_TTL`.
#[derive(Default)]
pub struct InboxCache {
    map: std::sync::Mutex<std::collections::HashMap<String, (Inbox, std::time::Instant)>>,
}

const INBOX_TTL: Duration = Duration::from_secs(5);

impl InboxCache {
    pub async fn get(&self, db: &switchboard_store::DbPool, token: &str) -> CoreResult<Option<Inbox>> {
        if let Ok(map) = self.map.lock() {
            if let Some((inbox, _)) = map.get(token).filter(|(_, at)| at.elapsed() < INBOX_TTL) {
                return Ok(Some(inbox.clone()));
            }
        }
        let found = switchboard_store::whatsapp::inbox_by_webhook_token(&mut *db.get().await?, token).await?;
        if let (Some(inbox), Ok(mut map)) = (&found, self.map.lock()) {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(token.to_string(), (inbox.clone(), std::time::Instant::now()));
        }
        Ok(found)
    }
}
