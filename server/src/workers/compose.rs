//! The compose lane: a camera take is stored as it arrived, its body behind a head of its own
//! (`db::clips::MediaLayout::HeadBeforeTail`), so that its link is final the moment recording
//! stops. Browsers can be sent to S3 for media only when it is one object; once the clip is
//! final, this makes it one inside S3 (`Storage::compose`: the server sends the head and 5 MiB,
//! S3 copies the rest) and switches the clip to it. The head and body stay for the janitor, so a
//! reader who began on them finishes.

use std::time::{Duration, Instant};

use db::clips::MediaLayout;
use db::domain::JobKind;
use db::queue::{Attempt, Job, Work};
use media::container::Container;

use super::lane::{Outcome, Turn, Worker};
use crate::state::AppState;
use crate::storage::keys::composed_key;
use crate::storage::{Composed, Composition, StorageError};

/// Attempts before composing is given up (the clip stays streamed through the server).
const MAX_ATTEMPTS: i64 = 5;

pub(super) struct Compose;

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("{0}")]
    Database(#[from] db::Error),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("no randomness for a key: {0}")]
    Random(String),
    #[error("this storage cannot compose objects")]
    NotSupported,
}

/// How a turn ended, when it did not fail.
enum Ended {
    Switched(Composed),
    /// Deleted, trimmed or one object already: nothing to do.
    NoLongerNeeded,
}

#[async_trait::async_trait]
impl Worker for Compose {
    fn kind(&self) -> JobKind {
        JobKind::Compose
    }

    /// 30 s, a minute, two, four; then the clip stays as it is.
    fn retry_after(&self, attempts: i64) -> Option<Duration> {
        super::lane::doubling(Duration::from_secs(30), attempts, MAX_ATTEMPTS)
    }

    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome {
        let Work::Compose { clip_id } = &job.work else {
            return Outcome::Dropped("not a compose job".into());
        };
        let started = Instant::now();
        match compose_clip(turn.state, clip_id).await {
            Ok(Ended::Switched(composed)) => {
                let ms = started.elapsed().as_millis() as u64;
                tracing::info!(clip = %clip_id, ms, sent = composed.sent, copied = composed.copied, parts = composed.parts, "composed the clip's media");
                crate::metrics::composed(started.elapsed(), composed.sent, composed.copied);
                Outcome::Done(Attempt::default())
            }
            Ok(Ended::NoLongerNeeded) => Outcome::Dropped("the clip is one object already, or gone".into()),
            Err(JobError::NotSupported) => Outcome::Dropped(JobError::NotSupported.to_string()),
            Err(err) => {
                tracing::warn!(clip = %clip_id, "could not compose the clip's media: {err}");
                Outcome::Failed {
                    why: err.to_string(),
                    tried: Attempt::default(),
                }
            }
        }
    }
}

async fn compose_clip(state: &AppState, clip_id: &str) -> Result<Ended, JobError> {
    let Some(clip) = state.db.clips().get(clip_id).await? else {
        return Ok(Ended::NoLongerNeeded);
    };
    let MediaLayout::HeadBeforeTail { head_key, tail } = &clip.layout else {
        return Ok(Ended::NoLongerNeeded);
    };
    let size = u64::try_from(clip.media.byte_size).unwrap_or(0);
    let from = Composition {
        head_key: head_key.clone(),
        head_len: size.saturating_sub(tail.end - tail.start),
        body_key: clip.storage_key.clone(),
        tail: tail.clone(),
    };
    let nonce = db::ids::new_id().map_err(|e| JobError::Random(e.to_string()))?;
    let key = composed_key(&clip.id, Container::WebM, &nonce);
    // Noted first: if this process dies mid-way, the janitor removes what it left.
    state.db.clips().storing(&clip.id, &[&key], &state.process.id).await?;
    let composed = match state.storage.compose(&key, &from, &clip.media.content_type).await {
        Ok(Some(composed)) => composed,
        Ok(None) => {
            state.db.clips().not_storing(&clip.id, &key).await?;
            return Err(JobError::NotSupported);
        }
        Err(err) => {
            // A multipart upload that failed leaves no object (it is aborted).
            state.db.clips().not_storing(&clip.id, &key).await?;
            return Err(err.into());
        }
    };
    if state
        .db
        .clips()
        .composed(&clip.id, &clip.storage_key, head_key, &key, &state.process.id)
        .await?
    {
        return Ok(Ended::Switched(composed));
    }
    // Deleted or trimmed meanwhile: the new object is nobody's.
    state.storage.delete(&key).await?;
    state.db.clips().not_storing(&clip.id, &key).await?;
    Ok(Ended::NoLongerNeeded)
}
