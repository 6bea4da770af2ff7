//! What makes the web app installable and keeps its shell: `/manifest.webmanifest` (name,
//! colours, icons), `/sw.js` (the service worker, at the root so it covers every page: it keeps
//! the versioned assets, answers with `/offline` when the network is gone, and sends takes left
//! in the outbox when the browser allows, see `web/sw.js`), `/favicon.ico`, and `/offline`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Chrome, assets};

/// The accent colour of `page.css`: the browser's chrome around the installed app.
const THEME: &str = "#3b5bdb";

pub async fn manifest() -> Response {
    let version = assets::version();
    let manifest = serde_json::json!({
        "name": "Offbeat",
        "short_name": "Offbeat",
        "description": "Voice and video messages for a team across time zones",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            { "src": format!("/assets/icon-192.png?v={version}"), "sizes": "192x192", "type": "image/png" },
            { "src": format!("/assets/icon-512.png?v={version}"), "sizes": "512x512", "type": "image/png" },
            {
                "src": format!("/assets/icon-maskable.png?v={version}"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable"
            }
        ],
        "shortcuts": [{ "name": "Record a message", "url": "/#record" }]
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        manifest.to_string(),
    )
        .into_response()
}

/// The service worker, with the assets' version written in (what it keeps changes with them).
pub async fn service_worker() -> Response {
    let script = include_str!("../../../../web/sw.js").replace("__VERSION__", assets::version());
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Browsers look for a new worker on every navigation; it must not be cached longer.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        script,
    )
        .into_response()
}

pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_bytes!("../../../../web/favicon.ico").as_slice(),
    )
        .into_response()
}

/// What the service worker shows for a page it cannot fetch.
pub async fn offline() -> Response {
    let body = html! {
        main #content {
            h1 { "You are offline" }
            p { "This page needs the server, which cannot be reached right now." }
            p { "Anything you recorded is kept in this browser and sent as soon as the connection is back — you do not need to keep this tab open where the browser sends it in the background." }
            p { a.button href="/" { "Try again" } }
        }
    };
    super::document("Offline", None, Chrome::Site, html! {}, &[], body).into_response()
}

/// The tags every page's head carries for them.
pub fn head_links() -> maud::Markup {
    let version = assets::version();
    html! {
        link rel="manifest" href="/manifest.webmanifest";
        link rel="icon" href="/favicon.ico" sizes="48x48";
        link rel="icon" href={ "/assets/icon-192.png?v=" (version) } type="image/png" sizes="192x192";
        link rel="apple-touch-icon" href={ "/assets/icon-192.png?v=" (version) };
        meta name="theme-color" content=(THEME);
    }
}
