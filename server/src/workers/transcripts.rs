//! The transcripts lane: each job fetches its clip into staging, runs whisper on a blocking
//! thread, stores the WebVTT beside the clip and the segments and words in the database.
//! Storing a transcript replaces whatever an earlier run left, so a job that runs twice (a
//! crash after whisper finished) still leaves exactly one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use db::domain::JobKind;
use db::queue::{Attempt, Job, Work};
use db::transcripts::{Finish, Finished};
use tokio::io::AsyncWriteExt;
use transcribe::{Transcriber, captions};

use super::lane::{Outcome, Turn, Worker};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::storage::keys::{Object, object_key};

/// Transcribes clips, as many at once as `--transcribe-workers` says.
pub(super) struct Transcripts {
    transcriber: Arc<Transcriber>,
    workers: usize,
    max_attempts: i64,
    /// First retry after this; each further retry waits twice as long, at most an hour.
    retry_base: Duration,
}

impl Transcripts {
    pub fn new(state: &AppState, transcriber: Arc<Transcriber>) -> Self {
        Self {
            transcriber,
            workers: state.config.transcribe_workers,
            max_attempts: i64::from(state.config.transcribe_max_attempts.max(1)),
            retry_base: Duration::from_secs(state.config.transcribe_retry_base_secs.max(1)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("the clip was deleted")]
    ClipGone,
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Database(#[from] db::Error),
    #[error("{0}")]
    Transcribe(#[from] transcribe::TranscribeError),
    #[error("staging: {0}")]
    Io(#[from] std::io::Error),
    #[error("the transcription thread died: {0}")]
    Join(#[from] tokio::task::JoinError),
}

#[async_trait::async_trait]
impl Worker for Transcripts {
    fn kind(&self) -> JobKind {
        JobKind::Transcript
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn retry_after(&self, attempts: i64) -> Option<Duration> {
        (attempts < self.max_attempts).then(|| {
            let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(7);
            (self.retry_base * 2u32.pow(exponent)).min(Duration::from_secs(3600))
        })
    }

    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome {
        let Work::Transcript { clip_id } = &job.work else {
            return Outcome::Dropped("not a transcript job".into());
        };
        let started = Instant::now();
        tracing::info!(worker = turn.holder, clip = %clip_id, attempt = job.attempts, "transcribing");
        match transcribe_clip(turn.state, &self.transcriber, clip_id).await {
            Ok(()) => {
                tracing::info!(worker = turn.holder, clip = %clip_id, ms = started.elapsed().as_millis() as u64, "transcript ready");
                Outcome::Done(Attempt::default())
            }
            Err(JobError::ClipGone) => {
                tracing::info!(clip = %clip_id, "clip deleted while transcribing");
                Outcome::Dropped(JobError::ClipGone.to_string())
            }
            Err(err) => Outcome::Failed {
                why: err.to_string(),
                tried: Attempt::default(),
            },
        }
    }
}

/// One job: fetch, transcribe, store the WebVTT object, commit the rows.
async fn transcribe_clip(state: &AppState, transcriber: &Arc<Transcriber>, clip_id: &str) -> Result<(), JobError> {
    let clip = state.db.clips().get(clip_id).await?.ok_or(JobError::ClipGone)?;
    // The clip, fetched into staging (a temporary file, gone when this returns).
    let (media, mut writer) = crate::pipeline::files::temp_file(&state.staging_dir, "transcribe-").await?;
    let mut reader = crate::storage::clip_media::open(&state.storage, &clip, None).await?;
    tokio::io::copy(&mut reader, &mut writer).await?;
    writer.flush().await?;
    drop(writer);

    let path = media.path().to_owned();
    let engine = transcriber.clone();
    let (transcript, timings) = tokio::task::spawn_blocking(move || engine.transcribe_file(&path)).await??;
    drop(media);

    let vtt = captions::to_vtt(&transcript);
    let vtt_key = object_key(clip_id, Object::Captions);
    let (vtt_file, mut vtt_writer) = crate::pipeline::files::temp_file(&state.staging_dir, "vtt-").await?;
    vtt_writer.write_all(vtt.as_bytes()).await?;
    vtt_writer.flush().await?;
    drop(vtt_writer);
    state
        .storage
        .put_file(&vtt_key, vtt_file.path(), vtt.len() as u64, "text/vtt; charset=utf-8")
        .await?;
    let title = title_from(&transcript);
    let finished = Finished {
        clip_id,
        transcript: &transcript,
        model: &transcriber.model_name(),
        vtt_key: &vtt_key,
        decode_ms: timings.decode.as_millis() as i64,
        inference_ms: timings.inference.as_millis() as i64,
        title_if_untitled: &title,
        summarize: state.summarization.summarizer().is_some(),
    };
    match state.db.transcripts().finish(&finished).await? {
        Finish::Stored => {
            if finished.summarize {
                state.wakes.job(JobKind::Summary).notify_one();
            }
            let audio_ms = timings.audio.as_millis().max(1) as f64;
            metrics::histogram!("offbeat_transcription_real_time_factor")
                .record(finished.inference_ms as f64 / audio_ms);
            tracing::info!(
                clip = clip_id,
                audio_s = timings.audio.as_secs_f64(),
                decode_ms = finished.decode_ms,
                inference_ms = finished.inference_ms,
                segments = transcript.segments.len(),
                "stored transcript"
            );
            Ok(())
        }
        Finish::ClipGone => {
            // Deleted while we worked: take the captions back out.
            let _ = state.storage.delete(&vtt_key).await;
            Err(JobError::ClipGone)
        }
    }
}

/// Words a title may take from a transcript.
const TITLE_WORDS: usize = 8;
/// Characters a title may take from a transcript.
const TITLE_CHARS: usize = 60;

/// What an untitled clip is called once its transcript is known: its first words (at most
/// eight, sixty characters), with "…" when there was more; `""` when nothing was said.
pub fn title_from(transcript: &transcribe::Transcript) -> String {
    let text = transcript.text();
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut title = String::new();
    for word in words.iter().take(TITLE_WORDS) {
        if title.chars().count() + word.chars().count() + 1 > TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    let title = title.trim_end_matches([',', ';', ':', '-', '–']).to_owned();
    let cut = title.split_whitespace().count() < words.len();
    match (title.is_empty(), cut) {
        (true, _) => String::new(),
        (false, true) => format!("{}…", title.trim_end_matches(['.', '!', '?'])),
        (false, false) => title,
    }
}
