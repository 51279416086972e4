//! Keeps the files channels send us. The BSP links a file that expires; a Baileys-style
//! provider keeps it at `GET {provider_url}/media/:messageId`. Either way the message is stored
//! at once and a `DownloadMedia` job, queued with it, fetches the file into our storage with
//! retries. The message then shows our file (`message.updated`); a download that finally fails
//! says why on the attachment (`meta.download_error`), and the message stays.

use switchboard_channels::aldeamo::SendError;
use switchboard_channels::media::Downloaded;
use switchboard_domain::attachments::{real_content_type, SNIFF_BYTES};
use switchboard_store::inboxes::Visibility;
use switchboard_store::jobs::{BackgroundJob, DownloadMedia};
use switchboard_store::models::{Attachment, Job};

use crate::change::Change;
use crate::channel::statuses::announce_update;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// Runs a download job.
pub async fn download(state: &AppState, job: &Job, payload: DownloadMedia) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    let attachment = switchboard_store::attachments::find(&mut conn, payload.attachment_id).await?;
    let Some(attachment) = attachment.filter(|a| a.storage_key.is_none()) else {
        // Gone with its message, or fetched already.
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    let message = switchboard_store::messages::by_ids(&mut conn, attachment.account_id, &[attachment.message_id]).await?.pop();
    let inbox = match &message {
        Some(m) => switchboard_store::inboxes::find(&mut conn, m.account_id, m.inbox_id, Visibility::All).await?,
        None => None,
    };
    let (Some(message), Some(inbox)) = (message, inbox) else {
        return Ok(switchboard_store::jobs::complete(&mut conn, job.id).await?);
    };
    drop(conn);
    let limit = state.settings.max_attachment_bytes;
    let source = message.source_id.clone().unwrap_or_default();
    let fetched = match crate::channel::Line::of(&inbox) {
        Ok(line) => line.open(state).download(&source, attachment.external_url.as_deref(), limit).await,
        Err(_) => Err(SendError::Rejected("the inbox has no channel to fetch the file from".into())),
    };
    match fetched {
        Ok(file) => keep(state, job, &attachment, file).await,
        Err(SendError::Retryable(reason)) => match DownloadMedia::retry(state.settings.whatsapp.retry()).after(job.attempts as u32 + 1) {
            Some(wait) => {
                tracing::info!(attachment_id = attachment.id, attempt = job.attempts + 1, ?wait, reason = %reason, "media download will be retried");
                let mut conn = state.conn().await?;
                Ok(switchboard_store::jobs::retry(&mut conn, job.id, wait, &reason).await?)
            }
            None => failed(state, job, &attachment, &reason).await,
        },
        Err(SendError::Rejected(reason)) => failed(state, job, &attachment, &reason).await,
    }
}

/// Writes the file to storage, then records it with the job's end and `message.updated`.
async fn keep(state: &AppState, job: &Job, a: &Attachment, file: Downloaded) -> CoreResult<()> {
    let (key, mut handle) = state.storage.create(a.account_id, &a.file_name).await?;
    let written = crate::storage::write_chunk(&mut handle, &file.bytes).await;
    drop(handle);
    if let Err(e) = written {
        state.storage.discard(std::slice::from_ref(&key)).await;
        return Err(e);
    }
    // The bytes decide the type, as for uploads; what was declared only fills in.
    let declared = file.content_type.as_deref().filter(|t| !t.is_empty()).unwrap_or(&a.content_type);
    let content_type = real_content_type(declared, &file.bytes[..file.bytes.len().min(SNIFF_BYTES)]);
    let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        switchboard_store::attachments::stored(conn, a.id, &key, &content_type, size).await?;
        switchboard_store::jobs::complete(conn, job.id).await?;
        announce(state, conn, out, a).await
    }
    .await;
    let committed = tx.finish(state, result).await;
    if committed.is_err() {
        state.storage.discard(std::slice::from_ref(&key)).await;
    }
    committed
}

/// The download will not happen: the reason goes on the attachment, for everyone to see.
async fn failed(state: &AppState, job: &Job, a: &Attachment, reason: &str) -> CoreResult<()> {
    tracing::warn!(attachment_id = a.id, reason, "media download failed; the message keeps its link");
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        switchboard_store::attachments::download_failed(conn, a.id, reason).await?;
        switchboard_store::jobs::complete(conn, job.id).await?;
        announce(state, conn, out, a).await
    }
    .await;
    tx.finish(state, result).await
}

async fn announce(
    state: &AppState,
    conn: &mut switchboard_store::AsyncPgConnection,
    out: &mut crate::change::Outbox,
    a: &Attachment,
) -> CoreResult<()> {
    let message = switchboard_store::messages::by_ids(conn, a.account_id, &[a.message_id]).await?.pop().ok_or(CoreError::NotFound)?;
    announce_update(state, conn, out, &message).await
}
