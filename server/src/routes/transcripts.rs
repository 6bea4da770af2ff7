//! `GET /api/v1/clips/{id}/transcript` (JSON) and its `.vtt`, `.srt` and `.txt` renderings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use transcribe::{Transcript, captions};

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::db::transcripts;
use crate::error::{AppError, AppResult};
use crate::services::clips::find;
use crate::state::AppState;

/// The transcript with its status; segments and words once it is ready.
pub async fn json(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let (clip, _) = find(&state, &viewer, &id, Action::ReadTranscript).await?;
    let job = state.db.jobs().job(&clip.id).await?;
    let status = state.transcription.status(job.as_ref());
    let share = viewer
        .share_token
        .as_deref()
        .map(|t| format!("?share={t}"))
        .unwrap_or_default();
    let url = format!("{}/api/v1/clips/{}/transcript", state.public_url, clip.id);
    let mut body = json!({
        "clip_id": clip.id,
        "status": status.status,
        "reason": status.reason,
        "attempts": status.attempts,
        "duration_ms": clip.duration_ms,
        "vtt_url": format!("{url}.vtt{share}"),
        "srt_url": format!("{url}.srt{share}"),
        "txt_url": format!("{url}.txt{share}"),
    });
    if let Some((row, transcript)) = ready(&state, &clip.id).await? {
        body["language"] = json!(transcript.language);
        body["model"] = json!(row.model);
        body["created_at"] = json!(row.created_at);
        body["text"] = json!(transcript.text());
        body["segments"] = json!(transcript.segments);
    }
    Ok(Json(body))
}

pub async fn vtt(state: State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Response> {
    rendered(state, viewer, id, "text/vtt; charset=utf-8", captions::to_vtt).await
}

pub async fn srt(state: State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Response> {
    rendered(
        state,
        viewer,
        id,
        "application/x-subrip; charset=utf-8",
        captions::to_srt,
    )
    .await
}

pub async fn txt(state: State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Response> {
    rendered(state, viewer, id, "text/plain; charset=utf-8", captions::to_txt).await
}

async fn rendered(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    content_type: &'static str,
    render: fn(&Transcript) -> String,
) -> AppResult<Response> {
    let (clip, _) = find(&state, &viewer, &id, Action::ReadTranscript).await?;
    let Some((_, transcript)) = ready(&state, &clip.id).await? else {
        let job = state.db.jobs().job(&clip.id).await?;
        let status = state.transcription.status(job.as_ref());
        return Err(AppError::TranscriptNotReady {
            status: status.status,
            reason: status.reason,
        });
    };
    Ok(([(header::CONTENT_TYPE, content_type)], render(&transcript)).into_response())
}

async fn ready(state: &AppState, clip_id: &str) -> AppResult<Option<(transcripts::TranscriptRow, Transcript)>> {
    let Some(row) = state.db.transcripts().transcript_row(clip_id).await? else {
        return Ok(None);
    };
    let transcript = state.db.transcripts().load(clip_id, row.language.clone()).await?;
    Ok(Some((row, transcript)))
}
