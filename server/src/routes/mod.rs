//! Every URL the server answers, in one place.

mod clips;
mod health;
mod media;
mod search;
mod transcripts;

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
        .route("/api/v1/clips/{id}/transcript", get(transcripts::json))
        .route("/api/v1/clips/{id}/transcript.vtt", get(transcripts::vtt))
        .route("/api/v1/clips/{id}/transcript.srt", get(transcripts::srt))
        .route("/api/v1/clips/{id}/transcript.txt", get(transcripts::txt))
        .route("/api/v1/search", get(search::search))
        .with_state(state)
}
