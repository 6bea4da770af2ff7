//! The speech model: loaded once at start-up, or the reason there is none. Transcripts are made
//! in the background by the job workers (`workers::transcripts`); this is what they run, and what
//! the API says of a clip's transcript while they do.

use std::sync::Arc;

use db::domain::{JobState, TranscriptStatus};
use db::queue::Job;
use transcribe::{Transcriber, TranscriberOptions};

use crate::config::Config;

/// The transcription service: either a loaded model or why there is none.
#[derive(Debug, Clone)]
pub struct Transcription {
    engine: Arc<Engine>,
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

impl Transcription {
    /// Loads the configured model (on a blocking thread: large models take seconds). A missing
    /// or broken model disables transcripts; it does not stop the server.
    pub async fn load(config: &Config) -> Self {
        let models_dir = config.data_dir.join("models");
        // Once, at start-up, before any request: a directory listing need not leave the runtime.
        let model = config.whisper_model.clone().or_else(|| config.first_model("bin"));
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
                    word_timing: match config.word_timing {
                        crate::config::WordTiming::Aligned => transcribe::WordTiming::Aligned,
                        crate::config::WordTiming::Fast => transcribe::WordTiming::Fast,
                    },
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
            engine: Arc::new(engine),
        }
    }

    /// The loaded model, unless transcripts are disabled.
    pub fn transcriber(&self) -> Option<&Arc<Transcriber>> {
        match &*self.engine {
            Engine::Ready(transcriber) => Some(transcriber),
            Engine::Disabled(_) => None,
        }
    }

    /// What the API says of a transcript whose job is `job`.
    pub fn status(&self, job: Option<&Job>) -> Status {
        let attempts = job.map_or(0, |j| j.attempts);
        let last_error = job.and_then(|j| j.last_error.clone());
        let (status, reason) = match (job.map(|j| j.state), &*self.engine) {
            (Some(JobState::Done), _) => (TranscriptStatus::Ready, None),
            (Some(JobState::Failed | JobState::Dropped), _) => (TranscriptStatus::Failed, last_error),
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
}
