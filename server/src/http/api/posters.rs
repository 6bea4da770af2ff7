//! `PUT /api/v1/clips/{id}/poster` (the owner, a JPEG of at most 2 MB) and
//! `GET /api/v1/clips/{id}/poster`: the still shown before a video plays and in link previews.

use crate::http::api_doc::{ClipId, ShareToken};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use tokio_util::io::ReaderStream;

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult, Missing};
use crate::services::clips::{find, set_poster};
use crate::state::AppState;

const MAX_POSTER_BYTES: usize = 2 << 20;

#[utoipa::path(
    put,
    path = "/api/v1/clips/{id}/poster",
    tag = "clips",
    summary = "Set a clip's poster (its owner)",
    params(ClipId),
    request_body(content = String, content_type = "image/jpeg", description = "A JPEG, PNG or WebP image"),
    responses((status = 204, description = "Stored"), crate::http::api_doc::Failures)
)]
pub async fn put(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Body,
) -> AppResult<StatusCode> {
    let (clip, _) = find(&state, &viewer, &id, Action::ChangeSharing).await?;
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload was cut off: {e}")))?
    {
        if bytes.len() + chunk.len() > MAX_POSTER_BYTES {
            return Err(AppError::TooLarge {
                limit: MAX_POSTER_BYTES as u64,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    set_poster(&state, &clip, &bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/poster",
    tag = "clips",
    summary = "A video clip's poster",
    params(ClipId, ShareToken),
    responses((status = 200, description = "The poster frame", content_type = "image/jpeg", body = String), crate::http::api_doc::Failures)
)]
pub async fn get(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Response> {
    let (clip, _) = find(&state, &viewer, &id, Action::PlayMedia).await?;
    let key = clip.poster_key.ok_or(AppError::NotFound(Missing::Poster))?;
    let reader = state.storage.get(&key, None).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        Body::from_stream(ReaderStream::new(reader)),
    )
        .into_response())
}
