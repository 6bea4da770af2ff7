//! `/api/v1/clips/{id}/trim`: the owner cuts the start and end of their message (`PUT`), sees
//! the cut (`GET`), undoes it while the original is kept (`DELETE`), or keeps it for good
//! (`POST …/trim/keep`, which deletes the original). See [`crate::services::trims`].

use axum::extract::{Path, State};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::http::api_doc::ClipId;
use crate::http::extract::Json;
use crate::services::trims::{self, NewTrim, TrimView};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/trim",
    tag = "clips",
    summary = "My message's trim",
    params(ClipId),
    responses((status = 200, body = TrimView), crate::http::api_doc::Failures)
)]
pub async fn show_trim(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<TrimView>> {
    Ok(Json(trims::show(&state, &viewer, &id).await?))
}

/// Times are the message's as it plays now; a trimmed message is cut further.
#[utoipa::path(
    put,
    path = "/api/v1/clips/{id}/trim",
    tag = "clips",
    summary = "Trim my message's start and end (no re-encoding; the original is kept until I keep the trim)",
    params(ClipId),
    request_body = NewTrim,
    responses((status = 200, body = TrimView), crate::http::api_doc::Failures)
)]
pub async fn trim(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(new): Json<NewTrim>,
) -> AppResult<Json<TrimView>> {
    Ok(Json(trims::trim(&state, &viewer, &id, &new).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/clips/{id}/trim",
    tag = "clips",
    summary = "Undo my message's trim (409 once it was kept)",
    params(ClipId),
    responses((status = 200, body = TrimView), crate::http::api_doc::Failures)
)]
pub async fn undo_trim(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<TrimView>> {
    Ok(Json(trims::undo(&state, &viewer, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/clips/{id}/trim/keep",
    tag = "clips",
    summary = "Keep my message's trim for good (the original is deleted)",
    params(ClipId),
    responses((status = 200, body = TrimView), crate::http::api_doc::Failures)
)]
pub async fn keep_trim(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<TrimView>> {
    Ok(Json(trims::keep(&state, &viewer, &id).await?))
}
