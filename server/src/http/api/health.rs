//! Liveness and readiness.

use crate::http::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "The process answers", content_type = "text/plain", body = String), crate::http::api_doc::Failures)
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database and the storage backend both answer.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: database and storage",
    responses((status = 200, description = "The database and storage answer", body = serde_json::Value), (status = 503, description = "The database or storage does not answer", body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.ping().await.err().map(|e| e.to_string());
    let storage = state.storage.check_ready().await.err().map(|e| e.to_string());
    let ready = database.is_none() && storage.is_none();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let check = |err: Option<String>| match err {
        None => json!({ "ok": true }),
        Some(error) => json!({ "ok": false, "error": error }),
    };
    (
        status,
        Json(json!({ "ready": ready, "database": check(database), "storage": check(storage) })),
    )
}
