//! Resumable uploads, tus 1.0 (core; creation with `Upload-Defer-Length`; termination), so a
//! take can be sent while it is still being recorded and resumed after any failure:
//!
//! - `POST /api/v1/uploads` (`Upload-Length` or `Upload-Defer-Length: 1`, optional
//!   `Upload-Metadata: title <base64>,visibility <base64 of workspace|link>`) → 201 with
//!   `Location`, and the clip's share link in `Offbeat-Page-Url` at once: until the take is
//!   final its page says it is being recorded.
//! - `HEAD /api/v1/uploads/{id}` → `Upload-Offset`: how much the server has, durably.
//! - `PATCH /api/v1/uploads/{id}` (`Upload-Offset` must match; `application/offset+octet-stream`)
//!   appends, and may set the final `Upload-Length`. When the offset reaches the length the
//!   body runs the same checks as a one-shot upload and becomes a clip, atomically; the answer
//!   carries `Offbeat-Clip-Id` and `Offbeat-Clip-Url`.
//! - `GET /api/v1/uploads/{id}` → JSON: offset, length, and once done the body's sha256 (what a
//!   client compares with its take) and the clip.
//! - `DELETE /api/v1/uploads/{id}` → gone.
//!
//! Bytes are written at the offset and synced before the offset is recorded, so after a crash
//! the recorded offset never runs ahead of the bytes on disk. Sessions survive restarts. An Ogg
//! Opus body is checked as it arrives ([`crate::live_analysis`]), so the last PATCH only has
//! the tail left to check.

use std::io::SeekFrom;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::auth::Viewer;
use crate::db::uploads::{self, SessionRow};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult, Missing};
use crate::ingest::{Reserved, UploadInfo, ingest_file};
use crate::services::clips::{Audience, ClipView};
use crate::state::AppState;

const TUS_VERSION: &str = "1.0.0";
const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");

fn tus_headers() -> [(HeaderName, HeaderValue); 1] {
    [(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION))]
}

fn number(headers: &HeaderMap, name: &HeaderName) -> AppResult<Option<i64>> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| AppError::BadRequest(format!("{name} is not a non-negative number")))
        })
        .transpose()
}

/// `OPTIONS /api/v1/uploads`: what this server speaks.
pub async fn options(State(state): State<AppState>) -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            ("tus-resumable", TUS_VERSION.to_owned()),
            ("tus-version", TUS_VERSION.to_owned()),
            ("tus-extension", "creation,creation-defer-length,termination".to_owned()),
            ("tus-max-size", state.config.max_upload_bytes.to_string()),
        ],
    )
        .into_response()
}

pub async fn create(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap) -> AppResult<Response> {
    let user = viewer.require_user()?;
    let length = number(&headers, &UPLOAD_LENGTH)?;
    let deferred = headers.get(&UPLOAD_DEFER_LENGTH).is_some_and(|v| v == "1");
    if length.is_none() && !deferred {
        return Err(AppError::BadRequest(
            "Upload-Length or Upload-Defer-Length: 1 is required".into(),
        ));
    }
    if length.is_some_and(|l| l as u64 > state.config.max_upload_bytes) {
        return Err(AppError::TooLarge {
            limit: state.config.max_upload_bytes,
        });
    }
    let title = metadata(&headers, "title").filter(|t| t.len() <= 500);
    let visibility = match metadata(&headers, "visibility") {
        None => Visibility::Workspace,
        Some(text) => text
            .parse()
            .map_err(|_| AppError::BadRequest(format!("visibility is workspace or link, not {text:?}")))?,
    };
    let no_randomness = |e| AppError::Internal(anyhow::anyhow!("no randomness: {e}"));
    let id = crate::ids::new_id().map_err(no_randomness)?;
    let reserved_clip_id = crate::ids::new_id().map_err(no_randomness)?;
    let share_token = crate::auth::secrets::new_secret().map_err(no_randomness)?;
    tokio::fs::File::create(part_path(&state, &id))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .db
        .uploads()
        .insert(&uploads::NewSession {
            id: &id,
            owner_id: &user.id,
            length,
            title: title.as_deref(),
            reserved_clip_id: &reserved_clip_id,
            share_token: &share_token,
            visibility,
        })
        .await?;
    let location = format!("{}/api/v1/uploads/{id}", state.public_url);
    let page = format!("{}/c/{share_token}", state.public_url);
    Ok((
        StatusCode::CREATED,
        tus_headers(),
        [
            (header::LOCATION, location),
            (HeaderName::from_static("offbeat-page-url"), page),
        ],
    )
        .into_response())
}

