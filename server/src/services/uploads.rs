//! Upload sessions: a take sent while it is still being recorded, resumable after any failure.
//! A session is created with its clip's id and link reserved; `append` adds bytes at the
//! offset the server vouches for; `finish` turns the whole body into the clip (the same checks
//! as a one-shot upload); `abandon` gives it up. `routes/uploads.rs` speaks tus over these.
//!
//! Bytes are written at the offset and synced before the offset is recorded, so after a crash
//! the recorded offset never runs ahead of the bytes on disk. An Ogg Opus body is checked as it
//! arrives ([`crate::live_analysis`]) and, on S3, sent on in whole parts
//! ([`crate::session_parts`]), so finishing only has the tail left to do.

use std::io::SeekFrom;
use std::path::PathBuf;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use serde::Serialize;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::auth::Viewer;
use crate::error::{AppError, AppResult, Missing};
use crate::pipeline::ingest::{Reserved, UploadInfo, ingest_file};
use crate::services::clips::{Audience, ClipView};
use crate::state::{AppState, UploadLock};
use db::domain::{TakeEnding, User, Visibility};
use db::uploads::{NewSession, SessionRow, Takeover};

/// How long the body will be, as the client declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredLength {
    Known(u64),
    /// Told with the last bytes (a take still being recorded).
    Deferred,
}

/// What a new session is for.
#[derive(Debug)]
pub struct NewUpload {
    pub length: DeclaredLength,
    /// At most 500 bytes; a longer one is dropped.
    pub title: Option<String>,
    pub visibility: Visibility,
}

/// A session as `GET /api/v1/uploads/{id}` shows it: id, offset, length, sha256 and times
/// from the session itself, and what became of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadView {
    #[serde(flatten)]
    pub session: SessionRow,
    /// Whole parts already in S3 (a take sent while recorded finishes with only its last).
    pub stored_parts: usize,
    /// The clip it became; `null` until then, and again if the clip was deleted since.
    pub clip: Option<ClipView>,
}

/// One PATCH: bytes at `offset`, perhaps with the final length.
#[derive(Debug, Clone, Copy)]
pub struct Append {
    pub offset: i64,
    pub length: Option<i64>,
}

const MAX_TITLE_BYTES: usize = 500;

/// Opens a session for the signed-in user: an empty file, a row, and the clip's id and link.
pub async fn create(state: &AppState, viewer: &Viewer, new: NewUpload) -> AppResult<SessionRow> {
    let user = viewer.require_user()?;
    let length = match new.length {
        DeclaredLength::Known(length) if length > state.config.max_upload_bytes => {
            return Err(AppError::TooLarge {
                limit: state.config.max_upload_bytes,
            });
        }
        DeclaredLength::Known(length) => Some(i64::try_from(length).map_err(|_| too_large(state))?),
        DeclaredLength::Deferred => None,
    };
    let room = crate::pipeline::quotas::for_new_session(state, user).await?;
    room.check(length.map(|l| l as u64))?;
    let no_randomness = |e| AppError::Internal(anyhow::anyhow!("no randomness: {e}"));
    let id = db::ids::new_id().map_err(no_randomness)?;
    let reserved_clip_id = db::ids::new_id().map_err(no_randomness)?;
    let share_token = crate::auth::secrets::new_secret().map_err(no_randomness)?;
    tokio::fs::File::create(part_path(state, &id))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let title = new.title.filter(|t| t.len() <= MAX_TITLE_BYTES);
    let most_open = i64::try_from(state.config.max_open_uploads_per_user).unwrap_or(i64::MAX);
    let opened = state
        .db
        .uploads()
        .insert(
            &NewSession {
                id: &id,
                owner_id: &user.id,
                length,
                title: title.as_deref(),
                reserved_clip_id: &reserved_clip_id,
                share_token: &share_token,
                visibility: new.visibility,
                holder: &state.process.id,
            },
            most_open,
        )
        .await?;
    if let db::uploads::Opened::TooMany(open) = opened {
        // Others of the same owner's requests got there first: this one's file goes.
        let _ = tokio::fs::remove_file(part_path(state, &id)).await;
        return Err(AppError::TooManyOpen(format!(
            "you have {open} unfinished uploads, as many as you may: finish or remove one first"
        )));
    }
    fresh(state, &id).await
}

