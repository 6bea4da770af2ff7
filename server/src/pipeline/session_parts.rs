//! On S3, an upload session's bytes go on to a multipart upload as they arrive: each whole part
//! as soon as the session holds it, recorded in the database so a restarted server carries on.
//! Finishing the session then sends only the last part and completes the object, under the
//! clip's key (known from the start: the session reserved the clip's id).
//!
//! Only bodies stored as they arrive are sent this way: Ogg Opus, and video WebM (whose head
//! made at the end is an object of its own, composed in front of the body when it is read).
//! Audio-only WebM becomes Ogg when it is finished, so it is stored from the remux at the end.

use std::path::Path;

use crate::error::AppResult;
use crate::state::AppState;
use crate::storage::SessionUpload;
use crate::storage::keys::{Object, object_key};
use db::uploads::SessionRow;

/// The session's file now durably holds `durable` bytes: send every whole part not yet sent.
/// A failure leaves the parts as they were (they are sent again next time, or at the end).
pub async fn send_ready(state: &AppState, session: &SessionRow, path: &Path, durable: u64) -> AppResult<()> {
    let (Some(new_part_size), Some(clip_id)) = (state.storage.session_part_size(), &session.reserved_clip_id) else {
        return Ok(());
    };
    let mut upload = match load(state, session).await? {
        Some(upload) => upload,
        // A part is sent only once the session holds more than it: the final length (perhaps
        // still unknown) must leave the last part non-empty or exactly at a part's end.
        None if durable < new_part_size => return Ok(()),
        None => {
            let file = path.to_owned();
            let Some(container) = tokio::task::spawn_blocking(move || crate::analysis::stored_as_uploaded(&file))
                .await
                .ok()
                .flatten()
            else {
                return Ok(());
            };
            let key = object_key(clip_id, Object::Media(container));
            let upload_id = state
                .storage
                .start_session_upload(&key, container.content_type(None))
                .await?;
            state
                .db
                .uploads()
                .set_multipart(&session.id, &key, &upload_id, new_part_size as i64)
                .await?;
            SessionUpload {
                key,
                upload_id,
                part_size: new_part_size,
                parts: Vec::new(),
            }
        }
    };
    let part_size = upload.part_size;
    let mut number = upload.parts.len() as i32 + 1;
    while number as u64 * part_size <= durable {
        let offset = (number as u64 - 1) * part_size;
        let etag = state
            .storage
            .send_session_part(&upload, path, number, offset, part_size)
            .await?;
        state.db.uploads().add_part(&session.id, number, &etag).await?;
        upload.parts.push((number, etag));
        number += 1;
    }
    Ok(())
}

/// The session's multipart upload, if it has one.
pub async fn load(state: &AppState, session: &SessionRow) -> AppResult<Option<SessionUpload>> {
    let (Some(key), Some(upload_id)) = (&session.multipart_key, &session.multipart_id) else {
        return Ok(None);
    };
    // Sessions whose upload began before the size was kept used the configured one.
    let part_size = session
        .multipart_part_size
        .and_then(|size| u64::try_from(size).ok())
        .unwrap_or(state.config.s3_part_size.max(5 << 20));
    Ok(Some(SessionUpload {
        key: key.clone(),
        upload_id: upload_id.clone(),
        part_size,
        parts: state.db.uploads().parts(&session.id).await?,
    }))
}

/// Aborts the session's multipart upload, if it has one (the session is going away).
pub async fn abort(state: &AppState, session: &SessionRow) {
    let upload = match load(state, session).await {
        Ok(Some(upload)) => upload,
        Ok(None) => return,
        Err(err) => {
            tracing::warn!(session = %session.id, "cannot read the session's multipart upload: {err}");
            return;
        }
    };
    if let Err(err) = state.storage.abort_session_upload(&upload).await {
        tracing::warn!(session = %session.id, "could not abort the session's multipart upload: {err}");
    }
}
