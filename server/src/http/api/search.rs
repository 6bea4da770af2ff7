//! `GET /api/v1/search?q=&limit=`: see [`crate::services::search`].

use crate::http::extract::Json;
use axum::extract::State;

use crate::http::extract::Query;
use serde::Deserialize;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::search::{SearchResults, search as run};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    summary = "Search titles and transcripts",
    params(SearchParams),
    responses((status = 200, body = SearchResults), crate::http::api_doc::Failures)
)]
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> AppResult<Json<SearchResults>> {
    let query = params.q.unwrap_or_default();
    let limit = params.limit.unwrap_or(20).clamp(1, 100) as usize;
    Ok(Json(run(&state, &viewer, &query, limit).await?))
}
