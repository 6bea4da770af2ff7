//! Webhooks over JSON, for a workspace's admins: `POST`/`GET /api/v1/webhooks`,
//! `DELETE /api/v1/webhooks/{id}`.

use super::extract::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::notifications::webhooks::{self, CreatedWebhook, NewWebhook};
use crate::state::AppState;

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(new): Json<NewWebhook>,
) -> AppResult<(StatusCode, Json<CreatedWebhook>)> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&state, &viewer, new).await?)))
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "webhooks": webhooks::list(&state, &viewer).await? })))
}

pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    webhooks::remove(&state, &viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
