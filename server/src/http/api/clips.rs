//! Clip metadata: create (upload), show, list, delete, peaks.

use crate::http::api_doc::{ClipId, ShareToken};
use crate::http::extract::Json;
use axum::body::Body;
use axum::extract::{Path, State};

use crate::http::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult, Missing};
use crate::pipeline::ingest::UploadInfo;
use crate::services::clips::{self, Audience, ClipPage, ClipView, find};
use crate::services::links::{self, Opened};
use crate::state::AppState;
use db::clips::Listed;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    title: Option<String>,
    /// Ignored, kept for older clients: the author is always the signed-in member (no one
    /// posts under another's name).
    #[allow(dead_code)]
    author: Option<String>,
}

/// `POST /api/v1/clips`: the body is the media stream itself.
#[utoipa::path(
    post,
    path = "/api/v1/clips",
    tag = "clips",
    summary = "Upload a clip in one request",
    params(CreateParams),
    request_body(content = String, content_type = "application/octet-stream", description = "The media itself: Ogg Opus, or WebM with an Opus track (audio or video)"),
    responses((status = 201, description = "The clip", body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<CreateParams>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<impl IntoResponse> {
    let user = viewer.require_user()?.clone();
    // Refuse a declared oversize body before reading a byte of it.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared
        && len > state.config.max_upload_bytes
    {
        return Err(AppError::TooLarge {
            limit: state.config.max_upload_bytes,
        });
    }
    for (name, value) in [("title", &params.title), ("author", &params.author)] {
        if value.as_ref().is_some_and(|v| v.len() > 500) {
            return Err(AppError::BadRequest(format!("the {name} is longer than 500 bytes")));
        }
    }
    if let Some(title) = &params.title {
        crate::services::text::single_line(title, "title")?;
    }
    let row = crate::pipeline::ingest::ingest(
        &state,
        body,
        UploadInfo {
            title: params.title,
            author: Some(user.display_name.clone()),
            owner: user,
            reserved: None,
        },
        declared,
    )
    .await?;
    let view = ClipView::load(&state, row, Audience::OWNER).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, view.url.clone())], Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}",
    tag = "clips",
    summary = "A clip",
    params(ClipId, ShareToken),
    responses((status = 200, body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Json<ClipView>> {
    let (row, relation) = find(&state, &viewer, &id, Action::View).await?;
    Ok(Json(ClipView::load(&state, row, viewer.audience(relation)).await?))
}

/// `GET /api/v1/shared/{token}`: the clip a share link leads to.
#[utoipa::path(
    get,
    path = "/api/v1/shared/{token}",
    tag = "clips",
    summary = "The clip a share link leads to",
    params(("token" = String, Path, description = "The share link's token")),
    responses((status = 200, body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn shared(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> AppResult<Json<ClipView>> {
    // A take still being recorded has a link but no clip yet.
    let Opened::Clip { row, relation } = links::open(&state, &viewer, &token).await? else {
        return Err(AppError::NotFound(Missing::Clip));
    };
    let viewer = Viewer {
        share_token: Some(token),
        ..viewer
    };
    Ok(Json(ClipView::load(&state, *row, viewer.audience(relation)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    limit: Option<i64>,
    /// The `next` cursor of the previous page (empty: the first page).
    #[param(pattern = r"^([0-9]{1,18}_[0-9a-f]{32})?$")]
    after: Option<String>,
    /// Only this member's messages (their id).
    author: Option<String>,
}

/// `GET /api/v1/clips`: newest first, `limit` per page (default 20, at most 100).
#[utoipa::path(
    get,
    path = "/api/v1/clips",
    tag = "clips",
    summary = "The clips I may see, newest first",
    params(ListParams),
    responses((status = 200, body = ClipPage), crate::http::api_doc::Failures)
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> AppResult<Json<ClipPage>> {
    let user = viewer.require_user()?;
    let limit = params.limit.unwrap_or(20).clamp(1, 100);
    Ok(Json(
        clips::list(
            &state,
            &viewer,
            user,
            Listed::Clips,
            limit,
            params.after.as_deref(),
            params.author.as_deref(),
        )
        .await?,
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClipChange {
    #[schema(schema_with = crate::services::text::line_schema::<200>)]
    title: String,
}

/// `PATCH /api/v1/clips/{id}` `{title}`: its owner renames it.
#[utoipa::path(
    patch,
    path = "/api/v1/clips/{id}",
    tag = "clips",
    summary = "Rename a clip (its owner)",
    params(ClipId),
    request_body = ClipChange,
    responses((status = 200, body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<ClipChange>,
) -> AppResult<Json<ClipView>> {
    Ok(Json(clips::rename(&state, &viewer, &id, &change.title).await?))
}

/// `DELETE /api/v1/clips/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/clips/{id}",
    tag = "clips",
    summary = "Delete a clip (its owner)",
    params(ClipId),
    responses((status = 204, description = "Deleted"), crate::http::api_doc::Failures)
)]
pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    clips::delete(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/clips/{id}/peaks`: the waveform (0–255 per window) and the silent ranges.
#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/peaks",
    tag = "clips",
    summary = "A clip's waveform",
    params(ClipId, ShareToken),
    responses((status = 200, description = "Waveform peaks (0–255) and silent ranges", body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn peaks(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Json<Value>> {
    find(&state, &viewer, &id, Action::PlayMedia).await?;
    let row = state
        .db
        .clips()
        .get_with_peaks(&id)
        .await?
        .ok_or(AppError::NotFound(Missing::Clip))?;
    let silences: Value = serde_json::from_str(&row.silences).unwrap_or_else(|_| json!([]));
    Ok(Json(json!({
        "peaks_per_second": row.peaks_per_second,
        "duration_ms": row.duration_ms,
        "peaks": row.peaks,
        "silences_ms": silences,
    })))
}
