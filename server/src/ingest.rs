//! Upload: body → staged file (size-limited, hashed as it streams; large bodies for S3 go on to
//! it as multipart parts meanwhile) → analysis → storage → row.
//!
//! A clip is visible only once its object is fully stored and its row committed. Every step
//! cleans up after itself: the staged file is a `NamedTempFile` (a body cut off mid-way goes
//! with the request), and the stored object is held by an [`ObjectGuard`] that deletes it
//! unless the row commits. Once the body is complete and valid, storing runs in its own task,
//! so a client hanging up then cannot split object from row.

use crate::hashing::{Digest, Hasher, hash_file};
use axum::body::Body;
use chrono::{SecondsFormat, Utc};
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

use crate::analyze::{Analysis, AnalyzeError, MediaFacts, Stored, analyze};
use crate::container::{Container, SNIFF_LEN};
use crate::db::clips::{ClipRow, StoredMedia};
use crate::domain::{ClipStatus, User, Visibility};
use crate::error::{AppError, AppResult};
use crate::live_analysis::LiveResult;
use crate::state::AppState;
use crate::storage::keys::{Object, object_key};
use crate::storage::{FirstPart, SessionUpload, Storage, StreamingUpload};

/// Who uploads and what they say about the clip (the media says the rest).
#[derive(Debug)]
pub struct UploadInfo {
    pub title: Option<String>,
    pub author: Option<String>,
    pub owner: User,
    /// The id and link reserved for it when its recording began (an upload session's).
    pub reserved: Option<Reserved>,
}

/// What a clip is known by before it exists: a take being recorded already has its link.
#[derive(Debug, Clone)]
pub struct Reserved {
    pub clip_id: String,
    pub share_token: String,
    pub visibility: Visibility,
}

pub async fn ingest(state: &AppState, body: Body, info: UploadInfo, declared_len: Option<u64>) -> AppResult<ClipRow> {
    let started = std::time::Instant::now();
    let id = crate::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    let staged = stage(state, body, &id, declared_len).await?;
    commit(state, id, staged, info, None, started).await
}

