//! The pages: server-rendered HTML (maud: compile-time templates, every value escaped) over
//! the same services and views as the JSON API, with small JavaScript modules and CSS from
//! `web/` embedded in the binary. Their URLs are listed in `http/mod.rs`.

pub(crate) mod api_docs;
mod api_tokens;
pub mod app_shell;
pub(crate) mod assets;
mod avatar;
pub(crate) mod card;
pub(crate) mod checkins;
pub(crate) mod conditional;
mod conversation;
pub(crate) mod dashboard;
mod forms;
pub(crate) mod join;
mod live_parts;
pub(crate) mod members;
pub(crate) mod oembed;
pub(crate) mod page;
mod profile_form;
mod reactions;
pub(crate) mod recorder_approval;
mod recording;
pub(crate) mod round;
pub(crate) mod settings;
pub(crate) mod sso;
pub(crate) mod unsubscribe;
mod webhooks;
mod when;

use axum::response::Response;

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
                (app_shell::head_links())
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
                    a href="/checkins" { "Check-ins" }
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

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn urlencode(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}
