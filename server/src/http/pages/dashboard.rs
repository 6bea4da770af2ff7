//! `/`: the dashboard (record a message, the inbox, my clips, search) and `/login`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::urlencode;
use crate::auth::{Credential, Viewer};
use crate::config::PasswordSignIn;
use crate::error::AppError;
use crate::http::pages::avatar::avatar;
use crate::http::pages::live_parts::version_of;
use crate::http::pages::when::{moment_in, short_day, viewer_time};
use crate::http::viewer::transport;
use crate::services::accounts::{check_password, start_session};
use crate::services::cards::{self, Card};
use crate::services::checkins::rounds::{self as checkin_rounds, DueView, OpenRound};
use crate::services::clips::{self, ClipView};
use crate::services::search::{self, SearchResults};
use crate::services::threads;
use crate::state::AppState;
use db::clips::Listed;
use db::domain::{AskState, TranscriptStatus, User, clock};

/// How many of the newest messages the dashboard lists.
const LISTED: i64 = 40;

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    q: Option<String>,
    /// Older messages: the `next` cursor of the page before.
    after: Option<String>,
    /// Only this member's messages.
    author: Option<String>,
    /// `unheard`: only the threads with something I have not heard.
    show: Option<String>,
}

/// What the dashboard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    Everything,
    /// Only threads with something unheard.
    Unheard,
}

/// The dashboard's filters, as the query gave them.
struct Filters<'a> {
    q: &'a str,
    after: Option<&'a str>,
    author: Option<&'a str>,
    show: Show,
}

