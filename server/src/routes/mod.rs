//! Every URL the server answers, in one place.

pub(crate) mod auth;
pub(crate) mod clips;
mod extract;
mod forward;
mod health;
pub(crate) mod media;
mod members;
pub(crate) mod openapi;
mod posters;
mod profile;
pub(crate) mod search;
mod sharing;
pub(crate) mod threads;
mod transcripts;
pub(crate) mod uploads;
mod webhooks;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};

use crate::state::AppState;

/// Resumable uploads, with their own CORS rules (sites that embed the record button send takes
/// as they record them). `OPTIONS` is both tus's discovery and the CORS preflight: only a
/// request asking `Access-Control-Request-Method` is a preflight.
pub fn uploads_router(state: AppState, cors: tower_http::cors::CorsLayer) -> Router {
    Router::new()
        .route("/api/v1/uploads", post(uploads::create))
        .route(
            "/api/v1/uploads/{id}",
            get(uploads::show)
                .head(uploads::head)
                .patch(uploads::patch)
                .delete(uploads::terminate)
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), forward::to_holder)),
        )
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(state.clone(), tus_discovery))
        .with_state(state)
}

async fn tus_discovery(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let preflight = request
        .headers()
        .contains_key(axum::http::header::ACCESS_CONTROL_REQUEST_METHOD);
    if request.method() == axum::http::Method::OPTIONS && !preflight {
        return uploads::options(axum::extract::State(state)).await;
    }
    next.run(request).await
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/clips", get(clips::list).post(clips::create))
        .route(
            "/api/v1/clips/{id}",
            get(clips::show).patch(clips::change).delete(clips::remove),
        )
        .route("/api/v1/clips/{id}/media", get(media::media))
        .route("/api/v1/clips/{id}/peaks", get(clips::peaks))
        .route("/api/v1/clips/{id}/poster", get(posters::get).put(posters::put))
        .route("/api/v1/clips/{id}/transcript", get(transcripts::json))
        .route("/api/v1/clips/{id}/transcript.vtt", get(transcripts::vtt))
        .route("/api/v1/clips/{id}/transcript.srt", get(transcripts::srt))
        .route("/api/v1/clips/{id}/transcript.txt", get(transcripts::txt))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/shared/{token}", get(clips::shared))
        .route("/api/v1/threads/{id}", get(threads::thread))
        .route("/api/v1/threads/{id}/replies", post(threads::reply))
        .route("/api/v1/threads/{id}/done", put(threads::done))
        .route("/api/v1/threads/{id}/unheard", post(threads::unheard))
        .route("/api/v1/replies/{id}", delete(threads::delete_reply))
        .route("/api/v1/clips/{id}/seen", post(threads::seen))
        .route("/api/v1/inbox", get(threads::inbox))
        .route("/api/v1/clips/{id}/sharing", patch(sharing::update))
        .route("/api/v1/clips/{id}/sharing/rotate", post(sharing::rotate))
        .route("/api/v1/clips/{id}/sharing/link", delete(sharing::revoke))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/me", get(profile::me).patch(profile::update))
        .route("/api/v1/me/password", post(profile::password))
        .route(
            "/api/v1/me/notifications",
            get(profile::notifications).patch(profile::set_notifications),
        )
        .route("/api/v1/members", get(members::list))
        .route("/api/v1/members/{id}", delete(members::remove).patch(members::change))
        .route("/api/v1/invites", get(members::invites).post(members::invite))
        .route("/api/v1/invites/accept", post(members::accept))
        .route("/api/v1/invites/{id}", delete(members::revoke_invite))
        .route("/api/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/v1/webhooks/{id}", delete(webhooks::remove))
        .route("/api/v1/openapi.json", get(openapi::json))
        .route("/api/v1/tokens", get(auth::tokens))
        .route("/api/v1/tokens/{id}", delete(auth::revoke))
        .merge(crate::web::router())
        // JSON and form bodies are small: bounded before they are buffered. (Media streams
        // through its own limits: uploads by quota, posters by theirs.)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .with_state(state)
}

/// The largest JSON or form body any route reads.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
