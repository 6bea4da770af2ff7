//! Trimming a message: its owner cuts the start and end. The cut is an edit: where it lies in
//! the original is kept on the clip (its transcript, replies and reactions keep the original's
//! times and are shown through it), the media served is the original remuxed to that cut —
//! packets copied, never re-encoded (`media::cut`) — and the original stays stored until the
//! owner keeps the cut for good or undoes it.

use std::fs::File;
use std::io::{BufWriter, Write};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult, Missing};
use crate::hashing::{Digest, HashingWriter};
use crate::services::clips::{ClipView, CutView, find};
use crate::state::AppState;
use crate::storage::StorageError;
use db::clips::{ClipRow, CutMedia, Trim, TrimSpan};
use media::container::Container;
use media::cut::{Cut, CutMade};

/// A cut keeps at least this much: less is a slip of the handle, not a message.
const SHORTEST_MS: i64 = 500;

/// What to keep of the message as it plays now, in its milliseconds.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewTrim {
    #[serde(deserialize_with = "crate::services::whole_numbers::integer")]
    pub start_ms: i64,
    #[serde(deserialize_with = "crate::services::whole_numbers::integer")]
    pub end_ms: i64,
}

/// A message's trim, as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrimView {
    /// Where the cut lies in the original recording, if there is one.
    pub cut: Option<CutView>,
    /// The original is still stored: the cut can be undone.
    pub original_kept: bool,
    /// The original's length, while it is kept.
    pub original_duration_ms: Option<i64>,
    pub clip: ClipView,
}