pub async fn dashboard(State(state): State<AppState>, viewer: Viewer, Query(query): Query<DashboardQuery>) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    let filters = Filters {
        q: query.q.as_deref().unwrap_or(""),
        after: query.after.as_deref().filter(|a| !a.is_empty()),
        author: query.author.as_deref().filter(|a| !a.is_empty()),
        show: match query.show.as_deref() {
            Some("unheard") => Show::Unheard,
            _ => Show::Everything,
        },
    };
    match render(&state, &viewer, user, csrf, &filters).await {
        Ok(page) => page.into_response(),
        // A link edited by hand (a cursor that is not one): said, not a server error.
        Err(AppError::BadRequest(why)) => {
            super::notice(StatusCode::BAD_REQUEST, "That page of messages does not exist", &why)
        }
        Err(err) => super::failure("dashboard", &err),
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    csrf: &str,
    filters: &Filters<'_>,
) -> Result<Markup, AppError> {
    let q = filters.q;
    // Every moment on the page in the viewer's own zone.
    let zone = user.zone();
    let inbox = threads::inbox(state, viewer).await?;
    let page = clips::list(
        state,
        viewer,
        user,
        Listed::Messages,
        LISTED,
        filters.after,
        filters.author,
    )
    .await?;
    let members = crate::services::team::members(state, viewer).await?;
    // Everyone's newest, mine apart; or one member's.
    let (mine, team): (Vec<ClipView>, Vec<ClipView>) = page
        .clips
        .into_iter()
        .partition(|clip| filters.author.is_none() && clip.owner_id.as_deref() == Some(user.id.as_str()));
    let author_name = filters
        .author
        .and_then(|id| members.iter().find(|m| m.id == id))
        .map(|m| m.display_name.clone());
    let older = page.next.as_ref().map(|next| {
        let mut link = format!("/?after={}", urlencode(next));
        if let Some(author) = filters.author {
            link.push_str(&format!("&author={}", urlencode(author)));
        }
        link
    });
    // A query the search refuses (too long) is said on the page, not turned into an error page.
    let found = if q.trim().is_empty() {
        None
    } else {
        match search::search(state, viewer, q, 20).await {
            Ok(found) => Some(Ok(found)),
            Err(AppError::BadRequest(why)) => Some(Err(why)),
            Err(err) => return Err(err),
        }
    };
    let unheard: HashMap<String, cards::Waiting> = inbox
        .threads
        .iter()
        .map(|t| {
            let waiting = cards::Waiting {
                messages: t.unheard,
                from: t.unheard_from.clone(),
            };
            (t.root.id.clone(), waiting)
        })
        .collect();
    let inbox_clips: Vec<ClipView> = inbox
        .threads
        .into_iter()
        .filter(|t| filters.author.is_none_or(|a| t.root.owner_id.as_deref() == Some(a)))
        .map(|t| t.root)
        .collect();
    // Each message once: what waits in the inbox is not listed again below it.
    let in_inbox: std::collections::HashSet<&str> = inbox_clips.iter().map(|c| c.id.as_str()).collect();
    let (mine, team): (Vec<ClipView>, Vec<ClipView>) = (
        mine.into_iter().filter(|c| !in_inbox.contains(c.id.as_str())).collect(),
        team.into_iter().filter(|c| !in_inbox.contains(c.id.as_str())).collect(),
    );
    let [inbox_cards, mine, team] = cards::cards(state, [inbox_clips, mine, team], &unheard).await?;
    let due = checkin_rounds::due(state, viewer).await?;
    let open = checkin_rounds::open_rounds(state, viewer).await?;
    Ok(super::private_page(
        "Dashboard",
        Some(csrf),
        &["record.js", "live.js"],
        html! {
            p.byline.welcome { "Signed in as " (user.display_name) " · times in " (user.time_zone) }
            section.record #record aria-labelledby="record-heading" {
                h2 #record-heading { "New message" }
                p.hint { "Give it a title, or leave it empty: the first words you say become its title." }
                offbeat-record {}
            }
            form.search role="search" method="get" action="/" {
                input type="search" name="q" value=(q) placeholder="Search transcripts, titles and replies" aria-label="Search transcripts, titles and replies";
            }
            @match &found {
                Some(Ok(found)) => (search_results(q, found, zone)),
                Some(Err(why)) => p.status role="status" { (why) },
                None => {},
            }
            form.filters method="get" action="/" aria-label="Filter messages" {
                label { "From " select name="author" {
                    option value="" selected[filters.author.is_none()] { "everyone" }
                    @for member in &members {
                        option value=(member.id) selected[filters.author == Some(member.id.as_str())] { (member.display_name) }
                    }
                } }
                label { input type="checkbox" name="show" value="unheard" checked[filters.show == Show::Unheard]; " only unheard" }
                button type="submit" { "Show" }
            }
            @if !due.is_empty() || !open.is_empty() { (checkin_cards(&due, &open, zone)) }
            (card_list("inbox", "Inbox", "Nothing new: you have heard everything.", &inbox_cards, zone))
            @if filters.show == Show::Everything {
                @match &author_name {
                    Some(name) => (card_list("team", &format!("From {name}"), "Nothing from them yet.", &team, zone)),
                    None => {
                        (card_list("mine", "Your messages", "No messages yet: record the first one above.", &mine, zone))
                        (card_list("team", "From your team", "Nothing from your team yet.", &team, zone))
                    }
                }
                @if let Some(older) = &older { p { a.older.button href=(older) { "Older messages →" } } }
            }
        },
    ))
}

fn search_results(q: &str, found: &SearchResults, zone: chrono_tz::Tz) -> Markup {
    html! {
        section.results aria-label="Search results" {
            h2 { "Results for “" (q) "”" }
            @if found.results.is_empty() && found.answers.is_empty() { p.status { "Nothing found." } }
            ol {
                @for hit in &found.results {
                    @let at = hit.start_ms.unwrap_or(0);
                    @let page = hit.clip.page_url.as_deref().unwrap_or("#");
                    li {
                        @match &hit.reply_id {
                            // A text reply: the thread, opened at it.
                            Some(reply) => a href={ (page) "#r-" (reply) } { (hit.clip.display_title()) " · a reply" },
                            None => a href={ (page) "?t=" (at as f64 / 1000.0) } { (hit.clip.display_title()) " · " (clock(at)) },
                        }
                        " · " (viewer_time(hit.clip.created_at.instant(), zone))
                        // Built by the server from escaped text, with <mark> around matches.
                        p { (PreEscaped(&hit.snippet_html)) }
                    }
                }
                @for hit in &found.answers {
                    li {
                        a href=(hit.url) { (hit.title) " · " (short_day(&hit.date)) " · a check-in answer" }
                        p { (PreEscaped(&hit.snippet_html)) }
                    }
                }
            }
        }
    }
}