/// The caller's own session (anyone else's is the same 404 as none).
pub async fn get(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<SessionRow> {
    let user = viewer.require_user()?;
    if !db::ids::is_well_formed(id) {
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

/// Where a request about a session is to be served.
#[derive(Debug)]
pub enum Holder {
    /// This process holds its bytes (or it is finished: then any process answers).
    Here,
    /// Another live process does: the request goes there.
    Elsewhere { url: String },
}

/// How a request reached this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Client,
    /// From another process, which found this one holding the session.
    Forwarded,
}

/// Which process serves the caller's session `id`. The session's bytes and its live analysis
/// are where they arrived, so requests go to that process while it lives; once it is gone
/// this process takes the session over — keeping its bytes if they are on this disk (a
/// restart), else from nothing, the client resending from offset 0 as tus allows.
pub async fn locate(state: &AppState, viewer: &Viewer, id: &str, via: Via) -> AppResult<Holder> {
    let session = get(state, viewer, id).await?;
    if session.clip_id.is_some() || session.holder.as_deref() == Some(state.process.id.as_str()) {
        return Ok(Holder::Here);
    }
    if let Some(holder) = &session.holder
        && let Some(url) = state.db.processes().alive_url(holder, chrono::Utc::now()).await?
    {
        return match via {
            Via::Client => Ok(Holder::Elsewhere { url }),
            // Sent here as its holder, but the registry says otherwise now: ask again.
            Via::Forwarded => Err(moved()),
        };
    }
    take_over(state, session).await?;
    Ok(Holder::Here)
}

async fn take_over(state: &AppState, session: SessionRow) -> AppResult<()> {
    let path = part_path(state, &session.id);
    let on_disk = tokio::fs::metadata(&path).await.map_or(0, |m| m.len());
    let bytes = if on_disk >= session.offset as u64 {
        Takeover::KeepBytes
    } else {
        // Its multipart upload went with its holder's bytes.
        crate::pipeline::session_parts::abort(state, &session).await;
        Takeover::StartOver
    };
    let from = session.holder.as_deref();
    if !state
        .db
        .uploads()
        .take_over(&session.id, from, &state.process.id, bytes)
        .await?
    {
        return Err(moved());
    }
    if bytes == Takeover::StartOver {
        state.live_analyses.forget(&session.id);
        tokio::fs::File::create(&path)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        tracing::info!(session = %session.id, from, "took over an upload whose process is gone: it starts again from 0");
    }
    Ok(())
}

fn moved() -> AppError {
    AppError::Conflict("this upload just moved to another process: ask where it is (HEAD) and resume".into())
}

/// The caller's session with the clip it became, if any.
pub async fn view(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<UploadView> {
    let session = get(state, viewer, id).await?;
    let clip = match &session.clip_id {
        Some(clip_id) => match state.db.clips().get(clip_id).await? {
            Some(row) => Some(ClipView::load(state, row, Audience::OWNER).await?),
            None => None,
        },
        None => None,
    };
    let stored_parts = crate::pipeline::session_parts::load(state, &session)
        .await?
        .map_or(0, |u| u.parts.len());
    Ok(UploadView {
        session,
        stored_parts,
        clip,
    })
}

/// Appends `body` at `at.offset` to the caller's session, keeping what arrived even if the body
/// is cut off (the client resumes from the offset it reads back); once the body is whole, it
/// is finished. Returns the session as it now stands.
///
/// The work runs in a task of its own, which the request only waits for: a client whose
/// connection drops right after its last byte — a final PATCH it gets no answer to, and that
/// tus clients do not send again — still has its bytes recorded and its take made a clip.
pub async fn append<S, E>(state: &AppState, viewer: &Viewer, id: &str, at: Append, body: S) -> AppResult<SessionRow>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let (state, viewer, id) = (state.clone(), viewer.clone(), id.to_owned());
    tokio::spawn(async move { append_now(&state, &viewer, &id, at, body).await })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
}

async fn append_now<S, E>(state: &AppState, viewer: &Viewer, id: &str, at: Append, body: S) -> AppResult<SessionRow>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    // Ownership first; the row is read again under the lock.
    let owner = viewer.require_user()?.clone();
    get(state, viewer, id).await?;
    let _lock = lock(state, id, "another request is writing this upload")?;
    let mut session = fresh(state, id).await?;
    if session.clip_id.is_some() {
        return Err(AppError::Conflict("this upload is already complete".into()));
    }
    if at.offset != session.offset {
        return Err(AppError::Conflict(format!(
            "the upload is at offset {}, not {}",
            session.offset, at.offset
        )));
    }
    if let Some(length) = at.length {
        if session.length.is_some_and(|l| l != length) || length < session.offset {
            return Err(AppError::BadRequest("Upload-Length cannot change".into()));
        }
        if length as u64 > state.config.max_upload_bytes {
            return Err(too_large(state));
        }
        session.length = Some(length);
    }
    let room =
        crate::pipeline::quotas::for_session(state, &owner, session.offset as u64, session.length.map(|l| l as u64))
            .await?;
    let path = part_path(state, id);
    let (written, cut_off) = write_at(&session, &path, body, room).await?;
    state.db.uploads().advance(id, written as i64, session.length).await?;
    session.offset = written as i64;
    session.updated_at = db::Timestamp::now();
    state
        .live_analyses
        .advance(id, path.clone(), written, session.length.map(|l| l as u64));
    if let Err(err) = crate::pipeline::session_parts::send_ready(state, &session, &path, written).await {
        // Not fatal: the bytes are safe on disk, and the parts go again next time or at the end.
        tracing::warn!(session = %id, "could not send a part on to storage yet: {err}");
    }
    if let Some(err) = cut_off {
        return Err(err);
    }
    if session.length == Some(session.offset) {
        finish(state, owner, &mut session, Discard::Rejected).await?;
    }
    Ok(session)
}

/// Writes the body at the session's offset, up to its length (or the size limit), and syncs
/// it: the bytes are durable before the offset is promised. Returns the new offset and, if the
/// body was cut off or too long, why.
async fn write_at<S, E>(
    session: &SessionRow,
    path: &std::path::Path,
    mut body: S,
    room: crate::pipeline::quotas::Room,
) -> AppResult<(u64, Option<AppError>)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let internal = |e: std::io::Error| AppError::Internal(e.into());
    let limit = session.offset as u64 + room.bytes;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .await
        .map_err(internal)?;
    let mut written = session.offset as u64;
    file.seek(SeekFrom::Start(written)).await.map_err(internal)?;
    let mut cut_off = None;
    loop {
        match body.try_next().await {
            Ok(Some(chunk)) if written + chunk.len() as u64 > limit => {
                cut_off = Some(room.full.error());
                break;
            }
            Ok(Some(chunk)) => {
                file.write_all(&chunk).await.map_err(internal)?;
                written += chunk.len() as u64;
            }
            Ok(None) => break,
            Err(e) => {
                cut_off = Some(AppError::BadRequest(format!("the upload was cut off: {e}")));
                break;
            }
        }
    }
    file.flush().await.map_err(internal)?;
    file.sync_data().await.map_err(internal)?;
    Ok((written, cut_off))
}

