//! What every response carries and who may call across sites: the security headers (a strict
//! CSP; only the bare player may be framed), CORS for the sites allowed to embed the record
//! button, and tus's discovery answer to `OPTIONS`.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The page may embed in other sites only as the player (`?embed=1`); nothing else may be
/// framed, no inline script runs anywhere, no Referer leaks a share token.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";
const CSP_EMBED: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors *";

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
        }),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
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
