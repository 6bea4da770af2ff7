//! `/`: the dashboard (record a message, the inbox, my clips, search) and `/login`.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::policy::relation;
use crate::auth::{Credential, Viewer};
use crate::db::clips::{self, Scope};
use crate::error::AppError;
use crate::routes::auth::{check_password, start_session};
use crate::routes::clips::ClipView;
use crate::routes::search::results;
use crate::routes::threads::{clock, inbox_json};
use crate::state::AppState;

fn layout(title: &str, csrf: Option<&str>, scripts: &[&str], body: Markup) -> Markup {
    let noindex = html! { meta name="robots" content="noindex"; };
    super::document(title, csrf, noindex, scripts, html! { main { (body) } })
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    q: Option<String>,
}

pub async fn dashboard(State(state): State<AppState>, viewer: Viewer, Query(query): Query<DashboardQuery>) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    match render(&state, &viewer, user, csrf, query.q.as_deref().unwrap_or("")).await {
        Ok(page) => page.into_response(),
        Err(err) => {
            tracing::error!("dashboard: {err:?}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; try again.").into_response()
        }
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    user: &crate::db::users::UserRow,
    csrf: &str,
    q: &str,
) -> Result<Markup, AppError> {
    let inbox = inbox_json(state, viewer).await?;
    let scope = Scope::of(user);
    // My threads, then the team's, newest first.
    let (mut mine, mut team) = (Vec::new(), Vec::new());
    for row in clips::list(&state.db, scope, 40, None).await? {
        let own = row.owner_id.as_deref() == Some(user.id.as_str());
        let rel = relation(Some(user), None, &row.access(), Utc::now());
        let view = ClipView::load(state, row, viewer.audience(rel)).await?;
        let view = serde_json::to_value(view).map_err(|e| AppError::Internal(e.into()))?;
        if own { mine.push(view) } else { team.push(view) }
    }
    let found = if q.trim().is_empty() {
        None
    } else {
        Some(results(state, viewer, q, 20).await?)
    };
    Ok(layout(
        "Dashboard",
        Some(csrf),
        &["record.js", "dashboard.js"],
        html! {
            header.controls {
                h1 { "Offbeat" }
                span.byline { "Signed in as " (user.display_name) " (" (user.time_zone) ")" }
                button #sign-out type="button" { "Sign out" }
            }
            section aria-label="Record a message" {
                h2 { "New message" }
                offbeat-record {}
            }
            form.search role="search" method="get" action="/" {
                input type="search" name="q" value=(q) placeholder="Search transcripts and titles" aria-label="Search transcripts and titles";
            }
            @if let Some(found) = &found {
                section.results aria-label="Search results" {
                    h2 { "Results for “" (q) "”" }
                    @let hits = found["results"].as_array().cloned().unwrap_or_default();
                    @if hits.is_empty() { p.status { "Nothing found." } }
                    ol {
                        @for hit in &hits {
                            @let at = hit["start_ms"].as_i64().unwrap_or(0);
                            li {
                                a href={ (hit["clip"]["page_url"].as_str().unwrap_or("#")) "?t=" (at as f64 / 1000.0) } {
                                    (hit["clip"]["title"].as_str().unwrap_or_default()) " · " (clock(at))
                                }
                                // Built by the server from escaped text, with <mark> around matches.
                                p { (PreEscaped(hit["snippet_html"].as_str().unwrap_or_default())) }
                            }
                        }
                    }
                }
            }
            section aria-label="Inbox" {
                h2 { "Inbox" }
                @let threads = inbox["threads"].as_array().cloned().unwrap_or_default();
                @if threads.is_empty() { p.status { "Nothing new." } }
                ul {
                    @for thread in &threads {
                        li { (clip_link(&thread["root"])) " · " strong { (thread["unheard"].as_i64().unwrap_or(0)) " new" } }
                    }
                }
            }
            (clip_list("Your messages", "No messages yet: record the first one above.", &mine))
            (clip_list("From your team", "Nothing from your team yet.", &team))
        },
    ))
}

fn clip_list(heading: &str, empty: &str, clips: &[Value]) -> Markup {
    html! {
        section aria-label=(heading) {
            h2 { (heading) }
            @if clips.is_empty() { p.status { (empty) } }
            ul {
                @for clip in clips {
                    li {
                        (clip_link(clip)) " · " (clip["author"].as_str().unwrap_or("someone"))
                        " · " (clock(clip["duration_ms"].as_i64().unwrap_or(0)))
                        " · transcript " (clip["transcript"]["status"].as_str().unwrap_or("pending"))
                    }
                }
            }
        }
    }
}

fn clip_link(clip: &Value) -> Markup {
    let title = clip["title"]
        .as_str()
        .filter(|t| !t.is_empty())
        .unwrap_or("Untitled clip");
    html! {
        @match clip["page_url"].as_str() {
            Some(url) => a href=(url) { (title) },
            None => span { (title) },
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_page() -> Markup {
    login_markup(None, "")
}

fn login_markup(error: Option<&str>, email: &str) -> Markup {
    layout(
        "Sign in",
        None,
        &[],
        html! {
            h1 { "Sign in to Offbeat" }
            form.reply method="post" action="/login" {
                label { "Email" input type="email" name="email" required autocomplete="username" value=(email); }
                label { "Password" input type="password" name="password" required autocomplete="current-password"; }
                button type="submit" { "Sign in" }
                @if let Some(error) = error { p.status role="alert" { (error) } }
            }
        },
    )
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let user = match check_password(&state, peer, &form.email, form.password).await {
        Ok(user) => user,
        Err(err) => {
            let status = match err {
                AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::BAD_REQUEST,
            };
            return (status, login_markup(Some(&err.to_string()), &form.email)).into_response();
        }
    };
    match start_session(&state, &user).await {
        Ok((cookie, _)) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, cookie), (header::LOCATION, "/".to_owned())],
        )
            .into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            login_markup(Some(&err.to_string()), &form.email),
        )
            .into_response(),
    }
}
