//! Check-ins over JSON: making and changing them, their rounds, answering, and what is due for
//! me. (Their URLs are listed in `http/mod.rs`.)

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use db::domain::CheckinState;
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::http::extract::{Json, Query};
use crate::services::checkins::rounds::{self, DueView, NewAnswer, RoundDetail, RoundPage};
use crate::services::checkins::{self, CheckinChange, CheckinView, NewCheckin};
use crate::services::threads::{self, Message, NewReply};
use crate::state::AppState;

/// The check-in a route is about.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CheckinId {
    /// The check-in's id.
    id: String,
}

/// The round a route is about.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct RoundId {
    /// The round's id.
    round_id: String,
}

/// `GET /api/v1/checkins`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckinList {
    pub checkins: Vec<CheckinView>,
}

/// `GET /api/v1/checkins/due`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DueList {
    pub due: Vec<DueView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundsQuery {
    /// Rounds on a page: 1–50, 20 by default.
    limit: Option<i64>,
    /// Rounds before this day (`YYYY-MM-DD`, a page's `next`).
    #[param(value_type = Option<crate::services::formats::Day>)]
    before: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/checkins",
    tag = "checkins",
    summary = "Make a check-in",
    description = "Admins make any; a member makes one for themselves and the people they name (`members`, \
        including themselves).",
    request_body = NewCheckin,
    responses((status = 201, description = "The check-in", body = CheckinView), crate::http::api_doc::Failures)
)]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(new): Json<NewCheckin>,
) -> AppResult<impl IntoResponse> {
    let view = checkins::create(&state, &viewer, new).await?;
    let location = format!("{}/api/v1/checkins/{}", state.public_url, view.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/v1/checkins",
    tag = "checkins",
    summary = "The workspace's check-ins",
    responses((status = 200, description = "Oldest first", body = CheckinList), crate::http::api_doc::Failures)
)]
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<CheckinList>> {
    Ok(Json(CheckinList {
        checkins: checkins::list(&state, &viewer).await?,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/checkins/{id}",
    tag = "checkins",
    summary = "A check-in",
    params(CheckinId),
    responses((status = 200, description = "The check-in", body = CheckinView), crate::http::api_doc::Failures)
)]
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<CheckinView>> {
    Ok(Json(checkins::show(&state, &viewer, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/checkins/{id}",
    tag = "checkins",
    summary = "Change a check-in (admins, or whoever made it)",
    params(CheckinId),
    request_body = CheckinChange,
    responses((status = 200, description = "The check-in", body = CheckinView), crate::http::api_doc::Failures)
)]
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<CheckinChange>,
) -> AppResult<Json<CheckinView>> {
    Ok(Json(checkins::change(&state, &viewer, &id, change).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/checkins/{id}",
    tag = "checkins",
    summary = "Remove a check-in with its rounds (admins, or whoever made it)",
    params(CheckinId),
    responses((status = 204, description = "Removed"), crate::http::api_doc::Failures)
)]
pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    checkins::remove(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/checkins/{id}/pause",
    tag = "checkins",
    summary = "Pause a check-in: it asks nobody until resumed",
    params(CheckinId),
    responses((status = 200, description = "The check-in", body = CheckinView), crate::http::api_doc::Failures)
)]
pub async fn pause(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<CheckinView>> {
    Ok(Json(
        checkins::set_state(&state, &viewer, &id, CheckinState::Paused).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/checkins/{id}/resume",
    tag = "checkins",
    summary = "Resume a paused check-in",
    params(CheckinId),
    responses((status = 200, description = "The check-in", body = CheckinView), crate::http::api_doc::Failures)
)]
pub async fn resume(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<CheckinView>> {
    Ok(Json(
        checkins::set_state(&state, &viewer, &id, CheckinState::Active).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/checkins/{id}/rounds",
    tag = "checkins",
    summary = "A check-in's rounds, newest first, with who was asked and what came of it",
    params(CheckinId, RoundsQuery),
    responses((status = 200, description = "A page of rounds", body = RoundPage), crate::http::api_doc::Failures)
)]
pub async fn rounds(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<RoundsQuery>,
) -> AppResult<Json<RoundPage>> {
    Ok(Json(
        rounds::rounds(&state, &viewer, &id, query.limit, query.before.as_deref()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/checkins/rounds/{round_id}",
    tag = "checkins",
    summary = "A round: its questions, its people and their answers with the replies under them",
    params(RoundId),
    responses((status = 200, description = "The round", body = RoundDetail), crate::http::api_doc::Failures)
)]
pub async fn round(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(round_id): Path<String>,
) -> AppResult<Json<RoundDetail>> {
    Ok(Json(rounds::round(&state, &viewer, &round_id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/checkins/rounds/{round_id}/answers",
    tag = "checkins",
    summary = "Answer a round, by text or with a clip I recorded (again: change my answer)",
    params(RoundId),
    request_body = NewAnswer,
    responses(
        (status = 201, description = "My answer", body = Message),
        (status = 200, description = "My answer, changed", body = Message),
        crate::http::api_doc::Failures
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(round_id): Path<String>,
    Json(new): Json<NewAnswer>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let (first, message) = rounds::answer(&state, &viewer, &round_id, new).await?;
    let status = if first { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(message)))
}

#[utoipa::path(
    post,
    path = "/api/v1/checkins/rounds/{round_id}/replies",
    tag = "checkins",
    summary = "Reply to an answer of a round (or to a reply under one)",
    params(RoundId),
    request_body = NewReply,
    responses((status = 201, description = "The reply", body = Message), crate::http::api_doc::Failures)
)]
pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(round_id): Path<String>,
    Json(new): Json<NewReply>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let message = threads::reply_in_round(&state, &viewer, &round_id, new).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

#[utoipa::path(
    get,
    path = "/api/v1/checkins/due",
    tag = "checkins",
    summary = "What check-ins wait for my answer, soonest due first",
    responses((status = 200, description = "What is due", body = DueList), crate::http::api_doc::Failures)
)]
pub async fn due(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<DueList>> {
    Ok(Json(DueList {
        due: rounds::due(&state, &viewer).await?,
    }))
}