/// Turns the whole body into the clip reserved for it. A body that is whole and wrong ends the
/// session (nothing more will make it right); any other failure (storage unavailable…) leaves
/// it whole, and an empty append at its length tries again.
/// A body that is not media is discarded as `unplayable` says.
async fn finish(state: &AppState, owner: User, session: &mut SessionRow, unplayable: Discard) -> AppResult<()> {
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
    let live = state.live_analyses.finish(&session.id).await;
    // Re-read: sending parts just now may have started the multipart upload.
    let fresh = fresh(state, &session.id).await?;
    let session_upload = crate::pipeline::session_parts::load(state, &fresh).await?;
    let path = part_path(state, &session.id);
    match ingest_file(state, &path, info, live, session_upload).await {
        Ok((clip, body_sha256)) => {
            state.db.uploads().finished(&session.id, &clip.id, &body_sha256).await?;
            let _ = tokio::fs::remove_file(&path).await;
            session.clip_id = Some(clip.id);
            session.body_sha256 = Some(body_sha256);
            Ok(())
        }
        Err(err @ (AppError::BadRequest(_) | AppError::UnsupportedMedia(_))) => {
            discard(state, &fresh, unplayable).await?;
            Err(err)
        }
        Err(err) => Err(err),
    }
}

/// Gives up the caller's session: its bytes, its parts in storage, its row.
pub async fn abandon(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let session = get(state, viewer, id).await?;
    let _lock = lock(state, id, "the upload is busy")?;
    discard(state, &session, Discard::Cancelled).await
}

