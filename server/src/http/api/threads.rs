//! Threads: `GET /api/v1/threads/{clip}` (the whole tree, from any clip in it),
//! `POST /api/v1/threads/{clip}/replies` (answer the clip, or `parent_id`, with text or a clip,
//! optionally at a moment), `DELETE /api/v1/replies/{id}` (its author deletes a text reply),
//! `POST /api/v1/clips/{id}/seen` (the player started it), `GET /api/v1/inbox`. See [`crate::services::threads`].

use crate::http::api_doc::{ClipId, ShareToken};
use crate::http::extract::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::threads::{self, Inbox, Message, NewReply, Thread};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/threads/{id}/replies",
    tag = "threads",
    summary = "Reply with text or a clip",
    params(ClipId, ShareToken),
    request_body = NewReply,
    responses((status = 201, body = Message), crate::http::api_doc::Failures)
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/threads/{id}",
    tag = "threads",
    summary = "A clip's whole thread",
    params(ClipId, ShareToken),
    responses((status = 200, body = Thread), crate::http::api_doc::Failures)
)]
pub async fn thread(State(state): State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Json<Thread>> {
    Ok(Json(threads::thread(&state, &viewer, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/clips/{id}/seen",
    tag = "threads",
    summary = "I heard this clip",
    params(ClipId),
    responses((status = 204, description = "Recorded"), crate::http::api_doc::Failures)
)]
pub async fn seen(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    threads::heard(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v1/replies/{id}",
    tag = "threads",
    summary = "Delete my text reply",
    params(("id" = String, Path, description = "The reply's id")),
    responses((status = 204, description = "Deleted"), crate::http::api_doc::Failures)
)]
pub async fn delete_reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    threads::delete_reply(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/inbox",
    tag = "threads",
    summary = "Threads with what I have not heard",
    responses((status = 200, body = Inbox), crate::http::api_doc::Failures)
)]
pub async fn inbox(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Inbox>> {
    Ok(Json(threads::inbox(&state, &viewer).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/threads/{id}/done",
    tag = "threads",
    summary = "I am done with this thread: it leaves my inbox until something new arrives",
    params(("id" = String, Path, description = "A clip of the thread")),
    responses(
        (status = 204, description = "Done"),
        crate::http::api_doc::Failures
    )
)]
pub async fn done(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    threads::done(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/threads/{id}/unheard",
    tag = "threads",
    summary = "Back in my inbox: not done, its messages unheard",
    params(("id" = String, Path, description = "A clip of the thread")),
    responses(
        (status = 204, description = "Unheard again"),
        crate::http::api_doc::Failures
    )
)]
pub async fn unheard(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    threads::unheard(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
