//! `/api/v1/clips/{id}/summary`: a clip's summary, chapters and action items; its owner writes,
//! clears or asks for them again.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::http::api_doc::{ClipId, ShareToken};
use crate::http::extract::Json;
use crate::services::summaries::{self, SummaryChange, SummaryView};
use crate::state::AppState;

/// The summary with its state: made by the model on this server after the transcript.
#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/summary",
    tag = "summaries",
    summary = "A clip's summary, chapters and action items",
    params(ClipId, ShareToken),
    responses((status = 200, body = SummaryView), crate::http::api_doc::Failures)
)]
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<SummaryView>> {
    Ok(Json(summaries::view(&state, &viewer, &id).await?))
}

/// Its owner writes the summary (or its chapters or action items): theirs from now on, kept
/// when the clip is transcribed again.
#[utoipa::path(
    patch,
    path = "/api/v1/clips/{id}/summary",
    tag = "summaries",
    summary = "Write a clip's summary (its owner)",
    params(ClipId),
    request_body = SummaryChange,
    responses((status = 200, body = SummaryView), crate::http::api_doc::Failures)
)]
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<SummaryChange>,
) -> AppResult<Json<SummaryView>> {
    Ok(Json(summaries::change(&state, &viewer, &id, change).await?))
}

/// Its owner clears the summary: none is shown, and none made unless asked for.
#[utoipa::path(
    delete,
    path = "/api/v1/clips/{id}/summary",
    tag = "summaries",
    summary = "Clear a clip's summary (its owner)",
    params(ClipId),
    responses((status = 204, description = "Cleared"), crate::http::api_doc::Failures)
)]
pub async fn clear(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    summaries::clear(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Its owner asks the model for the summary again (theirs is replaced once it is made).
#[utoipa::path(
    post,
    path = "/api/v1/clips/{id}/summary/regenerate",
    tag = "summaries",
    summary = "Make a clip's summary again (its owner)",
    params(ClipId),
    responses((status = 202, body = SummaryView), crate::http::api_doc::Failures)
)]
pub async fn regenerate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<SummaryView>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(summaries::regenerate(&state, &viewer, &id).await?),
    ))
}