/// Takes still being recorded whose bytes stopped arriving `after` ago (a tab closed for good,
/// a recorder killed with its outbox lost): each becomes a clip of what arrived, noted as
/// stopped, so its link plays that and says where it stopped; a take with nothing playable is
/// remembered as stopped, its bytes gone. Only the process holding a take's bytes finishes it
/// (or any process, once its holder is gone). Returns how many were finished.
pub async fn finish_stalled(state: &AppState, after: std::time::Duration) -> anyhow::Result<usize> {
    let before = db::Timestamp::from(chrono::Utc::now() - chrono::Duration::from_std(after)?);
    let mut finished = 0;
    for session in state.db.uploads().stalled(before).await? {
        // Its bytes are on another live process's disk, or on a gone one's (the janitor
        // removes those sessions after their TTL): not this process's to finish.
        let here = tokio::fs::try_exists(part_path(state, &session.id))
            .await
            .unwrap_or(false);
        if !here || held_elsewhere(state, &session).await? {
            continue;
        }
        // A request writing to it right now: it is not stalled after all.
        let Some(_lock) = state.upload_locks.lock(&session.id) else {
            continue;
        };
        let Some(mut session) = state.db.uploads().get(&session.id).await? else {
            continue;
        };
        if session.clip_id.is_some() || session.length.is_some() || session.updated_at >= before {
            continue;
        }
        let owner = match state.db.users().by_id(&session.owner_id).await? {
            Some(owner) => owner.user(),
            None => continue,
        };
        if session.multipart_id.is_none() {
            session.offset = whole_part(&part_path(state, &session.id), session.offset as u64).await? as i64;
        }
        let stopped = if session.offset == 0 {
            Err(AppError::BadRequest("nothing arrived".into()))
        } else {
            state
                .db
                .uploads()
                .advance(&session.id, session.offset, Some(session.offset))
                .await?;
            session.length = Some(session.offset);
            // What follows the take as it arrives learns it is whole, as from a final PATCH.
            state.live_analyses.advance(
                &session.id,
                part_path(state, &session.id),
                session.offset as u64,
                Some(session.offset as u64),
            );
            finish(state, owner, &mut session, Discard::Stopped).await
        };
        match (stopped, &session.clip_id) {
            (Ok(()), Some(clip_id)) => {
                state.db.uploads().mark_stopped(clip_id, db::Timestamp::now()).await?;
                tracing::info!(session = %session.id, clip = %clip_id, "a take stopped arriving: kept what came");
            }
            (Ok(()), None) => {}
            (Err(AppError::BadRequest(_) | AppError::UnsupportedMedia(_)), _) => {
                // `finish` has discarded (as stopped) a body it could not take; a session with
                // nothing in it goes here. Either way its link says the recording stopped.
                if let Some(fresh) = state.db.uploads().get(&session.id).await? {
                    discard(state, &fresh, Discard::Stopped).await?;
                }
            }
            (Err(err), _) => {
                // Storage unavailable, say: the take waits for the next look, the others go on.
                tracing::warn!(session = %session.id, "could not finish a take that stopped arriving: {err}");
                continue;
            }
        }
        finished += 1;
    }
    Ok(finished)
}

