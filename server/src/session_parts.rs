//! On S3, an upload session's bytes go on to a multipart upload as they arrive: each whole part
//! as soon as the session holds it, recorded in the database so a restarted server carries on.
//! Finishing the session then sends only the last part and completes the object, under the
//! clip's key (known from the start: the session reserved the clip's id).
//!
//! Only Ogg bodies are sent this way: they are stored as uploaded. A WebM body is rewritten
//! when it is finished (Ogg for audio-only, a new head for video), so its parts would not be
//! the object; it is stored from the session's file at the end, as a one-shot upload is.

use std::path::Path;

use crate::container::Container;
use crate::db::uploads::SessionRow;
use crate::error::AppResult;
use crate::state::AppState;
use crate::storage::SessionUpload;
use crate::storage::keys::{Object, object_key};

/// The session's file now durably holds `durable` bytes: send every whole part not yet sent.
/// A failure leaves the parts as they were (they are sent again next time, or at the end).
pub async fn send_ready(state: &AppState, session: &SessionRow, path: &Path, durable: u64) -> AppResult<()> {
    let (Some(part_size), Some(clip_id)) = (state.storage.session_part_size(), &session.reserved_clip_id) else {
        return Ok(());
    };
    // A part is sent only once the session holds more than it: the final length (perhaps
    // still unknown) must leave the last part non-empty or exactly at a part's end.
    if durable < part_size {
        return Ok(());
    }
    let mut upload = match load(state, session).await? {
        Some(upload) => upload,
        None => {
            let file = path.to_owned();
            if !tokio::task::spawn_blocking(move || crate::analyze::starts_like_ogg(&file))
                .await
                .unwrap_or(false)
            {
                return Ok(());
            }
            let key = object_key(clip_id, Object::Media(Container::Ogg));
            let upload_id = state
                .storage
                .start_session_upload(&key, Container::Ogg.content_type(None))
                .await?;
            state.db.uploads().set_multipart(&session.id, &key, &upload_id).await?;
            SessionUpload {
                key,
                upload_id,
                parts: Vec::new(),
            }
        }
    };
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
    Ok(Some(SessionUpload {
        key: key.clone(),
        upload_id: upload_id.clone(),
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
