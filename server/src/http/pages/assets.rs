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
    asset!("tokens.js", JS),
    asset!("webhooks.js", JS),
    asset!("checkins.js", JS),
    asset!("round.js", JS),
    asset!("summary.js", JS),
    asset!("reactions.js", JS),
    asset!("trim.js", JS),
];

/// The images, likewise.
const IMAGES: &[(&str, &str, &[u8])] = &[
    (
        "icon-192.png",
        "image/png",
        include_bytes!("../../../../web/icon-192.png"),
    ),
    (
        "icon-512.png",
        "image/png",
        include_bytes!("../../../../web/icon-512.png"),
    ),
    (
        "icon-maskable.png",
        "image/png",
        include_bytes!("../../../../web/icon-maskable.png"),
    ),
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
        for (_, _, body) in IMAGES {
            hash.update(body);
        }
        // The service worker is served from `/sw.js`, but changes what pages get all the same.
        hash.update(include_bytes!("../../../../web/sw.js"));
        hex::encode(&hash.finalize()[..6])
    })
}

pub async fn asset(Path(file): Path<String>) -> Response {
    let found = ASSETS
        .iter()
        .find(|(name, ..)| *name == file)
        .map(|(_, content_type, body)| (*content_type, body.as_bytes()))
        .or_else(|| {
            IMAGES
                .iter()
                .find(|(name, ..)| *name == file)
                .map(|(_, content_type, body)| (*content_type, *body))
        });
    match found {
        Some((content_type, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
