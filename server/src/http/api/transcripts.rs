//! `GET /api/v1/clips/{id}/transcript` (JSON) and its `.vtt`, `.srt` and `.txt` renderings.

use crate::http::api_doc::{ClipId, ShareToken};
use crate::http::extract::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use transcribe::{Transcript, captions};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::transcripts::{self, TranscriptView};
use crate::state::AppState;

/// The transcript with its status; segments and words once it is ready.
#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/transcript",
    tag = "transcripts",
    summary = "A clip's transcript and its status",
    params(ClipId, ShareToken),
    responses((status = 200, body = TranscriptView), crate::http::api_doc::Failures)
)]
pub async fn json(State(state): State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Json<TranscriptView>> {
    Ok(Json(transcripts::view(&state, &viewer, &id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/transcript.vtt",
    tag = "transcripts",
    summary = "The transcript as WebVTT",
    params(ClipId, ShareToken),
    responses((status = 200, content_type = "text/vtt", body = String), crate::http::api_doc::Failures)
)]
pub async fn vtt(state: State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Response> {
    rendered(state, viewer, id, "text/vtt; charset=utf-8", captions::to_vtt).await
}

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/transcript.srt",
    tag = "transcripts",
    summary = "The transcript as SubRip",
    params(ClipId, ShareToken),
    responses((status = 200, content_type = "application/x-subrip", body = String), crate::http::api_doc::Failures)
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/transcript.txt",
    tag = "transcripts",
    summary = "The transcript as text",
    params(ClipId, ShareToken),
    responses((status = 200, content_type = "text/plain", body = String), crate::http::api_doc::Failures)
)]
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
    let transcript = transcripts::ready(&state, &viewer, &id).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], render(&transcript)).into_response())
}
