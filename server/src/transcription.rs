//! Transcripts, made in the background from the durable job queue in the database.
//!
//! Every stored clip gets a pending job in the same transaction as its row. A small pool of
//! workers claims jobs one at a time (atomically, in the database), fetches the clip from
//! storage into the staging directory, runs whisper on a blocking thread, stores the WebVTT
//! beside the clip and the segments and words in the database. Failures are retried with
//! backoff up to a limit; jobs that were running when the process died are claimed again after
//! a restart, and storing a transcript replaces whatever an earlier run left, so each clip ends
//! with exactly one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use transcribe::{Transcriber, TranscriberOptions, captions};

use crate::config::Config;
use crate::db::jobs::{Job, JobRow, Lease};
use crate::db::transcripts::{Finish, Finished};
use crate::domain::{JobState, TranscriptStatus};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::storage::keys::{Object, object_key};

/// How long an idle worker waits before looking for due retries again.
const IDLE_POLL: Duration = Duration::from_secs(5);

/// The transcription service: either a loaded model or why there is none.
#[derive(Debug, Clone)]
pub struct Transcription {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Engine,
    workers: usize,
    max_attempts: u32,
    /// First retry after this; each further retry waits twice as long, at most an hour.
    retry_base: Duration,
    /// Wakes an idle worker when a clip arrives (here, or in another process).
    wake: Notify,
    /// How long a claimed job is this process's without a renewal.
    lease: Duration,
}

#[derive(Debug)]
enum Engine {
    Ready(Arc<Transcriber>),
    Disabled(String),
}

