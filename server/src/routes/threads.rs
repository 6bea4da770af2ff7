//! Threads: `GET /api/v1/threads/{clip}` (the whole tree, from any clip in it),
//! `POST /api/v1/threads/{clip}/replies` (answer the clip, or `parent_id`, with text or a clip,
//! optionally at a moment), `DELETE /api/v1/replies/{id}` (its author deletes a text reply),
//! `POST /api/v1/clips/{id}/seen` (the player started it), `GET /api/v1/inbox`. See [`crate::services::threads`].

use super::extract::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::threads::{self, Inbox, Message, NewReply, Thread};
use crate::state::AppState;

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(clip_id): Path<String>,
    Json(new): Json<NewReply>,
) -> AppResult<(StatusCode, Json<Message>)> {
    Ok((
        StatusCode::CREATED,
        Json(threads::reply(&state, &viewer, &clip_id, new).await?),
    ))
}

/// Reading a thread marks its text replies read.
pub async fn thread(State(state): State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Json<Thread>> {
    Ok(Json(threads::thread(&state, &viewer, &id).await?))
}

pub async fn seen(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    threads::heard(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    threads::delete_reply(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn inbox(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Inbox>> {
    Ok(Json(threads::inbox(&state, &viewer).await?))
}
