//! HTTP: every URL the server answers, in this one file. JSON routes are registered once each
//! with their description (utoipa-axum's `routes!`: the handler's `#[utoipa::path]` is both
//! its route and its part of the API's contract); pages are plain routes. Both are thin
//! adapters over the services.

pub mod api;
pub mod api_doc;
pub(crate) mod extract;
mod forward;
pub mod headers;
pub mod metrics;
pub mod pages;
pub mod serving;
pub mod viewer;

use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use api::{
    auth, checkins, clips, health, media, members, posters, profile, reactions, search, sharing, summaries, threads,
    transcripts, trims, uploads, webhooks,
};

/// The largest JSON or form body any route reads.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The whole application, as `main` serves it and the tests drive it.
pub fn app(state: AppState) -> Router {
    let cors = headers::embed_cors(&state.config.embed_origins);
    let uploads_cors = headers::uploads_cors(&state.config.embed_origins);
    let (json, _) = json_routes().split_for_parts();
    let (uploads, _) = upload_routes().split_for_parts();
    let uploads = uploads
        // A session's requests are served by the process holding its bytes.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), forward::to_holder))
        .route_layer(axum::middleware::from_fn(headers::tus_version))
        .layer(uploads_cors)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::tus_discovery,
        ));
    json.layer(axum::middleware::from_fn(headers::private_json))
        .merge(page_routes())
        // JSON and form bodies are small: bounded before they are buffered. (Media streams
        // through its own limits: uploads by quota, posters by theirs.)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(cors)
        .merge(uploads)
        .with_state(state)
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(headers::compression())
        .route_layer(axum::middleware::from_fn(metrics::record_request))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// The JSON API but resumable uploads.
pub(crate) fn json_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(clips::list, clips::create))
        .routes(routes!(clips::show, clips::change, clips::remove))
        .routes(routes!(media::media))
        .routes(routes!(clips::peaks))
        .routes(routes!(posters::get, posters::put))
        .routes(routes!(transcripts::json))
        .routes(routes!(transcripts::vtt))
        .routes(routes!(transcripts::srt))
        .routes(routes!(transcripts::txt))
        .routes(routes!(summaries::show, summaries::change, summaries::clear))
        .routes(routes!(summaries::regenerate))
        .routes(routes!(search::search))
        .routes(routes!(clips::shared))
        .routes(routes!(threads::thread))
        .routes(routes!(threads::reply))
        .routes(routes!(threads::done))
        .routes(routes!(threads::unheard))
        .routes(routes!(threads::delete_reply))
        .routes(routes!(threads::seen))
        .routes(routes!(reactions::react, reactions::take_back))
        .routes(routes!(trims::show_trim, trims::trim, trims::undo_trim))
        .routes(routes!(trims::keep_trim))
        .routes(routes!(threads::inbox))
        .routes(routes!(sharing::update))
        .routes(routes!(sharing::rotate))
        .routes(routes!(sharing::revoke))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::recorder_token))
        .routes(routes!(profile::me, profile::update))
        .routes(routes!(profile::password))
        .routes(routes!(profile::notifications, profile::set_notifications))
        .routes(routes!(members::list))
        .routes(routes!(members::remove, members::change))
        .routes(routes!(members::invites, members::invite))
        .routes(routes!(members::accept))
        .routes(routes!(members::revoke_invite))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::remove))
        .routes(routes!(checkins::list, checkins::create))
        .routes(routes!(checkins::due))
        .routes(routes!(checkins::show, checkins::change, checkins::remove))
        .routes(routes!(checkins::pause))
        .routes(routes!(checkins::resume))
        .routes(routes!(checkins::rounds))
        .routes(routes!(checkins::round))
        .routes(routes!(checkins::answer))
        .routes(routes!(checkins::reply))
        .routes(routes!(api_doc::json))
        .routes(routes!(auth::tokens, auth::make_token))
        .routes(routes!(auth::revoke))
}

/// Resumable uploads (tus 1.0), with CORS rules of their own: sites that embed the record
/// button send takes as they record them.
pub(crate) fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(uploads::options, uploads::create))
        .routes(routes!(
            uploads::head,
            uploads::show,
            uploads::patch,
            uploads::terminate
        ))
}

/// The pages.
fn page_routes() -> Router<AppState> {
    use pages::{
        api_docs, app_shell, assets, card, checkins, conditional, dashboard, join, members, oembed, page,
        recorder_approval, round, settings, sso, unsubscribe,
    };
    Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/login", get(dashboard::login_page).post(dashboard::login_submit))
        .route("/c/{token}", get(page::clip_page))
        .route("/c/{token}/card.png", get(card::card))
        .route("/m/{id}", get(page::team_page))
        .route("/setup/{token}", get(join::setup_page).post(join::setup_submit))
        .route("/join/{token}", get(join::join_page).post(join::join_submit))
        .route("/members", get(members::members_page))
        .route("/settings", get(settings::settings_page))
        .route("/checkins", get(checkins::checkins_page))
        .route("/checkins/{id}", get(checkins::checkin_page))
        .route("/checkins/rounds/{id}", get(round::round_page))
        .route(
            "/unsubscribe/{user}/{signature}",
            get(unsubscribe::page).post(unsubscribe::confirm),
        )
        // Pages answer If-None-Match (see `conditional`); assets are cached for good instead.
        .layer(axum::middleware::from_fn(conditional::etag))
        .route("/assets/{file}", get(assets::asset))
        .route("/manifest.webmanifest", get(app_shell::manifest))
        .route("/sw.js", get(app_shell::service_worker))
        .route("/favicon.ico", get(app_shell::favicon))
        .route("/offline", get(app_shell::offline))
        .route("/api/docs", get(api_docs::api_docs))
        .route("/oembed", get(oembed::oembed))
        // Never cached, never tagged: each answer carries or spends a one-time secret.
        .route("/auth/oidc/start", get(sso::start))
        .route("/auth/oidc/callback", get(sso::callback))
        .route("/auth/oidc/welcome", axum::routing::post(sso::welcome_submit))
        .route(
            "/auth/recorder",
            get(recorder_approval::page).post(recorder_approval::decide),
        )
}
