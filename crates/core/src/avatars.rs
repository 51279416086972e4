//! WhatsApp pictures of groups and of the people who write in them, fetched from the provider
//! (`profile-picture-url`, then WhatsApp's CDN, whose links expire) into our storage, and shown
//! as the contact's `thumbnail` at `/avatars/<account>/<name>`: a name no one can guess, as
//! pictures are shown to anyone who has the URL. Fetched when a group or person is new, when a
//! group's picture changes, and at most once a day otherwise.

use chrono::Utc;
use serde_json::Value;
use switchboard_channels::aldeamo::SendError;
use switchboard_domain::groups;
use switchboard_domain::whatsapp::Provider;

use crate::channel::Line;
use switchboard_realtime::Event as LiveEvent;
use switchboard_store::inboxes::Visibility;
use switchboard_store::jobs::{BackgroundJob, FetchAvatar};
use switchboard_store::models::Job;

use crate::change::Change;
use crate::error::CoreResult;
use crate::state::AppState;

/// A picture is looked for again after this long.
pub const FRESH_SECS: i64 = 24 * 3600;
/// Larger pictures are not kept.
const MAX_BYTES: usize = 5 << 20;

/// The file name an avatar is stored under: `<24 hex>-avatar.<ext>`; anything else is not one.
pub fn is_avatar_name(name: &str) -> bool {
    let Some((token, rest)) = name.split_once('-') else { return false };
    token.len() == 24
        && token.chars().all(|c| c.is_ascii_hexdigit())
        && matches!(rest, "avatar.jpg" | "avatar.png" | "avatar.webp" | "avatar.gif")
}

/// Runs a picture job.
pub async fn fetch(state: &AppState, job: &Job, payload: FetchAvatar) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    let contact = switchboard_store::contacts::by_id(&mut conn, payload.contact_id).await.ok();
    let inbox = match &contact {
        Some(c) => switchboard_store::inboxes::find(&mut conn, c.account_id, payload.inbox_id, Visibility::All).await?,
        None => None,
    };
    // Only providers with groups show pictures.
    let line = inbox.as_ref().filter(|i| Provider::of(i.provider).capabilities().groups).and_then(|i| Line::of(i).ok());
    let (Some(contact), Some(line)) = (contact, line) else {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    let fetched_at = contact.additional_attributes.get("avatar_fetched_at").and_then(Value::as_i64).unwrap_or(0);
    let jid = if contact.group_type == "group" {
        contact.identifier.clone()
    } else {
        groups::contact_jid(contact.identifier.as_deref(), contact.phone_number.as_deref())
    };
    let Some(jid) = jid.filter(|_| payload.force || Utc::now().timestamp() - fetched_at >= FRESH_SECS) else {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    drop(conn);
    let Some(picture) = line.open(state).picture(&jid, MAX_BYTES).await else {
        let mut conn = state.conn().await?;
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    let picture = match picture {
        Ok(p) => p,
        Err(SendError::Retryable(reason)) => {
            let mut conn = state.conn().await?;
            return match FetchAvatar::retry(state.settings.whatsapp.retry()).after(job.attempts as u32 + 1) {
                Some(wait) => Ok(switchboard_store::jobs::retry(&mut conn, job.id, wait, &reason).await?),
                None => {
                    tracing::info!(contact_id = contact.id, reason = %reason, "no picture this time; tomorrow again");
                    Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?)
                }
            };
        }
        // A picture we may not keep (too large, refused): as if there were none.
        Err(SendError::Rejected(reason)) => {
            tracing::info!(contact_id = contact.id, reason = %reason, "the picture is not kept");
            None
        }
    };
    let kept = match &picture {
        Some(p) if infer::is_image(&p.bytes) => {
            let ext = infer::get(&p.bytes).map(|t| t.extension()).filter(|e| matches!(*e, "jpg" | "png" | "webp" | "gif")).unwrap_or("jpg");
            let (key, mut file) = state.storage.create(contact.account_id, &format!("avatar.{ext}")).await?;
            crate::storage::write_chunk(&mut file, &p.bytes).await?;
            Some(key)
        }
        _ => None,
    };
    let thumbnail =
        kept.as_ref().map(|key| format!("{}/avatars/{key}", state.settings.public_url.trim_end_matches('/'))).unwrap_or_default();
    let old = old_key(&contact.thumbnail, &state.settings.public_url);
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        let updated = switchboard_store::contacts::set_avatar(conn, contact.id, &thumbnail, Utc::now().timestamp()).await?;
        switchboard_store::jobs::complete(conn, job.id).await?;
        if updated.thumbnail != contact.thumbnail {
            if updated.group_type == "group" {
                crate::groups::group_synced(conn, out, &updated).await?;
            } else {
                let rendered = crate::present::contact(conn, &updated).await?;
                crate::events::contact(out, LiveEvent::ContactUpdated, updated.account_id, &rendered)?;
            }
        }
        Ok(())
    }
    .await;
    match tx.finish(state, result).await {
        Ok(()) => {
            // The picture it replaces is no one's any more.
            if let Some(old) = old.filter(|o| Some(o) != kept.as_ref()) {
                state.storage.discard(&[old]).await;
            }
            Ok(())
        }
        Err(e) => {
            if let Some(key) = kept {
                state.storage.discard(&[key]).await;
            }
            Err(e)
        }
    }
}

/// The storage key of a thumbnail we serve, if it is one of ours.
fn old_key(thumbnail: &str, public_url: &str) -> Option<String> {
    let rest = thumbnail.strip_prefix(public_url.trim_end_matches('/'))?.strip_prefix("/avatars/")?;
    let (account, name) = rest.split_once('/')?;
    (account.chars().all(|c| c.is_ascii_digit()) && is_avatar_name(name)).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_avatar_names_are_avatars() {
        assert!(is_avatar_name("0123456789abcdef01234567-avatar.jpg"));
        assert!(!is_avatar_name("0123456789abcdef01234567-invoice.pdf"));
        assert!(!is_avatar_name("../0123456789abcdef0123-avatar.jpg"));
        assert_eq!(
            old_key("https://sb.example/avatars/7/0123456789abcdef01234567-avatar.png", "https://sb.example/").as_deref(),
            Some("7/0123456789abcdef01234567-avatar.png")
        );
        assert_eq!(old_key("https://cdn.example/x.jpg", "https://sb.example"), None);
    }
}
