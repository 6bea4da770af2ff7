//! A clip's transcript: its status while transcription runs, its text once ready.

use serde::Serialize;
use transcribe::{Segment, Transcript};

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::db::clips::ClipRow;
use crate::domain::TranscriptStatus;
use crate::error::{AppError, AppResult};
use crate::services::clips::find;
use crate::state::AppState;

/// What `GET /api/v1/clips/{id}/transcript` answers.
#[derive(Debug, Serialize)]
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
    pub ready: Option<ReadyTranscript>,
}

#[derive(Debug, Serialize)]
pub struct ReadyTranscript {
    pub language: String,
    pub model: String,
    pub created_at: String,
    pub text: String,
    pub segments: Vec<Segment>,
}

/// The transcript of clip `id` with its status, as `viewer` may read it.
pub async fn view(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<TranscriptView> {
    let (clip, _) = find(state, viewer, id, Action::ReadTranscript).await?;
    let job = state.db.jobs().job(&clip.id).await?;
    let status = state.transcription.status(job.as_ref());
    let share = viewer
        .share_token
        .as_deref()
        .map(|t| format!("?share={t}"))
        .unwrap_or_default();
    let url = format!("{}/api/v1/clips/{}/transcript", state.public_url, clip.id);
    let ready = match state.db.transcripts().transcript_row(&clip.id).await? {
        Some(row) => {
            let transcript = state.db.transcripts().load(&clip.id, row.language).await?;
            Some(ReadyTranscript {
                text: transcript.text(),
                language: transcript.language,
                model: row.model,
                created_at: row.created_at,
                segments: transcript.segments,
            })
        }
        None => None,
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
    let job = state.db.jobs().job(&clip.id).await?;
    let status = state.transcription.status(job.as_ref());
    Err(AppError::TranscriptNotReady {
        status: status.status,
        reason: status.reason,
    })
}

/// The transcript of a clip the caller already found, if it is ready.
pub async fn of_clip(state: &AppState, clip: &ClipRow) -> AppResult<Option<Transcript>> {
    Ok(match state.db.transcripts().transcript_row(&clip.id).await? {
        Some(row) => Some(state.db.transcripts().load(&clip.id, row.language).await?),
        None => None,
    })
}

/// The start of a found clip's transcript, about `chars` long, for previews.
pub async fn opening(state: &AppState, clip: &ClipRow, chars: usize) -> AppResult<Option<String>> {
    Ok(state.db.transcripts().opening(&clip.id, chars).await?)
}
