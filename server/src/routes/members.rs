//! The team over JSON: `GET /api/v1/members`, `DELETE`/`PATCH /api/v1/members/{id}`, and
//! invitations: `POST`/`GET /api/v1/invites`, `DELETE /api/v1/invites/{id}`,
//! `POST /api/v1/invites/accept` (which signs the newcomer in, as `auth/login` does).

use std::net::SocketAddr;

use super::extract::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::invites::{self, CreatedInvite, NewInvite, Newcomer};
use crate::services::team::{self, Team};
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Team>> {
    Ok(Json(team::team(&state, &viewer, chrono::Utc::now()).await?))
}

pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    team::remove(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    admin: bool,
}

pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<MemberChange>,
) -> AppResult<StatusCode> {
    team::set_admin(&state, &viewer, &id, change.admin).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(new): Json<NewInvite>,
) -> AppResult<(StatusCode, Json<CreatedInvite>)> {
    Ok((StatusCode::CREATED, Json(invites::create(&state, &viewer, new).await?)))
}

pub async fn invites(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "invites": invites::list(&state, &viewer).await? })))
}

pub async fn revoke_invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    invites::revoke(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct Accept {
    token: String,
    #[serde(flatten)]
    newcomer: Newcomer,
}

pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(accept): Json<Accept>,
) -> AppResult<Response> {
    let user = invites::accept(&state, &accept.token, accept.newcomer).await?;
    super::auth::signed_in(&state, &user, &headers, peer, StatusCode::CREATED).await
}
