//! Upload: body → staged file (size-limited, hashed as it streams; large bodies for S3 go on to
//! it as multipart parts meanwhile) → analysis → storage → row.
//!
//! A clip is visible only once its object is fully stored and its row committed. Every step
//! cleans up after itself: the staged file is a `NamedTempFile` (a body cut off mid-way goes
//! with the request), and the stored object is held by an [`ObjectGuard`] that deletes it
//! unless the row commits. Once the body is complete and valid, storing runs in its own task,
//! so a client hanging up then cannot split object from row.

use crate::hashing::{Digest, hash_file, hash_head_and_tail};
use crate::pipeline::staging::{Hashing, StagingWriter};
use axum::body::Body;
use chrono::Utc;
use futures_util::TryStreamExt;

use crate::analysis::live::LiveResult;
use crate::analysis::{Analysis, AnalyzeError, MediaFacts, Stored, analyze};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::keys::{Object, object_key};
use crate::storage::{SessionUpload, Storage, StreamingUpload};
use db::Timestamp;
use db::clips::{BeingStored, ClipRow, MediaLayout, StoredMedia};
use db::domain::{ClipStatus, User, Visibility};
use media::container::{Container, SNIFF_LEN};

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
    let room = crate::pipeline::quotas::for_clip(state, &info.owner).await?;
    room.check(declared_len)?;
    let id = db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    let staged = stage(state, body, &id, declared_len, room).await?;
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
        None => db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
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
    let file = crate::pipeline::files::blocking(move || {
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
        sha256: Some(sha256.clone()),
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
            tokio::task::spawn_blocking(move || analyze(&path))
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
    let share_token = match &info.reserved {
        Some(reserved) => reserved.share_token.clone(),
        None => {
            crate::auth::secrets::new_secret().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?
        }
    };
    let digest = match &analysis.stored {
        Stored::Upload => match &staged.sha256 {
            Some(sha256) => StoredDigest::Known(Digest {
                size: staged.size,
                sha256: sha256.clone(),
            }),
            // Not hashed as it arrived (it looked like WebM), yet stored as it is.
            None => {
                let path = staged.file.path().to_owned();
                StoredDigest::Hashing(tokio::task::spawn_blocking(move || hash_file(&path)))
            }
        },
        Stored::File(r) => StoredDigest::Known(Digest {
            size: r.size,
            sha256: r.sha256.clone(),
        }),
        Stored::HeadAndTail { head, tail } => {
            let (file, head, tail) = (staged.file.reopen(), head.clone(), *tail);
            StoredDigest::Hashing(tokio::task::spawn_blocking(move || {
                hash_head_and_tail(file?, &head, tail)
            }))
        }
    };
    // The whole body has arrived and checks out: from here on the clip is finished even if the
    // client hangs up, in a task of its own. (Dropping a request mid-store could otherwise
    // leave a blocking write completing after its cleanup ran: an object without a row.)
    let commit_state = state.clone();
    let content_type = facts.container.content_type(facts.video_codec.as_deref());
    let row = tokio::spawn(async move {
        // Whatever part of the media is stored goes again if the row does not commit — and if
        // this process dies first, the janitor finds it noted (`sweep_stray_objects`).
        let keys = vec![key.clone(), object_key(&id, Object::MediaHead)];
        let noted: Vec<&str> = keys.iter().map(String::as_str).collect();
        commit_state
            .db
            .clips()
            .storing(&id, &noted, &commit_state.process.id)
            .await?;
        let guard = ObjectGuard::new(commit_state.storage.clone(), keys);
        let layout = store(&commit_state, &id, &key, staged, analysis.stored, content_type).await?;
        let Digest { size, sha256 } = digest.get().await?;
        let row = ClipRow {
            layout,
            ..clip_row(id, key, info, &facts, size, sha256, share_token)
        };
        let composing =
            crate::storage::clip_media::composing(&commit_state.storage, commit_state.config.s3_presign_media);
        commit_state.db.clips().insert(&row, composing).await?;
        guard.disarm();
        Ok::<_, AppError>(row)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    state.wakes.job(db::domain::JobKind::Transcript).notify_one();
    state.wakes.job(db::domain::JobKind::Compose).notify_one();
    state.wakes.events().notify_one();
    let stored_at = started.elapsed();
    tracing::info!(
        clip = %row.id,
        bytes = row.media.byte_size,
        duration_ms = row.duration_ms,
        staged_ms = staged_at.as_millis() as u64,
        analyzed_ms = (analyzed_at - staged_at).as_millis() as u64,
        checked_on_arrival,
        stored_ms = (stored_at - analyzed_at).as_millis() as u64,
        "stored clip"
    );
    Ok(row)
}

/// Puts the media in storage and says how it is laid out there. A video WebM that needs a new
/// head keeps its body as it arrived, with the head as an object of its own
/// ([`MediaLayout::HeadBeforeTail`]): its parts can go to S3 while it arrives, and finishing it
/// sends the last part and a few kilobytes, never the whole body again.
async fn store(
    state: &AppState,
    clip_id: &str,
    key: &str,
    staged: Staged,
    stored: Stored,
    content_type: &str,
) -> AppResult<MediaLayout> {
    let Staged {
        file,
        size,
        streaming,
        session_upload,
        ..
    } = staged;
    match stored {
        Stored::Upload => {
            store_as_uploaded(state, key, file.path(), size, content_type, streaming, session_upload).await?;
            Ok(MediaLayout::Whole)
        }
        Stored::File(replacement) => {
            // Not the upload after all (e.g. audio-only WebM became Ogg): whatever was sent of
            // the upload goes (dropping a streaming upload aborts it).
            abort_session_upload(state, session_upload).await;
            drop(streaming);
            state
                .storage
                .put_file(key, replacement.file.path(), replacement.size, content_type)
                .await?;
            Ok(MediaLayout::Whole)
        }
        Stored::HeadAndTail { head, tail } => {
            // The head first: a body completed from its session's parts cannot be completed twice,
            // so it is the last thing that may fail.
            let head_key = object_key(clip_id, Object::MediaHead);
            state.storage.put_bytes(&head_key, head, content_type).await?;
            store_as_uploaded(state, key, file.path(), size, content_type, streaming, session_upload).await?;
            Ok(MediaLayout::HeadBeforeTail {
                head_key,
                tail: tail.0..tail.1,
            })
        }
    }
}

/// Stores the upload at `path` as it is under `key`: by completing the S3 upload already fed
/// from it (a session's, or a one-shot body's streaming one) when it is under that key, else
/// from the file.
async fn store_as_uploaded(
    state: &AppState,
    key: &str,
    path: &std::path::Path,
    size: u64,
    content_type: &str,
    streaming: Option<StreamingUpload>,
    session_upload: Option<SessionUpload>,
) -> AppResult<()> {
    let not_the_object = match session_upload {
        Some(upload) if upload.key == key => match state.storage.finish_session_upload(&upload, path, size).await {
            Ok(()) => {
                tracing::debug!(%key, parts_sent_before = upload.parts.len(), "completed the session's multipart upload");
                return Ok(());
            }
            // E.g. completed by an earlier try whose row did not commit: the file has it all.
            Err(err) => {
                tracing::warn!(%key, "could not complete the session's multipart upload, storing it whole: {err}");
                Some(upload)
            }
        },
        other => other,
    };
    abort_session_upload(state, not_the_object).await;
    if let Some(upload) = streaming
        && upload.key() == key
        && size >= upload.sent_to()
    {
        upload.complete(size).await?;
        return Ok(());
    }
    state.storage.put_file(key, path, size, content_type).await?;
    Ok(())
}

/// Gives up a session's multipart upload that is not the object after all.
async fn abort_session_upload(state: &AppState, upload: Option<SessionUpload>) {
    if let Some(upload) = upload
        && let Err(err) = state.storage.abort_session_upload(&upload).await
    {
        tracing::warn!(key = %upload.key, "could not abort a session's multipart upload: {err}");
    }
}

/// The stored media's size and sha256: known already, or (a head composed in front of the
/// body) being hashed while the media is stored.
enum StoredDigest {
    Known(Digest),
    Hashing(tokio::task::JoinHandle<std::io::Result<Digest>>),
}

impl StoredDigest {
    async fn get(self) -> AppResult<Digest> {
        match self {
            Self::Known(digest) => Ok(digest),
            Self::Hashing(hashing) => hashing
                .await
                .map_err(|e| AppError::Internal(e.into()))?
                .map_err(|e| AppError::Internal(e.into())),
        }
    }
}

/// An upload, staged: the file, its size and sha256, and the S3 upload already fed from it
/// (while a one-shot body streamed in, or while a session's take was recorded).
struct Staged {
    file: tempfile::NamedTempFile,
    size: u64,
    /// `None` when it was not hashed as it arrived ([`Hashing::SizeOnly`]).
    sha256: Option<String>,
    streaming: Option<StreamingUpload>,
    session_upload: Option<SessionUpload>,
}

/// Streams the body into a temporary file under the staging directory, enforcing the size limit
/// as it goes and hashing every byte unless what is stored is made from it (WebM). A large body
/// headed for S3 is sent on as it arrives, in multipart parts (see [`StreamingUpload`]), under
/// the key its first bytes suggest.
async fn stage(
    state: &AppState,
    body: Body,
    id: &str,
    declared_len: Option<u64>,
    room: crate::pipeline::quotas::Room,
) -> AppResult<Staged> {
    let (staged, file) = crate::pipeline::files::temp_file_for_blocking_writes(&state.staging_dir, "upload-")
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut writer = StagingWriter::new(file);
    let mut size = 0u64;
    let mut magic: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut streaming: Option<StreamingUpload> = None;
    let mut streaming_decided = false;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload was cut off: {e}")))?
    {
        size += chunk.len() as u64;
        if size > room.bytes {
            return Err(room.full.error());
        }
        if magic.len() < SNIFF_LEN {
            magic.extend(chunk.iter().take(SNIFF_LEN - magic.len()));
        }
        writer.push(chunk).await.map_err(|e| AppError::Internal(e.into()))?;
        if !streaming_decided && magic.len() == SNIFF_LEN {
            streaming_decided = true;
            let container = Container::sniff(&magic);
            // What is stored of a WebM body is made from it (a new head before its clusters,
            // or an Ogg remux) and hashed as that is made: its own sha256 would go unused.
            writer.decide(match container {
                Some(Container::WebM) => Hashing::SizeOnly,
                _ => Hashing::Whole,
            });
            // Anything else is refused by analysis anyway.
            if let Some(container) = container {
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
            let written = writer.written().await.map_err(|e| AppError::Internal(e.into()))?;
            upload.staged(written);
        }
    }
    let (size, digest) = writer.finish().await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(Staged {
        file: staged,
        size,
        sha256: digest.map(|d| d.sha256),
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
    // A title given, even an empty one (a reply sent from a file has none of its own), is the
    // clip's; none given, the file's own. Untitled until its transcript gives it its first words.
    let title = match info.title {
        Some(given) => given.trim().to_owned(),
        // A file's own tag is taken, but never its control characters.
        None => facts
            .title
            .as_deref()
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_owned(),
    };
    let silences: Vec<[u64; 2]> = facts.waveform.silences.iter().map(|&(a, b)| [a, b]).collect();
    ClipRow {
        id,
        title,
        author: info.author.filter(|a| !a.trim().is_empty()),
        created_at: Timestamp::now(),
        recorded_at: facts.recorded_at.map(|t| Timestamp::from(t.with_timezone(&Utc))),
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
        layout: MediaLayout::Whole,
        trim: db::clips::Trim::Whole,
        peaks_per_second: i64::from(media::waveform::PEAKS_PER_SECOND),
        peaks: facts.waveform.peaks.clone(),
        silences: serde_json::to_string(&silences).unwrap_or_else(|_| "[]".into()),
        owner_id: Some(info.owner.id.clone()),
        workspace_id: Some(info.owner.workspace_id.clone()),
        visibility: info.reserved.map_or(Visibility::Workspace, |r| r.visibility),
        share_token: Some(share_token),
        share_expires_at: None,
        guests_may_reply: false,
        outsiders_see: db::domain::OutsidersSee::Message,
        poster_key: None,
    }
}

/// Deletes stored objects on drop unless disarmed: no object outlives a failed ingest.
struct ObjectGuard {
    storage: Storage,
    keys: Vec<String>,
}

impl ObjectGuard {
    fn new(storage: Storage, keys: Vec<String>) -> Self {
        Self { storage, keys }
    }

    fn disarm(mut self) {
        self.keys.clear();
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        if keys.is_empty() {
            return;
        }
        let storage = self.storage.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for key in keys {
                    if let Err(err) = storage.delete(&key).await {
                        tracing::warn!(%key, "could not remove an object of a failed upload: {err}");
                    }
                }
            });
        }
    }
}

/// Removes the objects a process that died stored for clips whose rows never came (and forgets
/// those whose rows did); how many it removed. Objects a live process is storing are its own,
/// unless they are older than any store takes (what a failed store's cleanup left noted).
pub async fn sweep_stray_objects(state: &AppState) -> AppResult<usize> {
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::hours(1);
    let mut removed = 0;
    let mut alive: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for BeingStored {
        clip_id,
        key,
        holder,
        created_at,
    } in state.db.clips().being_stored().await?
    {
        let holder_alive = created_at.instant() > long_ago
            && match alive.get(&holder) {
                Some(known) => *known,
                None => {
                    let known =
                        holder == state.process.id || state.db.processes().alive_url(&holder, now).await?.is_some();
                    alive.insert(holder.clone(), known);
                    known
                }
            };
        if holder_alive {
            continue;
        }
        // Nothing names it: its clip never got a row, or a trim never finished.
        if !state.db.clips().names_object(&key).await? {
            match state.storage.delete(&key).await {
                Ok(()) => removed += 1,
                Err(crate::storage::StorageError::NotFound) => {}
                Err(err) => return Err(err.into()),
            }
        }
        state.db.clips().not_storing(&clip_id, &key).await?;
    }
    Ok(removed)
}
