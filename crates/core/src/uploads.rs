//! Files uploaded ahead of the messages that send them (automation and macro attachments).

use switchboard_store::models::Upload;

use crate::error::CoreResult;
use crate::messages::StoredFile;
use crate::state::AppState;

/// Keeps a file already in storage as an upload of the account.
pub async fn create(state: &AppState, account_id: i64, file: &StoredFile) -> CoreResult<Upload> {
    let mut conn = state.conn().await?;
    Ok(switchboard_store::uploads::create(&mut conn, account_id, &file.key, &file.file_name, &file.content_type, file.size).await?)
}
