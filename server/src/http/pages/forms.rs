//! Forms posted to the server's own pages: refused when another site sent them, so nobody is
//! signed up or signed in by a page they did not mean to use (login CSRF).

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::notice;
use crate::state::AppState;

/// A form posted from another site is refused: nobody may be signed up (or in) by a page they
/// did not mean to use. Browsers say where a request comes from in `Sec-Fetch-Site`; older
/// ones only in `Origin` (which our own pages send as `null`: they set no-referrer).
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let public = state.public_url.trim_end_matches('/');
    origin == public || origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// The answer to a form posted from another site, if this one was.
pub(super) fn cross_site(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    (!same_origin(state, headers)).then(|| {
        notice(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form was sent from another site.",
        )
    })
}
