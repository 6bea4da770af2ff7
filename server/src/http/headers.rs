//! What every response carries and who may call across sites: the security headers (a strict
//! CSP; only the bare player may be framed), CORS for the sites allowed to embed the record
//! button, and tus's discovery answer to `OPTIONS`.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The page may embed in other sites only as the player (`?embed=1`); nothing else may be
/// framed, no inline script runs anywhere, no Referer leaks a share token.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";
const CSP_EMBED: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors *";

/// The recorder's sign-in approval: its form leads, by a redirect, back to the recorder
/// listening on this machine's loopback, which `form-action` must allow.
const CSP_LOOPBACK_FORMS: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self' http://127.0.0.1:*; frame-ancestors 'none'";

/// Cross-origin calls from the sites allowed to embed the record button: bearer tokens only
/// (no cookies cross sites), the methods and headers uploading and replying need.
pub fn embed_cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

/// Cross-origin resumable uploads from the same sites: tus's methods and headers, and the
/// answers' headers a script must read (where to send, how far it got, the link, the clip).
pub fn uploads_cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, Method};
    let tus = |name: &'static str| HeaderName::from_static(name);
    embed_cors(origins)
        .allow_methods([Method::GET, Method::POST, Method::HEAD, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            tus("tus-resumable"),
            tus("upload-offset"),
            tus("upload-length"),
            tus("upload-defer-length"),
            tus("upload-metadata"),
        ])
        .expose_headers([
            header::LOCATION,
            tus("tus-resumable"),
            tus("upload-offset"),
            tus("upload-length"),
            tus("offbeat-page-url"),
            tus("offbeat-clip-id"),
            tus("offbeat-clip-url"),
        ])
}

/// Whether other sites may frame a response: only the page that rendered it knows, so it says
/// so (as a response extension) and [`security_headers`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The full page: never framed.
    Page,
    /// The bare player (`/c/{token}?embed=1`): any site may embed it.
    Player,
    /// A page whose form goes back to a program on the viewer's own machine (the recorder's
    /// sign-in approval): never framed.
    LoopbackForm,
}

impl axum::response::IntoResponseParts for Framing {
    type Error = std::convert::Infallible;
    fn into_response_parts(
        self,
        mut parts: axum::response::ResponseParts,
    ) -> Result<axum::response::ResponseParts, Self::Error> {
        parts.extensions_mut().insert(self);
        Ok(parts)
    }
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let framing = response.extensions().get::<Framing>().copied().unwrap_or(Framing::Page);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(match framing {
            Framing::Page => CSP,
            Framing::Player => CSP_EMBED,
            Framing::LoopbackForm => CSP_LOOPBACK_FORMS,
        }),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Whether a list of entity tags (`If-None-Match`, `If-Match`; or `*`) names `etag` (weak tags
/// compare by their value).
pub fn tag_list_names(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Authenticated JSON is never kept by a cache on the way (a shared proxy, the browser's disk):
/// `Cache-Control: no-store`, unless the route said otherwise.
pub async fn private_json(request: Request, next: Next) -> Response {
    let signed_in = request.headers().contains_key(header::AUTHORIZATION)
        || request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok())
            .any(|c| c.contains(crate::auth::SESSION_COOKIE));
    let mut response = next.run(request).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if signed_in && json && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Text is compressed when the client asks (gzip, br): JSON, pages, captions, the API
/// description (72 KB, 8.5 KB gzipped). Media never is: Opus and VP8 are compressed already,
/// and a compressed body would break byte ranges.
pub fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::Predicate;
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType};
    tower_http::compression::CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::const_new("audio/"))
            .and(NotForContentType::const_new("video/"))
            .and(NotForContentType::const_new("application/octet-stream"))
            .and(NotForContentType::const_new("application/offset+octet-stream")),
    )
}

/// tus's version rule on the uploads' tus requests (creating, asking how far, sending,
/// terminating; not the JSON `GET`): a request without `Tus-Resumable: 1.0.0` is answered 412
/// with the versions spoken, and every answer — errors too — says `Tus-Resumable`.
pub async fn tus_version(request: Request, next: Next) -> Response {
    use axum::http::Method;
    const VERSION: &str = "1.0.0";
    let resumable = HeaderName::from_static("tus-resumable");
    // Creating is a POST to the collection; the rest are about one session. Other methods are
    // the router's to refuse (405).
    let collection = request.uri().path().trim_end_matches('/').ends_with("/uploads");
    let tus_request = match *request.method() {
        Method::POST => collection,
        Method::HEAD | Method::PATCH | Method::DELETE => !collection,
        _ => false,
    };
    if !tus_request {
        return next.run(request).await;
    }
    if request.headers().get(&resumable).is_none_or(|v| v != VERSION) {
        let body = axum::Json(serde_json::json!({ "error": {
            "code": "unsupported_tus_version",
            "message": format!("this server speaks tus {VERSION}: send Tus-Resumable: {VERSION}"),
        }}));
        return (
            axum::http::StatusCode::PRECONDITION_FAILED,
            [(HeaderName::from_static("tus-version"), VERSION), (resumable, VERSION)],
            body,
        )
            .into_response();
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(resumable, HeaderValue::from_static(VERSION));
    response
}

/// `OPTIONS` on the uploads is both tus's discovery and the CORS preflight: only a request
/// asking `Access-Control-Request-Method` is a preflight (answered by the CORS layer).
pub async fn tus_discovery(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let preflight = request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if request.method() == axum::http::Method::OPTIONS && !preflight {
        return crate::http::api::uploads::options(State(state)).await;
    }
    next.run(request).await
}

#[cfg(test)]
mod tag_list_tests {
    use super::tag_list_names as matches;

    #[test]
    fn if_none_match_lists() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("\"x\", W/\"abc\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abcd\"", "\"abc\""));
        assert!(!matches("", "\"abc\""));
    }
}