/// What check-ins ask of the viewer ("Stand-up — due by 13:00") and the team's open rounds,
/// one card each; kept current like the rest.
fn checkin_cards(due: &[DueView], open: &[OpenRound], zone: chrono_tz::Tz) -> Markup {
    let inner = html! {
        h2 #checkins-heading { "Check-ins" }
        ul.cards {
            @for item in due {
                li.card.unheard {
                    div.card-body {
                        h3 { a href=(item.page_url) { (item.title) " — due by " (moment_in(item.due_at.instant(), Some(zone))) } }
                        p.meta { "Your answer, by voice, video or text: " (item.questions.join(" · ")) }
                    }
                }
            }
            @for open in open.iter().filter(|o| !due.iter().any(|d| d.round_id == o.round.id)) {
                @let answered = open.round.people.iter().filter(|p| p.state == AskState::Answered).count();
                @let asked = open.round.people.iter().filter(|p| p.state != AskState::Away).count();
                li.card {
                    div.card-body {
                        h3 { a href=(open.round.page_url) { (open.title) " · " (short_day(&open.round.date)) } }
                        p.meta { (answered) " of " (asked) " answered · open until " (moment_in(open.round.closes_at.instant(), Some(zone))) }
                    }
                }
            }
        }
    };
    let v = version_of(&inner);
    html! { section #checkins data-live data-v=(v) aria-labelledby="checkins-heading" { (inner) } }
}

/// A section of message cards that keeps itself current (`live.js`, by its version).
fn card_list(id: &str, heading: &str, empty: &str, cards: &[Card], zone: chrono_tz::Tz) -> Markup {
    let heading_id = format!("{id}-heading");
    let inner = html! {
        h2 id=(heading_id) { (heading) }
        @if cards.is_empty() { p.status { (empty) } }
        ul.cards {
            @for card in cards { (message_card(card, zone)) }
        }
    };
    let v = version_of(&inner);
    html! { section id=(id) data-live data-v=(v) aria-labelledby=(heading_id) { (inner) } }
}

/// One message: who, what, when, how long, what it opens with, how many answers, and
/// whether there is something in it the viewer has not heard.
fn message_card(card: &Card, zone: chrono_tz::Tz) -> Markup {
    let clip = &card.clip;
    let author = clip.author.as_deref().unwrap_or("someone");
    html! {
        li.card.unheard[card.unheard > 0] {
            @if let Some(poster) = &clip.poster_url { img.poster src=(poster) alt="" loading="lazy" width="96" height="54"; }
            @else { (avatar(author)) }
            div.card-body {
                h3 {
                    @match &clip.page_url {
                        Some(url) => a href=(url) { (clip.display_title()) },
                        None => span { (clip.display_title()) },
                    }
                    @if card.unheard > 0 {
                        " " span.dot aria-hidden="true" {}
                        span.new { (card.unheard) " new"
                            @if !card.unheard_from.is_empty() { " from " (card.unheard_from.join(", ")) } }
                    }
                }
                p.meta {
                    (author) " · " (viewer_time(clip.created_at.instant(), zone))
                    " · " span aria-label="Length" { (clock(clip.duration_ms)) }
                    @if clip.media.has_video { " · video" }
                    " · " (match card.replies { 0 => "no replies".to_owned(), 1 => "1 reply".to_owned(), n => format!("{n} replies") })
                }
                @match (&card.summary, &card.opening) {
                    (Some(summary), _) => p.opening.summary-line { (summary) },
                    (None, Some(opening)) => p.opening { "“" (opening) "”" },
                    (None, None) => p.opening.status { (transcript_state(clip.transcript.status)) },
                }
            }
        }
    }
}

/// What a card says while there is no transcript to quote.
fn transcript_state(status: TranscriptStatus) -> &'static str {
    match status {
        TranscriptStatus::Pending | TranscriptStatus::Running => "Transcribing…",
        TranscriptStatus::Ready => "Nothing was said.",
        TranscriptStatus::Failed => "No transcript: transcription failed.",
        TranscriptStatus::Disabled => "No transcript on this server.",
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    /// Where to go once signed in (a page of this site).
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, Query(query): Query<LoginQuery>) -> Markup {
    login_markup(&state, None, "", query.next.as_deref().unwrap_or(""))
}

/// `next` if it is a path on this site, else the dashboard: a sign-in link must not send
/// people elsewhere (`//host` and `/\host` are other sites to a browser).
pub(super) fn after_sign_in(next: &str) -> String {
    // Parsed as a browser would (which drops tabs and newlines, and reads `\` as `/`), against
    // a stand-in origin: only what stays on it is a path of this site. Anything else goes home.
    const HERE: &str = "http://offbeat.invalid/";
    let plain = next.starts_with('/') && !next.chars().any(|c| c.is_control() || c == '\\');
    let parsed = url::Url::parse(HERE).ok().and_then(|here| here.join(next).ok());
    match parsed {
        Some(url)
            if plain && url.scheme() == "http" && url.host_str() == Some("offbeat.invalid") && url.port().is_none() =>
        {
            url[url::Position::BeforePath..].to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The sign-in page: the single sign-on button first (when set up), then the password form —
/// folded away when passwords are for admins only (or the last admin) — and what went wrong.
fn login_markup(state: &AppState, error: Option<&str>, email: &str, next: &str) -> Markup {
    let next = after_sign_in(next);
    let password_form = html! {
        form.reply.narrow method="post" action="/login" {
            label { "Email" input type="email" name="email" required autocomplete="username" value=(email); }
            label { "Password" input type="password" name="password" required autocomplete="current-password"; }
            input type="hidden" name="next" value=(next);
            button.primary[state.sso.provider().is_none()] type="submit" { "Sign in" }
            @if let Some(error) = error { p.status role="alert" { (error) } }
        }
    };
    super::private_page(
        "Sign in",
        None,
        &[],
        html! {
            h1 { "Sign in to Offbeat" }
            @match state.sso.provider() {
                None => (password_form),
                Some(provider) => {
                    p.sso {
                        a.button.primary.sso href={ "/auth/oidc/start?next=" (super::urlencode(&next)) } { (provider.button_label) }
                    }
                    @match state.config.password_sign_in {
                        PasswordSignIn::Everyone => {
                            p.or { "or with your password" }
                            (password_form)
                        }
                        PasswordSignIn::AdminsOnly | PasswordSignIn::Off => {
                            details.password open[error.is_some()] {
                                summary { "Admins: sign in with a password" }
                                (password_form)
                            }
                        }
                    }
                }
            }
        },
    )
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Some(refused) = super::forms::cross_site(&state, &headers) {
        return refused;
    }
    let user = match check_password(&state, peer, &form.email, form.password).await {
        Ok(user) => user,
        Err(err) => {
            let status = match err {
                AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            return (
                status,
                login_markup(&state, Some(&err.to_string()), &form.email, &form.next),
            )
                .into_response();
        }
    };
    match start_session(&state, &user, transport(&state, &headers, peer)).await {
        Ok((cookie, _)) => (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, cookie),
                (header::LOCATION, after_sign_in(&form.next)),
            ],
        )
            .into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            login_markup(&state, Some(&err.to_string()), &form.email, &form.next),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::after_sign_in;

    #[test]
    fn sign_in_returns_only_to_this_site() {
        assert_eq!(after_sign_in("/c/abc"), "/c/abc");
        assert_eq!(after_sign_in("/m/abc?x=1"), "/m/abc?x=1");
        assert_eq!(after_sign_in("/c/abc#r-1"), "/c/abc#r-1");
        // What only looks odd stays a path here.
        assert_eq!(after_sign_in("/%09/evil.example"), "/%09/evil.example");
        for elsewhere in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/a\r\nSet-Cookie: x",
            "c/abc",
            // Browsers drop the tab and follow `//evil.example`.
            "/\t/evil.example",
            "/\n/evil.example",
            "/\u{7f}/evil.example",
        ] {
            assert_eq!(after_sign_in(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