/// A body that arrived in pieces (an upload session) and is whole now, at `path`: checked,
/// stored and made a clip exactly as a one-shot upload — or, when it was analysed while it
/// arrived (`live`), with that analysis. The file stays where it is: the session removes it.
/// Returns the clip and the body's sha256 (the stored object's may differ: WebM is rewritten).
pub async fn ingest_file(
    state: &AppState,
    path: &std::path::Path,
    info: UploadInfo,
    live: Option<LiveResult>,
    session_upload: Option<SessionUpload>,
) -> AppResult<(ClipRow, String)> {
    let started = std::time::Instant::now();
    let id = match &info.reserved {
        Some(reserved) => reserved.clip_id.clone(),
        None => crate::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
    };
    let (size, sha256, analysis) = match live {
        Some(live) => (live.size, live.sha256, Some(live.analysis)),
        None => {
            let hashed = path.to_owned();
            let Digest { size, sha256 } = tokio::task::spawn_blocking(move || hash_file(&hashed))
                .await
                .map_err(|e| AppError::Internal(e.into()))?
                .map_err(|e| AppError::Internal(e.into()))?;
            (size, sha256, None)
        }
    };
    // Staged as a hard link: whatever happens here, the session keeps its bytes until the
    // caller removes them (a storage outage must not cost the take).
    let (staging_dir, body) = (state.staging_dir.clone(), path.to_owned());
    let file = crate::files::blocking(move || {
        tempfile::Builder::new()
            .prefix("session-")
            .make_in(&staging_dir, |staged| {
                std::fs::hard_link(&body, staged)?;
                std::fs::File::open(staged)
            })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let staged = Staged {
        file,
        size,
        sha256: sha256.clone(),
        streaming: None,
        session_upload,
    };
    Ok((commit(state, id, staged, info, analysis, started).await?, sha256))
}

/// Checks the staged body (unless that was done as it arrived: `analysis`), stores it and
/// inserts its row.
async fn commit(
    state: &AppState,
    id: String,
    staged: Staged,
    info: UploadInfo,
    analysis: Option<Analysis>,
    started: std::time::Instant,
) -> AppResult<ClipRow> {
    let staged_at = started.elapsed();
    let checked_on_arrival = analysis.is_some();
    let analysis = match analysis {
        Some(analysis) => analysis,
        None => {
            let path = staged.file.path().to_owned();
            let want_file = staged.streaming.is_none();
            tokio::task::spawn_blocking(move || analyze(&path, want_file))
                .await
                .map_err(|e| AppError::Internal(e.into()))?
                .map_err(|e| match e {
                    AnalyzeError::Unsupported(why) => AppError::UnsupportedMedia(why),
                    AnalyzeError::Malformed(why) => AppError::BadRequest(why),
                    AnalyzeError::Io(io) => AppError::Internal(io.into()),
                })?
        }
    };
    let facts = analysis.facts;
    let analyzed_at = started.elapsed();
    let key = object_key(&id, Object::Media(facts.container));
    let (size, sha256) = match &analysis.stored {
        Stored::Upload => (staged.size, staged.sha256.clone()),
        Stored::File(r) => (r.size, r.sha256.clone()),
        Stored::HeadAndTail { size, sha256, .. } => (*size, sha256.clone()),
    };
    let share_token = match &info.reserved {
        Some(reserved) => reserved.share_token.clone(),
        None => {
            crate::auth::secrets::new_secret().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?
        }
    };
    let row = clip_row(id, key, info, &facts, size, sha256, share_token);
    // The whole body has arrived and checks out: from here on the clip is finished even if the
    // client hangs up, in a task of its own. (Dropping a request mid-store could otherwise
    // leave a blocking write completing after its cleanup ran: an object without a row.)
    let commit_state = state.clone();
    let content_type = facts.container.content_type(facts.video_codec.as_deref());
    let row = tokio::spawn(async move {
        store(&commit_state, &row.storage_key, staged, analysis.stored, content_type).await?;
        let guard = ObjectGuard::new(commit_state.storage.clone(), row.storage_key.clone());
        commit_state.db.clips().insert(&row).await?;
        guard.disarm();
        Ok::<_, AppError>(row)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    state.transcription.wake();
    let stored_at = started.elapsed();
    tracing::info!(
        clip = %row.id,
        bytes = size,
        duration_ms = row.duration_ms,
        staged_ms = staged_at.as_millis() as u64,
        analyzed_ms = (analyzed_at - staged_at).as_millis() as u64,
        checked_on_arrival,
        stored_ms = (stored_at - analyzed_at).as_millis() as u64,
        "stored clip"
    );
    Ok(row)
}

/// Puts the stored object in place: by completing the streaming upload when its parts are the
/// object's, else from a file.
async fn store(state: &AppState, key: &str, staged: Staged, stored: Stored, content_type: &str) -> AppResult<()> {
    let Staged {
        file,
        size,
        streaming,
        session_upload,
        ..
    } = staged;
    if let Some(upload) = session_upload {
        if upload.key == key && matches!(stored, Stored::Upload) {
            state.storage.finish_session_upload(&upload, file.path(), size).await?;
            tracing::debug!(%key, parts_sent_before = upload.parts.len(), "completed the session's multipart upload");
            return Ok(());
        }
        // Not the object after all (a body rewritten when checked): stored from the file.
        if let Err(err) = state.storage.abort_session_upload(&upload).await {
            tracing::warn!(key = %upload.key, "could not abort a session's multipart upload: {err}");
        }
    }
    if let Some(upload) = streaming {
        if upload.key() == key {
            let (first, end) = match &stored {
                Stored::Upload => (Some(FirstPart::AsUploaded), size),
                // The new head and the upload's first clusters make the first part, which must
                // stay a full-size part (S3's minimum is 5 MiB).
                Stored::HeadAndTail { head, tail, .. } if tail.0 + (5 << 20) <= upload.part_size() => (
                    Some(FirstPart::NewHead {
                        head: head.clone(),
                        resume_at: tail.0,
                    }),
                    tail.1,
                ),
                _ => (None, 0),
            };
            if let Some(first) = first
                && end >= upload.sent_to()
            {
                upload.complete(first, end).await?;
                return Ok(());
            }
        }
        // Not the object after all (e.g. audio-only WebM became Ogg): dropping aborts it.
        drop(upload);
    }
    let (path, size, _keep) = match stored {
        Stored::Upload => (file.path().to_owned(), size, None),
        Stored::File(r) => (r.file.path().to_owned(), r.size, Some(r.file)),
        Stored::HeadAndTail { head, tail, .. } => {
            let upload = file.path().to_owned();
            let r = tokio::task::spawn_blocking(move || crate::analyze::write_head_and_tail(&upload, &head, tail))
                .await
                .map_err(|e| AppError::Internal(e.into()))?
                .map_err(|e| AppError::Internal(e.into()))?;
            (r.file.path().to_owned(), r.size, Some(r.file))
        }
    };
    state.storage.put_file(key, &path, size, content_type).await?;
    drop(file);
    Ok(())
}

/// An upload, staged: the file, its size and sha256, and the S3 upload already fed from it
/// (while a one-shot body streamed in, or while a session's take was recorded).
struct Staged {
    file: tempfile::NamedTempFile,
    size: u64,
    sha256: String,
    streaming: Option<StreamingUpload>,
    session_upload: Option<SessionUpload>,
}

/// Streams the body into a temporary file under the staging directory, enforcing the size limit
/// as it goes and hashing every byte. A large body headed for S3 is sent on as it arrives, in
/// multipart parts (see [`StreamingUpload`]), under the key its first bytes suggest.
async fn stage(state: &AppState, body: Body, id: &str, declared_len: Option<u64>) -> AppResult<Staged> {
    let (staged, mut file) = crate::files::temp_file(&state.staging_dir, "upload-")
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut hasher = Hasher::default();
    let mut size = 0u64;
    let mut magic: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut streaming: Option<StreamingUpload> = None;
    let mut streaming_decided = false;
    let limit = state.config.max_upload_bytes;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload was cut off: {e}")))?
    {
        size += chunk.len() as u64;
        if size > limit {
            return Err(AppError::TooLarge { limit });
        }
        hasher.update(&chunk);
        if magic.len() < SNIFF_LEN {
            magic.extend(chunk.iter().take(SNIFF_LEN - magic.len()));
        }
        file.write_all(&chunk).await.map_err(|e| AppError::Internal(e.into()))?;
        if !streaming_decided && magic.len() == SNIFF_LEN {
            streaming_decided = true;
            // Anything else is refused by analysis anyway.
            if let Some(container) = Container::sniff(&magic) {
                streaming = state
                    .storage
                    .begin_streaming(
                        &object_key(id, Object::Media(container)),
                        container.content_type(None),
                        staged.path().to_owned(),
                        declared_len,
                    )
                    .await?;
            }
        }
        if let Some(upload) = &mut streaming
            && upload.wants(size)
        {
            file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
            upload.staged(size);
        }
    }
    file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(Staged {
        file: staged,
        size,
        sha256: hasher.finish().sha256,
        streaming,
        session_upload: None,
    })
}

fn clip_row(
    id: String,
    storage_key: String,
    info: UploadInfo,
    facts: &MediaFacts,
    size: u64,
    sha256: String,
    share_token: String,
) -> ClipRow {
    let title = info
        .title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| facts.title.clone())
        .unwrap_or_else(|| "Untitled clip".to_owned());
    let silences: Vec<[u64; 2]> = facts.waveform.silences.iter().map(|&(a, b)| [a, b]).collect();
    ClipRow {
        id,
        title,
        author: info.author.filter(|a| !a.trim().is_empty()),
        created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        recorded_at: facts
            .recorded_at
            .map(|t| t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true)),
        recorded_utc_offset: facts.recorded_at.map(|t| i64::from(t.offset().local_minus_utc() / 60)),
        status: ClipStatus::Ready,
        media: StoredMedia {
            container: facts.container.name().to_owned(),
            content_type: facts.container.content_type(facts.video_codec.as_deref()).to_owned(),
            audio_codec: facts.audio_codec.to_owned(),
            video_codec: facts.video_codec.clone(),
            has_video: facts.video_codec.is_some(),
            width: facts.width.map(i64::from),
            height: facts.height.map(i64::from),
            channels: i64::from(facts.channels),
            sample_rate: i64::from(facts.sample_rate),
            byte_size: i64::try_from(size).unwrap_or(i64::MAX),
            sha256,
        },
        duration_ms: i64::try_from(facts.duration_ms).unwrap_or(i64::MAX),
        storage_key,
        peaks_per_second: i64::from(media::waveform::PEAKS_PER_SECOND),
        peaks: facts.waveform.peaks.clone(),
        silences: serde_json::to_string(&silences).unwrap_or_else(|_| "[]".into()),
        owner_id: Some(info.owner.id.clone()),
        workspace_id: Some(info.owner.workspace_id.clone()),
        visibility: info.reserved.map_or(Visibility::Workspace, |r| r.visibility),
        share_token: Some(share_token),
        share_expires_at: None,
        guests_may_reply: false,
        poster_key: None,
    }
}

/// Deletes a stored object on drop unless disarmed: an object never outlives a failed ingest.
struct ObjectGuard {
    storage: Storage,
    key: Option<String>,
}

impl ObjectGuard {
    fn new(storage: Storage, key: String) -> Self {
        Self {
            storage,
            key: Some(key),
        }
    }

    fn disarm(mut self) {
        self.key = None;
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let storage = self.storage.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = storage.delete(&key).await {
                    tracing::warn!(%key, "could not remove the object of a failed upload: {err}");
                }
            });
        }
    }
}