/// How much of a stalled take's `offset` bytes at `path` is whole: a WebM whose last block was
/// cut off (a browser gone mid-chunk) is cut back to the block before, on disk too. An Ogg take
/// (the recorder's) arrives in whole pages already.
async fn whole_part(path: &std::path::Path, offset: u64) -> anyhow::Result<u64> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut file = std::fs::OpenOptions::new().read(true).write(true).open(&path)?;
        let mut magic = [0u8; 4];
        if std::io::Read::read_exact(&mut file, &mut magic).is_err() || magic != [0x1a, 0x45, 0xdf, 0xa3] {
            return Ok(offset);
        }
        std::io::Seek::rewind(&mut file)?;
        let whole = match media::WebmScan::playable_len(&mut file, offset) {
            Ok(whole) => whole.min(offset),
            // Not even its head is whole: nothing to keep.
            Err(_) => 0,
        };
        if whole < offset {
            file.set_len(whole)?;
            file.sync_all()?;
        }
        Ok(whole)
    })
    .await?
}

/// Whether another live process holds the session's bytes (they are on its disk).
async fn held_elsewhere(state: &AppState, session: &SessionRow) -> anyhow::Result<bool> {
    Ok(match session.holder.as_deref() {
        Some(holder) if holder != state.process.id => state
            .db
            .processes()
            .alive_url(holder, chrono::Utc::now())
            .await?
            .is_some(),
        _ => false,
    })
}

/// Removes sessions nobody has touched for `ttl`: their bytes and their rows.
pub async fn clean_abandoned(state: &AppState, ttl: std::time::Duration) -> anyhow::Result<usize> {
    let before = db::Timestamp::from(chrono::Utc::now() - chrono::Duration::from_std(ttl)?);
    let stale = state.db.uploads().abandoned(before).await?;
    let mut removed = 0;
    for session in &stale {
        // Another live process's session is its own to clean (its bytes are on its disk).
        if !held_elsewhere(state, session).await? {
            discard(state, session, Discard::Expired).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Discards the unfinished sessions of a member who was removed (their bytes, parts and
/// rows; their links say the take was cancelled). Sessions another live process holds are
/// left to that process's own clean-up.
pub async fn discard_all_of(state: &AppState, owner_id: &str) -> AppResult<usize> {
    let mut discarded = 0;
    for session in state.db.uploads().unfinished_of(owner_id).await? {
        if held_elsewhere(state, &session).await.map_err(AppError::Internal)? {
            continue;
        }
        discard(state, &session, Discard::Cancelled).await?;
        discarded += 1;
    }
    Ok(discarded)
}

/// Why a session's bytes are thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discard {
    /// Its client took it back (tus termination; the record button's Cancel): a take's link
    /// then says it was cancelled.
    Cancelled,
    /// Nobody touched it for the upload TTL.
    Expired,
    /// What arrived is not media the server takes.
    Rejected,
    /// Its bytes stopped arriving before anything playable came.
    Stopped,
}

/// Everything a session holds, gone. S3 keeps (and bills) an unfinished multipart upload's
/// parts until it is aborted, so that goes first.
async fn discard(state: &AppState, session: &SessionRow, why: Discard) -> AppResult<()> {
    state.live_analyses.forget(&session.id);
    crate::pipeline::session_parts::abort(state, session).await;
    let _ = tokio::fs::remove_file(part_path(state, &session.id)).await;
    // A take whose link may have gone out keeps saying how it ended.
    let ending = match why {
        Discard::Cancelled => Some(TakeEnding::Cancelled),
        Discard::Stopped => Some(TakeEnding::Stopped),
        Discard::Expired | Discard::Rejected => None,
    };
    match ending {
        Some(ending) => {
            state
                .db
                .uploads()
                .cancel(&session.id, db::Timestamp::now(), ending)
                .await?
        }
        None => state.db.uploads().delete(&session.id).await?,
    }
    Ok(())
}

/// One writer per session at a time.
fn lock(state: &AppState, id: &str, busy: &str) -> AppResult<UploadLock> {
    state
        .upload_locks
        .lock(id)
        .ok_or_else(|| AppError::Conflict(busy.to_owned()))
}

async fn fresh(state: &AppState, id: &str) -> AppResult<SessionRow> {
    state
        .db
        .uploads()
        .get(id)
        .await?
        .ok_or(AppError::NotFound(Missing::UploadSession))
}

fn part_path(state: &AppState, id: &str) -> PathBuf {
    state.uploads_dir.join(format!("{id}.part"))
}

fn too_large(state: &AppState) -> AppError {
    AppError::TooLarge {
        limit: state.config.max_upload_bytes,
    }
}
