//! The summaries lane: after a clip's transcript, the model writes its summary, title,
//! chapters and action items on a blocking thread; they are stored (with the title, if the
//! clip's still came from its first words) and indexed in one transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use db::domain::JobKind;
use db::queue::{Attempt, Job, Work};
use db::summaries::{ActionItem, Chapter, Content, Generated, Stored};
use summarize::{Line, Message, SummarizeError, Summarizer};

use super::lane::{Outcome, Turn, Worker};
use super::transcripts::title_from;
use crate::state::AppState;

/// Attempts before a summary is given up.
const MAX_ATTEMPTS: i64 = 3;

/// Summarises clips, one at a time (the model uses every core it is given).
pub(super) struct Summaries {
    summarizer: Arc<Summarizer>,
}

impl Summaries {
    pub fn new(summarizer: Arc<Summarizer>) -> Self {
        Self { summarizer }
    }
}

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("the clip was deleted")]
    ClipGone,
    #[error("the clip has no transcript")]
    NoTranscript,
    #[error("{0}")]
    Database(#[from] db::Error),
    #[error("{0}")]
    Summarize(#[from] SummarizeError),
    #[error("the summary thread died: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl JobError {
    /// Whether trying again could end differently (decoding is greedy: the same transcript
    /// gets the same answer).
    fn may_pass(&self) -> bool {
        match self {
            Self::Database(_) | Self::Join(_) => true,
            Self::Summarize(err) => matches!(err, SummarizeError::Endpoint(_) | SummarizeError::Inference(_)),
            Self::ClipGone | Self::NoTranscript => false,
        }
    }
}

#[async_trait::async_trait]
impl Worker for Summaries {
    fn kind(&self) -> JobKind {
        JobKind::Summary
    }

    /// 30 s, then a minute; given up after three attempts.
    fn retry_after(&self, attempts: i64) -> Option<Duration> {
        super::lane::doubling(Duration::from_secs(30), attempts, MAX_ATTEMPTS)
    }

    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome {
        let Work::Summary { clip_id } = &job.work else {
            return Outcome::Dropped("not a summary job".into());
        };
        let started = Instant::now();
        tracing::info!(worker = turn.holder, clip = %clip_id, attempt = job.attempts, "summarising");
        match summarize_clip(turn.state, &self.summarizer, clip_id).await {
            Ok(Stored::Stored) => {
                tracing::info!(clip = %clip_id, ms = started.elapsed().as_millis() as u64, "summary ready");
                Outcome::Done(Attempt::default())
            }
            Ok(Stored::KeptTheOwners) => Outcome::Dropped("its owner wrote the summary meanwhile".into()),
            Ok(Stored::ClipGone) | Err(JobError::ClipGone) => Outcome::Dropped(JobError::ClipGone.to_string()),
            Err(err) => {
                let why = err.to_string();
                let last = !err.may_pass() || self.retry_after(job.attempts).is_none();
                if last && let Err(store) = turn.state.db.summaries().fail(clip_id, &why).await {
                    tracing::warn!(clip = %clip_id, "cannot mark the summary failed: {store}");
                }
                tracing::warn!(clip = %clip_id, "summary failed: {why}");
                if err.may_pass() {
                    Outcome::Failed {
                        why,
                        tried: Attempt::default(),
                    }
                } else {
                    Outcome::Dropped(why)
                }
            }
        }
    }
}

/// One job: the transcript as lines, the model on a blocking thread, the rows.
async fn summarize_clip(state: &AppState, summarizer: &Arc<Summarizer>, clip_id: &str) -> Result<Stored, JobError> {
    let clip = state.db.clips().get(clip_id).await?.ok_or(JobError::ClipGone)?;
    let row = state
        .db
        .transcripts()
        .transcript_row(clip_id)
        .await?
        .ok_or(JobError::NoTranscript)?;
    let transcript = state.db.transcripts().load(clip_id, row.language).await?;
    let author = match &clip.owner_id {
        Some(owner) => state.db.users().by_id(owner).await?.map(|u| u.display_name),
        None => None,
    }
    .unwrap_or_else(|| "the speaker".to_owned());
    let message = Message {
        lines: transcript
            .segments
            .iter()
            .map(|s| Line {
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                text: s.text.clone(),
            })
            .collect(),
        duration_ms: u64::try_from(clip.duration_ms).unwrap_or(0),
        author,
    };
    let engine = summarizer.clone();
    let summary = tokio::task::spawn_blocking(move || engine.summarize(&message)).await??;
    let content = Content {
        summary: summary.summary,
        chapters: summary
            .chapters
            .into_iter()
            .map(|c| Chapter {
                start_ms: i64::try_from(c.start_ms).unwrap_or(i64::MAX),
                title: c.title,
            })
            .collect(),
        action_items: summary
            .action_items
            .into_iter()
            .map(|a| ActionItem {
                text: a.text,
                owner: a.owner,
            })
            .collect(),
    };
    // The model's title replaces the one the transcript's first words gave an untitled clip.
    let first_words = title_from(&transcript);
    let retitle = summary
        .title
        .as_deref()
        .filter(|_| !first_words.is_empty())
        .map(|title| (first_words.as_str(), title));
    Ok(state
        .db
        .summaries()
        .finish(&Generated {
            clip_id,
            content: &content,
            model: &summarizer.model_name(),
            retitle,
        })
        .await?)
}
