//! The web: server-rendered pages (maud: compile-time templates, every value escaped), small
//! JavaScript modules and CSS from `web/`, embedded in the binary, and the security headers
//! every response carries.

mod api_docs;
mod assets;
mod avatar;
mod conditional;
mod dashboard;
mod forms;
mod join;
mod live_parts;
mod members;
mod oembed;
mod page;
mod profile_form;
mod recording;
mod settings;
mod unsubscribe;
mod webhooks;
mod when;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;

/// What surrounds a page's own content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chrome {
    /// The site's header: the product, navigation and Record when signed in; Sign in when not.
    Site,
    /// Nothing around it: the player embedded in another site.
    Bare,
}

/// Every page: the document around `body`, with its title, the session's CSRF token for the
/// scripts' writes (present only when signed in), whatever else the page puts in the head,
/// and its script modules.
fn document(
    title: &str,
    csrf: Option<&str>,
    chrome: Chrome,
    head: maud::Markup,
    scripts: &[&str],
    body: maud::Markup,
) -> maud::Markup {
    let version = assets::version();
    let signed_in = csrf.is_some() && chrome == Chrome::Site;
    maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · Offbeat" }
                link rel="stylesheet" href={ "/assets/page.css?v=" (version) };
                @if let Some(csrf) = csrf { meta name="csrf-token" content=(csrf); }
                (head)
                @if signed_in { script type="module" src={ "/assets/site.js?v=" (version) } {} }
                @for script in scripts { script type="module" src={ "/assets/" (script) "?v=" (version) } {} }
            }
            body {
                @if chrome == Chrome::Site {
                    a.skip href="#content" { "Skip to content" }
                    (site_header(signed_in))
                }
                (body)
            }
        }
    }
}

/// The header of every page: where to go, and the way to record.
fn site_header(signed_in: bool) -> maud::Markup {
    maud::html! {
        header.site {
            a.brand href="/" { span.logo aria-hidden="true" {} "Offbeat" }
            @if signed_in {
                nav aria-label="Main" {
                    a href="/" { "Dashboard" }
                    a href="/members" { "Members" }
                    a href="/settings" { "Settings" }
                }
                a.button.primary href="/#record" { "Record" }
                button #sign-out type="button" { "Sign out" }
            } @else {
                nav aria-label="Main" { a href="/login" { "Sign in" } }
            }
        }
    }
}

/// A page for the signed-in (or about to be): never indexed.
fn private_page(title: &str, csrf: Option<&str>, scripts: &[&str], body: maud::Markup) -> maud::Markup {
    let noindex = maud::html! { meta name="robots" content="noindex"; };
    document(
        title,
        csrf,
        Chrome::Site,
        noindex,
        scripts,
        maud::html! { main #content { (body) } },
    )
}

/// A page that failed for a reason that is not the viewer's (the database or storage): the
/// cause goes to the log, the viewer is told plainly and offered another try.
fn failure(page: &str, err: &dyn std::fmt::Debug) -> Response {
    tracing::error!("{page}: {err:?}");
    notice(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side; try again in a moment.",
    )
}

/// A page that only says why there is nothing here.
fn notice(status: axum::http::StatusCode, title: &str, message: &str) -> Response {
    let page = private_page(
        title,
        None,
        &[],
        maud::html! {
            h1 { (title) }
            p { (message) }
            p { a href="/login" { "Sign in" } }
        },
    );
    axum::response::IntoResponse::into_response((status, page))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/login", get(dashboard::login_page).post(dashboard::login_submit))
        .route("/c/{token}", get(page::clip_page))
        .route("/m/{id}", get(page::team_page))
        .route("/setup/{token}", get(join::setup_page).post(join::setup_submit))
        .route("/join/{token}", get(join::join_page).post(join::join_submit))
        .route("/members", get(members::members_page))
        .route("/settings", get(settings::settings_page))
        .route(
            "/unsubscribe/{user}/{signature}",
            get(unsubscribe::page).post(unsubscribe::confirm),
        )
        // Pages answer If-None-Match (see `conditional`); assets are cached for good instead.
        .layer(axum::middleware::from_fn(conditional::etag))
        .route("/assets/{file}", get(assets::asset))
        .route("/api/docs", get(api_docs::api_docs))
        .route("/oembed", get(oembed::oembed))
}

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
