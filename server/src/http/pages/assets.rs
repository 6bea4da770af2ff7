//! `web/` files, compiled in: one binary, nothing to deploy beside it.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Each file once: its name under `/assets/`, its type, its text.
macro_rules! asset {
    ($name:literal, $type:expr) => {
        ($name, $type, include_str!(concat!("../../../../web/", $name)))
    };
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[(&str, &str, &str)] = &[
    asset!("page.css", CSS),
    asset!("player.js", JS),
    asset!("record.js", JS),
    asset!("outbox.js", JS),
    asset!("record.css", CSS),
    asset!("site.js", JS),
    asset!("live.js", JS),
    asset!("sharing.js", JS),
    asset!("api.js", JS),
    asset!("profile.js", JS),
    asset!("members.js", JS),
    asset!("webhooks.js", JS),
    asset!("checkins.js", JS),
    asset!("round.js", JS),
    asset!("summary.js", JS),
];

/// Changes whenever an asset does, so pages can ask for `?v=` and caches can keep them long.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for (_, _, body) in ASSETS {
            hash.update(body.as_bytes());
        }
        hex::encode(&hash.finalize()[..6])
    })
}

pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
