//! Webhooks over JSON, for a workspace's admins: `POST`/`GET /api/v1/webhooks`,
//! `DELETE /api/v1/webhooks/{id}`.

use crate::http::extract::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::notifications::webhooks::{self, CreatedWebhook, NewWebhook};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "notifications",
    summary = "Add a webhook (admins)",
    request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook), crate::http::api_doc::Failures)
)]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(new): Json<NewWebhook>,
) -> AppResult<(StatusCode, Json<CreatedWebhook>)> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&state, &viewer, new).await?)))
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "notifications",
    summary = "The workspace's webhooks and their recent deliveries (admins)",
    responses((status = 200, body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "webhooks": webhooks::list(&state, &viewer).await? })))
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "notifications",
    summary = "Remove a webhook (admins)",
    params(("id" = String, Path, description = "The webhook's id")),
    responses((status = 204, description = "Removed"), crate::http::api_doc::Failures)
)]
pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    webhooks::remove(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