/// The trim of the viewer's message `id`.
pub async fn show(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<TrimView> {
    let (row, relation) = find(state, viewer, id, Action::Trim).await?;
    view(state, viewer, row, relation).await
}

/// Cuts the viewer's message `id` to `new` (times of the message as it plays now: a trimmed
/// message is cut further). The cut media is stored beside the original before the clip
/// points at it, so a crash in between leaves the message as it was.
pub async fn trim(state: &AppState, viewer: &Viewer, id: &str, new: &NewTrim) -> AppResult<TrimView> {
    let (row, relation) = find(state, viewer, id, Action::Trim).await?;
    let NewTrim { start_ms, end_ms } = *new;
    if start_ms < 0 || end_ms > row.duration_ms || end_ms - start_ms < SHORTEST_MS {
        return Err(AppError::BadRequest(format!(
            "a trim keeps at least {SHORTEST_MS} ms between 0 and the message's end ({} ms): start_ms < end_ms",
            row.duration_ms
        )));
    }
    if start_ms == 0 && end_ms == row.duration_ms {
        return Err(AppError::BadRequest("that trim keeps the whole message".into()));
    }
    let container = match row.media.container.as_str() {
        "ogg" => Container::Ogg,
        "webm" => Container::WebM,
        other => return Err(AppError::Conflict(format!("a {other} clip cannot be trimmed"))),
    };

    // The media as it plays now, staged to cut from.
    let (source, mut file) = crate::pipeline::files::temp_file(&state.staging_dir, "trim-source-")
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut reader = crate::storage::clip_media::open(&state.storage, &row, None).await?;
    tokio::io::copy(&mut reader, &mut file)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
    drop(file);

    let staging = state.staging_dir.clone();
    let cut = Cut {
        start_ms: u64::try_from(start_ms).unwrap_or(0),
        end_ms: u64::try_from(end_ms).unwrap_or(0),
    };
    let (made, staged, digest, facts) = tokio::task::spawn_blocking(move || cut_file(source, &staging, container, cut))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;

    let key = crate::storage::keys::cut_key(
        &row.id,
        container,
        &db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
    );
    state.db.clips().storing(&row.id, &[&key], &state.process.id).await?;
    state
        .storage
        .put_file(&key, staged.path(), digest.size, &row.media.content_type)
        .await?;
    let span = TrimSpan {
        zero_ms: ms(made.zero_ms),
        from_ms: ms(made.sound_from_ms),
        end_ms: ms(made.end_ms),
    };
    let silences: Vec<[u64; 2]> = facts.waveform.silences.iter().map(|&(a, b)| [a, b]).collect();
    let media = CutMedia {
        storage_key: key.clone(),
        byte_size: i64::try_from(digest.size).unwrap_or(i64::MAX),
        sha256: digest.sha256,
        duration_ms: ms(facts.duration_ms),
        peaks: facts.waveform.peaks,
        silences: serde_json::to_string(&silences).unwrap_or_else(|_| "[]".into()),
        span: match row.trim {
            Trim::Whole => span,
            Trim::Cut(earlier) => earlier.then(span),
        },
    };
    let Some(unnamed) = state.db.clips().trim(&row.id, &media).await? else {
        forget(state, &[key]).await;
        return Err(AppError::NotFound(Missing::Clip));
    };
    forget(state, &unnamed).await;
    let row = fresh(state, &row.id).await?;
    view(state, viewer, row, relation).await
}

/// Undoes the trim of the viewer's message `id`: the original plays again.
pub async fn undo(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<TrimView> {
    let (row, relation) = find(state, viewer, id, Action::Trim).await?;
    let Some(unnamed) = state.db.clips().untrim(&row.id).await? else {
        return Err(AppError::Conflict(match row.trim {
            Trim::Whole => "the message is not trimmed".into(),
            Trim::Cut(_) => "the trim was kept for good: the original is gone".into(),
        }));
    };
    forget(state, &unnamed).await;
    let row = fresh(state, &row.id).await?;
    view(state, viewer, row, relation).await
}

/// Keeps the trim of the viewer's message `id` for good: the original is deleted.
pub async fn keep(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<TrimView> {
    let (row, relation) = find(state, viewer, id, Action::Trim).await?;
    let Some(original) = state.db.clips().keep_trim(&row.id).await? else {
        return Err(AppError::Conflict("there is no trim waiting to be kept".into()));
    };
    forget(state, &original).await;
    view(state, viewer, row, relation).await
}

/// The original objects a deleted message's trim kept (its row goes with the message).
pub async fn originals(state: &AppState, clip_id: &str) -> AppResult<Vec<String>> {
    Ok(match state.db.clips().original(clip_id).await? {
        Some(original) => crate::storage::clip_media::objects_in(&original.storage_key, &original.layout)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    })
}

async fn view(
    state: &AppState,
    viewer: &Viewer,
    row: ClipRow,
    relation: crate::auth::policy::Relation,
) -> AppResult<TrimView> {
    let original = state.db.clips().original(&row.id).await?;
    Ok(TrimView {
        cut: CutView::of(row.trim),
        original_kept: original.is_some(),
        original_duration_ms: original.map(|o| o.duration_ms),
        clip: ClipView::load(state, row, viewer.audience(relation)).await?,
    })
}

async fn fresh(state: &AppState, id: &str) -> AppResult<ClipRow> {
    state.db.clips().get(id).await?.ok_or(AppError::NotFound(Missing::Clip))
}

/// Deletes objects no row names any more. One that cannot be deleted now is left to the
/// backup's check (its key is in no row): the edit itself has been made.
async fn forget(state: &AppState, keys: &[String]) {
    for key in keys {
        match state.storage.delete(key).await {
            Ok(()) | Err(StorageError::NotFound) => {}
            Err(err) => tracing::warn!(key, "could not delete an object a trim let go: {err}"),
        }
    }
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Cuts the staged media (on a blocking thread): the cut file, its digest and its facts.
fn cut_file(
    source: tempfile::NamedTempFile,
    staging: &std::path::Path,
    container: Container,
    cut: Cut,
) -> AppResult<(CutMade, tempfile::NamedTempFile, Digest, crate::analysis::MediaFacts)> {
    let internal = |e: std::io::Error| AppError::Internal(e.into());
    let refused = |e: media::MediaError| match e {
        media::MediaError::Io(e) => AppError::Internal(e.into()),
        other => AppError::BadRequest(format!("cannot trim this message: {other}")),
    };
    let out = tempfile::Builder::new()
        .prefix("trimmed-")
        .suffix(&format!(".{}", container.extension()))
        .tempfile_in(staging)
        .map_err(internal)?;
    let mut writer = HashingWriter::new(BufWriter::new(out.reopen().map_err(internal)?));
    let input = File::open(source.path()).map_err(internal)?;
    let made = match container {
        Container::Ogg => {
            let (_, made) =
                media::cut::cut_ogg_opus(std::io::BufReader::new(input), &mut writer, cut).map_err(refused)?;
            made
        }
        Container::WebM => {
            let scan = media::WebmScan::scan(std::io::BufReader::new(input)).map_err(refused)?;
            let input = std::io::BufReader::new(File::open(source.path()).map_err(internal)?);
            scan.write_cut(input, &mut writer, cut).map_err(refused)?
        }
    };
    writer.flush().map_err(internal)?;
    let (buffered, digest) = writer.finish();
    buffered
        .into_inner()
        .map_err(|e| internal(e.into_error()))?
        .sync_all()
        .map_err(internal)?;
    // The cut is checked as any upload is, which also gives its length and waveform.
    let facts = crate::analysis::analyze(out.path())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the cut does not read back: {e}")))?
        .facts;
    Ok((made, out, digest, facts))
}
