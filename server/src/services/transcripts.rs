//! A clip's transcript: its status while transcription runs, its text once ready.

use serde::Serialize;
use transcribe::{Segment, Transcript};

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};
use crate::services::clips::find;
use crate::state::AppState;
use crate::transcription::Status;
use db::clips::{ClipRow, Trim};
use db::domain::{JobKind, TranscriptStatus};

/// What `GET /api/v1/clips/{id}/transcript` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TranscriptView {
    pub clip_id: String,
    pub status: TranscriptStatus,
    pub reason: Option<String>,
    pub attempts: i64,
    pub duration_ms: i64,
    pub vtt_url: String,
    pub srt_url: String,
    pub txt_url: String,
    /// Present once the transcript is ready.
    #[serde(flatten)]
    pub ready: ReadyTranscript,
}

/// What a transcript holds once it is ready (every field absent before).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ReadyTranscript {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<db::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<SegmentSchema>>)]
    pub segments: Option<Vec<Segment>>,
}

/// How `transcribe::Segment` is written (its crate knows nothing of the API's description).
#[derive(utoipa::ToSchema)]
#[schema(as = Segment)]
#[allow(dead_code)]
struct SegmentSchema {
    start_ms: u64,
    end_ms: u64,
    text: String,
    words: Vec<WordSchema>,
}

/// How `transcribe::Word` is written: a word, punctuation attached, and how sure the model
/// was of it (0–1).
#[derive(utoipa::ToSchema)]
#[schema(as = Word)]
#[allow(dead_code)]
struct WordSchema {
    start_ms: u64,
    end_ms: u64,
    text: String,
    probability: f32,
}

/// Where the transcript of clip `clip_id` stands.
pub async fn status_of(state: &AppState, clip_id: &str) -> AppResult<Status> {
    let jobs = state.db.jobs().of_clips(JobKind::Transcript, &[clip_id]).await?;
    Ok(state.transcription.status(jobs.get(clip_id)))
}

/// The transcript of clip `id` with its status, as `viewer` may read it.
pub async fn view(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<TranscriptView> {
    let (clip, _) = find(state, viewer, id, Action::ReadTranscript).await?;
    let status = status_of(state, &clip.id).await?;
    let share = viewer
        .share_token
        .as_deref()
        .map(|t| format!("?share={t}"))
        .unwrap_or_default();
    let url = format!("{}/api/v1/clips/{}/transcript", state.public_url, clip.id);
    let ready = match state.db.transcripts().transcript_row(&clip.id).await? {
        Some(row) => {
            let transcript = through_trim(state.db.transcripts().load(&clip.id, row.language).await?, clip.trim);
            ReadyTranscript {
                text: Some(transcript.text()),
                language: Some(transcript.language),
                model: Some(row.model),
                created_at: Some(row.created_at),
                segments: Some(transcript.segments),
            }
        }
        None => ReadyTranscript::default(),
    };
    Ok(TranscriptView {
        clip_id: clip.id,
        status: status.status,
        reason: status.reason,
        attempts: status.attempts,
        duration_ms: clip.duration_ms,
        vtt_url: format!("{url}.vtt{share}"),
        srt_url: format!("{url}.srt{share}"),
        txt_url: format!("{url}.txt{share}"),
        ready,
    })
}

/// The transcript of clip `id`, as `viewer` may read it; 409 with its status until it is ready.
pub async fn ready(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<Transcript> {
    let (clip, _) = find(state, viewer, id, Action::ReadTranscript).await?;
    if let Some(transcript) = of_clip(state, &clip).await? {
        return Ok(transcript);
    }
    let status = status_of(state, &clip.id).await?;
    Err(AppError::TranscriptNotReady {
        status: status.status,
        reason: status.reason,
    })
}

/// The transcript of a clip the caller already found, if it is ready.
pub async fn of_clip(state: &AppState, clip: &ClipRow) -> AppResult<Option<Transcript>> {
    Ok(match state.db.transcripts().transcript_row(&clip.id).await? {
        Some(row) => Some(through_trim(
            state.db.transcripts().load(&clip.id, row.language).await?,
            clip.trim,
        )),
        None => None,
    })
}

/// A transcript as it is heard: the recording's, through its owner's cut if it has one
/// (transcripts keep the original's times).
fn through_trim(transcript: Transcript, trim: Trim) -> Transcript {
    match trim {
        Trim::Whole => transcript,
        Trim::Cut(span) => {
            let ms = |v: i64| u64::try_from(v).unwrap_or(0);
            transcript.within(ms(span.zero_ms), ms(span.from_ms), ms(span.end_ms))
        }
    }
}

/// The start of a found clip's transcript, about `chars` long, for previews.
pub async fn opening(state: &AppState, clip: &ClipRow, chars: usize) -> AppResult<Option<String>> {
    Ok(state.db.transcripts().opening(&clip.id, chars).await?)
}
