//! The team over JSON: `GET /api/v1/members`, `DELETE`/`PATCH /api/v1/members/{id}`, and
//! invitations: `POST`/`GET /api/v1/invites`, `DELETE /api/v1/invites/{id}`,
//! `POST /api/v1/invites/accept` (which signs the newcomer in, as `auth/login` does).

use std::net::SocketAddr;

use crate::http::extract::Json;
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

#[utoipa::path(
    get,
    path = "/api/v1/members",
    tag = "team",
    summary = "My workspace's members and the hours they share",
    responses((status = 200, body = Team), crate::http::api_doc::Failures)
)]
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Team>> {
    Ok(Json(team::team(&state, &viewer, chrono::Utc::now()).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/members/{id}",
    tag = "team",
    summary = "Remove a member (admins)",
    params(("id" = String, Path, description = "The member's id")),
    responses((status = 204, description = "Removed"), crate::http::api_doc::Failures)
)]
pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    team::remove(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    admin: bool,
}

#[utoipa::path(
    patch,
    path = "/api/v1/members/{id}",
    tag = "team",
    summary = "Grant or take admin (admins)",
    params(("id" = String, Path, description = "The member's id")),
    request_body = MemberChange,
    responses((status = 204, description = "Changed"), crate::http::api_doc::Failures)
)]
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<MemberChange>,
) -> AppResult<StatusCode> {
    team::set_admin(&state, &viewer, &id, change.admin).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/invites",
    tag = "team",
    summary = "An invite link (admins)",
    request_body = NewInvite,
    responses((status = 201, body = CreatedInvite), crate::http::api_doc::Failures)
)]
pub async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(new): Json<NewInvite>,
) -> AppResult<(StatusCode, Json<CreatedInvite>)> {
    Ok((StatusCode::CREATED, Json(invites::create(&state, &viewer, new).await?)))
}

#[utoipa::path(
    get,
    path = "/api/v1/invites",
    tag = "team",
    summary = "The workspace's invitations (admins)",
    responses((status = 200, body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn invites(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "invites": invites::list(&state, &viewer).await? })))
}

#[utoipa::path(
    delete,
    path = "/api/v1/invites/{id}",
    tag = "team",
    summary = "Withdraw an invitation (admins)",
    params(("id" = String, Path, description = "The invitation's id")),
    responses((status = 204, description = "Withdrawn"), crate::http::api_doc::Failures)
)]
pub async fn revoke_invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    invites::revoke(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Accept {
    token: String,
    #[serde(flatten)]
    newcomer: Newcomer,
}

#[utoipa::path(
    post,
    path = "/api/v1/invites/accept",
    tag = "team",
    summary = "Join with an invitation",
    request_body = Accept,
    responses((status = 201, description = "Joined and signed in", body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(accept): Json<Accept>,
) -> AppResult<Response> {
    let user = invites::accept(&state, &accept.token, accept.newcomer).await?;
    super::auth::signed_in(&state, &user, &headers, peer, StatusCode::CREATED).await
}