/// A value of `Upload-Metadata` (comma-separated `key base64(value)` pairs).
fn metadata(headers: &HeaderMap, wanted: &str) -> Option<String> {
    let meta = headers.get("upload-metadata")?.to_str().ok()?;
    let bytes = meta.split(',').find_map(|pair| {
        let (key, value) = pair.trim().split_once(' ')?;
        (key == wanted).then(|| base64::engine::general_purpose::STANDARD.decode(value.trim()).ok())?
    })?;
    String::from_utf8(bytes).ok()
}

fn part_path(state: &AppState, id: &str) -> std::path::PathBuf {
    state.uploads_dir.join(format!("{id}.part"))
}

/// The caller's own session (anyone else's is the same 404 as none).
async fn session(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<SessionRow> {
    let user = viewer.require_user()?;
    if !crate::ids::is_well_formed(id) {
        return Err(AppError::NotFound(Missing::UploadSession));
    }
    state
        .db
        .uploads()
        .get(id)
        .await?
        .filter(|s| s.owner_id == user.id)
        .ok_or(AppError::NotFound(Missing::UploadSession))
}

fn offset_headers(session: &SessionRow, state: &AppState) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION)),
        (UPLOAD_OFFSET, HeaderValue::from(session.offset)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    match session.length {
        Some(length) => headers.push((UPLOAD_LENGTH, HeaderValue::from(length))),
        None => headers.push((UPLOAD_DEFER_LENGTH, HeaderValue::from_static("1"))),
    }
    if let Some(token) = &session.share_token
        && let Ok(v) = HeaderValue::from_str(&format!("{}/c/{token}", state.public_url))
    {
        headers.push((HeaderName::from_static("offbeat-page-url"), v));
    }
    if let Some(clip) = &session.clip_id {
        if let Ok(v) = HeaderValue::from_str(clip) {
            headers.push((HeaderName::from_static("offbeat-clip-id"), v));
        }
        if let Ok(v) = HeaderValue::from_str(&format!("{}/api/v1/clips/{clip}", state.public_url)) {
            headers.push((HeaderName::from_static("offbeat-clip-url"), v));
        }
    }
    headers
}