/// A transcript's state as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub status: TranscriptStatus,
    /// Why it is disabled or failed, or what the last failed attempt said.
    pub reason: Option<String>,
    pub attempts: i64,
}

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("the clip was deleted")]
    ClipGone,
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Transcribe(#[from] transcribe::TranscribeError),
    #[error("staging: {0}")]
    Io(#[from] std::io::Error),
    #[error("the transcription thread died: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl Transcription {
    /// Loads the configured model (on a blocking thread: large models take seconds). A missing
    /// or broken model disables transcripts; it does not stop the server.
    pub async fn load(config: &Config) -> Self {
        let models_dir = config.data_dir.join("models");
        // Once, at start-up, before any request: a directory listing need not leave the runtime.
        let model = config.whisper_model.clone().or_else(|| first_model_in(&models_dir));
        let engine = match (&model, config.transcribe_workers) {
            (None, _) => Engine::Disabled(format!(
                "no speech model: put a ggml whisper model (e.g. ggml-base.en.bin) in {} or set --whisper-model / \
                 OFFBEAT_WHISPER_MODEL (see the README)",
                models_dir.display()
            )),
            (Some(_), 0) => Engine::Disabled("transcribe_workers is 0".into()),
            (Some(path), workers) => {
                let cores = std::thread::available_parallelism().map_or(2, usize::from);
                let options = TranscriberOptions {
                    language: Some(config.transcribe_language.clone()).filter(|l| l != "auto"),
                    threads: config.transcribe_threads.unwrap_or((cores / workers).max(1)),
                };
                let path = path.clone();
                match tokio::task::spawn_blocking(move || Transcriber::load(&path, options)).await {
                    Ok(Ok(transcriber)) => {
                        tracing::info!(model = %transcriber.model_name(), workers, "transcripts enabled");
                        Engine::Ready(Arc::new(transcriber))
                    }
                    Ok(Err(err)) => Engine::Disabled(err.to_string()),
                    Err(err) => Engine::Disabled(format!("loading the model crashed: {err}")),
                }
            }
        };
        if let Engine::Disabled(why) = &engine {
            tracing::warn!("transcripts disabled: {why}");
        }
        Self {
            inner: Arc::new(Inner {
                engine,
                workers: config.transcribe_workers,
                max_attempts: config.transcribe_max_attempts.max(1),
                retry_base: Duration::from_secs(config.transcribe_retry_base_secs.max(1)),
                wake: Notify::new(),
                lease: Duration::from_secs(config.job_lease_secs.max(1)),
            }),
        }
    }

    /// Starts the worker pool (nothing, when disabled).
    pub fn start_workers(&self, state: &AppState) {
        let Engine::Ready(transcriber) = &self.inner.engine else {
            return;
        };
        for worker in 0..self.inner.workers {
            let (state, transcriber, service) = (state.clone(), transcriber.clone(), self.clone());
            tokio::spawn(async move { service.work(worker, state, transcriber).await });
        }
        let inner = self.inner.clone();
        state.db.job_signals().watch(Arc::new(move || inner.wake.notify_one()));
    }

    /// A clip arrived: wake an idle worker now rather than at its next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    pub fn status(&self, job: Option<&JobRow>) -> Status {
        let attempts = job.map_or(0, |j| j.attempts);
        let last_error = job.and_then(|j| j.last_error.clone());
        let (status, reason) = match (job.map(|j| j.state), &self.inner.engine) {
            (Some(JobState::Done), _) => (TranscriptStatus::Ready, None),
            (Some(JobState::Failed), _) => (TranscriptStatus::Failed, last_error),
            (_, Engine::Disabled(why)) => (TranscriptStatus::Disabled, Some(why.clone())),
            (Some(JobState::Running), _) => (TranscriptStatus::Running, None),
            (Some(JobState::Pending) | None, _) => (TranscriptStatus::Pending, last_error),
        };
        Status {
            status,
            reason,
            attempts,
        }
    }

    /// A lease for `holder` from now.
    fn lease<'a>(&self, holder: &'a str) -> Lease<'a> {
        Lease {
            holder,
            until: Utc::now() + chrono::Duration::from_std(self.inner.lease).unwrap_or(chrono::Duration::seconds(30)),
        }
    }

    async fn work(&self, worker: usize, state: AppState, transcriber: Arc<Transcriber>) {
        // Workers hold leases as `<process>/<worker>`, the process as the registry knows it.
        let holder = format!("{}/{worker}", state.process.id);
        loop {
            match state.db.jobs().claim(self.lease(&holder)).await {
                Ok(Some(job)) => self.run(&holder, &state, &transcriber, job).await,
                Ok(None) => {
                    // Sleep until a new clip arrives or the next retry falls due.
                    let until_due = match state.db.jobs().next_due().await {
                        Ok(Some(due)) => (due - Utc::now()).to_std().unwrap_or(Duration::ZERO),
                        _ => IDLE_POLL,
                    };
                    tokio::select! {
                        () = self.inner.wake.notified() => {},
                        () = tokio::time::sleep(until_due.clamp(Duration::from_millis(50), IDLE_POLL)) => {},
                    }
                }
                Err(err) => {
                    tracing::warn!(worker, "cannot claim a transcript job: {err}");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    }

    async fn run(&self, holder: &str, state: &AppState, transcriber: &Arc<Transcriber>, job: Job) {
        let started = Instant::now();
        tracing::info!(worker = holder, clip = %job.clip_id, attempt = job.attempts, "transcribing");
        let renewals = tokio::spawn(self.clone().renew_while_working(
            state.clone(),
            job.clip_id.clone(),
            holder.to_owned(),
        ));
        let transcribed = transcribe_clip(state, transcriber, &job.clip_id).await;
        renewals.abort();
        match transcribed {
            Ok(()) => tracing::info!(
                worker = holder,
                clip = %job.clip_id,
                ms = started.elapsed().as_millis() as u64,
                "transcript ready"
            ),
            Err(JobError::ClipGone) => tracing::info!(clip = %job.clip_id, "clip deleted while transcribing"),
            Err(err) => {
                let retry_at = (job.attempts < i64::from(self.inner.max_attempts)).then(|| {
                    let exponent = u32::try_from(job.attempts.saturating_sub(1)).unwrap_or(0).min(7);
                    let wait = (self.inner.retry_base * 2u32.pow(exponent)).min(Duration::from_secs(3600));
                    Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero())
                });
                tracing::warn!(clip = %job.clip_id, attempt = job.attempts, retry = retry_at.is_some(), "transcription failed: {err}");
                let failed = state
                    .db
                    .jobs()
                    .fail(&job.clip_id, holder, &err.to_string(), retry_at)
                    .await;
                if let Err(db_err) = failed {
                    tracing::warn!(clip = %job.clip_id, "cannot record the failure: {db_err}");
                }
            }
        }
    }
}

impl Transcription {
    /// Renews the lease on a job every third of its length while it is worked on, so no other
    /// process takes it over; stops if the job is no longer this worker's.
    async fn renew_while_working(self, state: AppState, clip_id: String, holder: String) {
        loop {
            tokio::time::sleep(self.inner.lease / 3).await;
            match state.db.jobs().renew(&clip_id, self.lease(&holder)).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(clip = %clip_id, worker = %holder, "the job's lease was lost (taken over, or the clip is gone)");
                    return;
                }
                // Not fatal yet: the lease has two more thirds to go.
                Err(err) => tracing::warn!(clip = %clip_id, "cannot renew the job's lease: {err}"),
            }
        }
    }
}

/// The first `*.bin` in `dir` by name, if any: a model dropped into `<data-dir>/models` is
/// used without further configuration.
fn first_model_in(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut models: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "bin") && path.is_file())
        .collect();
    models.sort();
    models.into_iter().next()
}

/// One job: fetch, transcribe, store the WebVTT object, commit the rows.
async fn transcribe_clip(state: &AppState, transcriber: &Arc<Transcriber>, clip_id: &str) -> Result<(), JobError> {
    let clip = state.db.clips().get(clip_id).await?.ok_or(JobError::ClipGone)?;
    // The clip, fetched into staging (a temporary file, gone when this returns).
    let (media, mut writer) = crate::files::temp_file(&state.staging_dir, "transcribe-").await?;
    let mut reader = crate::services::media::open(&state.storage, &clip, None).await?;
    tokio::io::copy(&mut reader, &mut writer).await?;
    writer.flush().await?;
    drop(writer);

    let path = media.path().to_owned();
    let engine = transcriber.clone();
    let (transcript, timings) = tokio::task::spawn_blocking(move || engine.transcribe_file(&path)).await??;
    drop(media);

    let vtt = captions::to_vtt(&transcript);
    let vtt_key = object_key(clip_id, Object::Captions);
    let (vtt_file, mut vtt_writer) = crate::files::temp_file(&state.staging_dir, "vtt-").await?;
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
    };
    match state.db.transcripts().finish(&finished).await? {
        Finish::Stored => {
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
