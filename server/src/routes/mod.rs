//! Every URL the server answers, in one place.

mod clips;
mod health;
mod media;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/clips", get(clips::list).post(clips::create))
        .route("/api/v1/clips/{id}", get(clips::show).delete(clips::remove))
        .route("/api/v1/clips/{id}/media", get(media::media))
        .route("/api/v1/clips/{id}/peaks", get(clips::peaks))
        .with_state(state)
}