pub async fn head(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Response> {
    let session = session(&state, &viewer, &id).await?;
    Ok((
        StatusCode::OK,
        axum::response::AppendHeaders(offset_headers(&session, &state)),
    )
        .into_response())
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let session = session(&state, &viewer, &id).await?;
    let clip = match &session.clip_id {
        Some(clip_id) => {
            // Deleted since: the session says so by having no clip.
            match state.db.clips().get(clip_id).await? {
                Some(row) => Some(ClipView::load(&state, row, Audience::OWNER).await?),
                None => None,
            }
        }
        None => None,
    };
    // Whole parts already in S3 (a take sent while recorded finishes with only its last).
    let stored_parts = crate::session_parts::load(&state, &session)
        .await?
        .map_or(0, |u| u.parts.len());
    Ok(Json(json!({
        "id": session.id,
        "offset": session.offset,
        "length": session.length,
        "stored_parts": stored_parts,
        // What arrived, hashed: a client confirms its take by this.
        "sha256": session.body_sha256,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "clip": clip,
    })))
}

pub async fn patch(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    // Ownership first; the row is read again under the lock.
    session(&state, &viewer, &id).await?;
    if headers
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v != "application/offset+octet-stream")
    {
        return Err(AppError::UnsupportedMedia(
            "PATCH bodies are application/offset+octet-stream".into(),
        ));
    }
    let Some(offset) = number(&headers, &UPLOAD_OFFSET)? else {
        return Err(AppError::BadRequest("Upload-Offset is required".into()));
    };
    // One writer per session at a time.
    let _lock = state
        .upload_locks
        .lock(&id)
        .ok_or_else(|| AppError::Conflict("another request is writing this upload".into()))?;
    let mut session = session_fresh(&state, &id).await?;
    if session.clip_id.is_some() {
        return Err(AppError::Conflict("this upload is already complete".into()));
    }
    if offset != session.offset {
        return Err(AppError::Conflict(format!(
            "the upload is at offset {}, not {offset}",
            session.offset
        )));
    }
    if let Some(length) = number(&headers, &UPLOAD_LENGTH)? {
        if session.length.is_some_and(|l| l != length) || length < session.offset {
            return Err(AppError::BadRequest("Upload-Length cannot change".into()));
        }
        if length as u64 > state.config.max_upload_bytes {
            return Err(AppError::TooLarge {
                limit: state.config.max_upload_bytes,
            });
        }
        session.length = Some(length);
    }
    let limit = session.length.map_or(state.config.max_upload_bytes, |l| l as u64);
    let path = part_path(&state, &id);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    file.seek(SeekFrom::Start(offset as u64))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut written = offset as u64;
    let mut stream = body.into_data_stream();
    let mut cut_off = None;
    loop {
        match stream.try_next().await {
            Ok(Some(chunk)) => {
                if written + chunk.len() as u64 > limit {
                    cut_off = Some(AppError::TooLarge { limit });
                    break;
                }
                file.write_all(&chunk).await.map_err(|e| AppError::Internal(e.into()))?;
                written += chunk.len() as u64;
            }
            Ok(None) => break,
            Err(e) => {
                // Keep what arrived: the client resumes from the offset it reads back.
                cut_off = Some(AppError::BadRequest(format!("the upload was cut off: {e}")));
                break;
            }
        }
    }
    // Durable before it is promised: sync the bytes, then record the offset.
    file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
    file.sync_data().await.map_err(|e| AppError::Internal(e.into()))?;
    drop(file);
    state.db.uploads().advance(&id, written as i64, session.length).await?;
    session.offset = written as i64;
    state
        .live_analyses
        .advance(&id, path.clone(), written, session.length.map(|l| l as u64));
    if let Err(err) = crate::session_parts::send_ready(&state, &session, &path, written).await {
        // Not fatal: the bytes are safe on disk, and the parts go again next time or at the end.
        tracing::warn!(session = %id, "could not send a part on to storage yet: {err}");
    }
    if let Some(err) = cut_off {
        return Err(err);
    }
    if session.length == Some(session.offset) {
        let owner = viewer.require_user()?.clone();
        let reserved = match (&session.reserved_clip_id, &session.share_token) {
            (Some(clip_id), Some(share_token)) => Some(Reserved {
                clip_id: clip_id.clone(),
                share_token: share_token.clone(),
                visibility: session.visibility,
            }),
            _ => None,
        };
        let info = UploadInfo {
            title: session.title.clone(),
            author: Some(owner.display_name.clone()),
            owner,
            reserved,
        };
        let live = state.live_analyses.finish(&id).await;
        // Re-read: sending parts just now may have started the multipart upload.
        let fresh = session_fresh(&state, &id).await?;
        let session_upload = crate::session_parts::load(&state, &fresh).await?;
        match ingest_file(&state, &path, info, live, session_upload).await {
            Ok((clip, body_sha256)) => {
                state.db.uploads().finished(&id, &clip.id, &body_sha256).await?;
                let _ = tokio::fs::remove_file(&path).await;
                session.clip_id = Some(clip.id);
            }
            Err(err @ (AppError::BadRequest(_) | AppError::UnsupportedMedia(_))) => {
                // The body is whole and wrong: nothing more will make it right.
                crate::session_parts::abort(&state, &fresh).await;
                let _ = tokio::fs::remove_file(&path).await;
                state.db.uploads().delete(&id).await?;
                return Err(err);
            }
            // Anything else (storage unavailable…) may pass: the session stays whole, and an
            // empty PATCH at its length tries again.
            Err(err) => return Err(err),
        }
    }
    Ok((
        StatusCode::NO_CONTENT,
        axum::response::AppendHeaders(offset_headers(&session, &state)),
    )
        .into_response())
}

async fn session_fresh(state: &AppState, id: &str) -> AppResult<SessionRow> {
    state
        .db
        .uploads()
        .get(id)
        .await?
        .ok_or(AppError::NotFound(Missing::UploadSession))
}

pub async fn terminate(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Response> {
    let session = session(&state, &viewer, &id).await?;
    let _lock = state
        .upload_locks
        .lock(&id)
        .ok_or_else(|| AppError::Conflict("the upload is busy".into()))?;
    state.live_analyses.forget(&session.id);
    crate::session_parts::abort(&state, &session).await;
    let _ = tokio::fs::remove_file(part_path(&state, &session.id)).await;
    state.db.uploads().delete(&session.id).await?;
    Ok((StatusCode::NO_CONTENT, tus_headers()).into_response())
}

/// Removes sessions nobody has touched for `ttl`: their bytes and their rows.
pub async fn clean_abandoned(state: &AppState, ttl: std::time::Duration) -> anyhow::Result<usize> {
    let before = crate::domain::timestamp(chrono::Utc::now() - chrono::Duration::from_std(ttl)?);
    let stale = state.db.uploads().abandoned(&before).await?;
    for session in &stale {
        state.live_analyses.forget(&session.id);
        // S3 keeps (and bills) an unfinished multipart upload's parts until it is aborted.
        crate::session_parts::abort(state, session).await;
        let _ = tokio::fs::remove_file(part_path(state, &session.id)).await;
        state.db.uploads().delete(&session.id).await?;
    }
    Ok(stale.len())
}
