//! Single sign-on's pages: `/auth/oidc/start` sends the browser to the identity provider,
//! `/auth/oidc/callback` takes it back (a member is signed in; a verified newcomer gets the
//! first-run form), `/auth/oidc/welcome` takes that form. Refusals say why, and the log says
//! more (`single sign-on refused`, with the reason).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::dashboard::after_sign_in;
use super::forms::cross_site;
use super::profile_form::{hours_filled, profile_fields, profile_from_form};
use super::{failure, private_page};
use crate::error::AppError;
use crate::http::viewer::{cookie_value, transport};
use crate::services::accounts::{Transport, private_cookie, start_session};
use crate::services::single_sign_on::{self, Arrival, Callback, LOGIN_COOKIE, LOGIN_MINUTES, NewcomerForm, Refusal};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
    /// The invitation link's token, when the browser set out from an invitation.
    invite: Option<String>,
}

/// The cookie that binds the trip to this browser: only the SSO routes see it.
fn login_cookie(value: &str, max_age_secs: i64, transport: Transport) -> String {
    private_cookie(LOGIN_COOKIE, "/auth/oidc", value, max_age_secs, transport)
}

pub async fn start(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let next = after_sign_in(query.next.as_deref().unwrap_or(""));
    let invite = query.invite.filter(|t| !t.is_empty() && t.len() <= 128);
    match single_sign_on::depart(&state, peer.ip(), next, invite).await {
        Ok(departure) => (
            StatusCode::SEE_OTHER,
            [
                (
                    header::SET_COOKIE,
                    login_cookie(
                        &departure.browser_key,
                        LOGIN_MINUTES * 60,
                        transport(&state, &headers, peer),
                    ),
                ),
                (header::LOCATION, departure.provider_url),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
        )
            .into_response(),
        Err(refusal) => refused(refusal),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Response {
    let transport = transport(&state, &headers, peer);
    let spent = login_cookie("", 0, transport);
    let browser_key = cookie_value(&headers, LOGIN_COOKIE);
    let answer = match single_sign_on::arrive(&state, browser_key.as_deref(), query).await {
        Ok(Arrival::Member { user, next }) => match start_session(&state, &user, transport).await {
            Ok((session, _)) => {
                tracing::info!(user = %user.id, "signed in through the identity provider");
                (
                    StatusCode::SEE_OTHER,
                    AppendHeaders([(header::SET_COOKIE, session), (header::LOCATION, next)]),
                )
                    .into_response()
            }
            Err(err) => failure("single sign-on", &err),
        },
        Ok(Arrival::Newcomer(form)) => welcome_page(&form, None, &HashMap::new()).into_response(),
        Err(refusal) => refused(refusal),
    };
    (
        AppendHeaders([
            (header::SET_COOKIE, spent),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ]),
        answer,
    )
        .into_response()
}

/// The first-run form of a verified newcomer: their name (from the provider), time zone (from
/// the browser) and working hours, as an invitation asks.
fn welcome_page(form: &NewcomerForm, error: Option<&str>, filled: &HashMap<String, String>) -> Markup {
    let name = filled.get("name").cloned().unwrap_or_else(|| form.name.clone());
    let zone = filled.get("time_zone").cloned().unwrap_or_default();
    private_page(
        "Welcome",
        None,
        &["profile.js"],
        html! {
            h1 { "Join " (form.workspace) " on Offbeat" }
            p { "Your identity provider signed you in as " strong { (form.email) } ". One more step: tell your teammates when you work, so that Offbeat asks and notifies you only then." }
            form.profile method="post" action="/auth/oidc/welcome" {
                input type="hidden" name="key" value=(form.key);
                (profile_fields(&name, &zone, &hours_filled(filled), true))
                button.primary type="submit" { "Join" }
                @if let Some(error) = error { p.status role="alert" { (error) } }
            }
        },
    )
}

pub async fn welcome_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = cross_site(&state, &headers) {
        return refused;
    }
    let key = form.get("key").cloned().unwrap_or_default();
    let profile = profile_from_form(&form);
    match single_sign_on::join(&state, &key, profile).await {
        Ok((user, next)) => match start_session(&state, &user, transport(&state, &headers, peer)).await {
            Ok((session, _)) => {
                tracing::info!(user = %user.id, "joined through the identity provider");
                (
                    StatusCode::SEE_OTHER,
                    AppendHeaders([(header::SET_COOKIE, session), (header::LOCATION, next)]),
                )
                    .into_response()
            }
            Err(err) => failure("single sign-on", &err),
        },
        Err(not_joined) => match not_joined.form {
            Some(shown) => (
                StatusCode::BAD_REQUEST,
                welcome_page(&shown, Some(&not_joined.error.to_string()), &form),
            )
                .into_response(),
            None => refused(not_joined.error),
        },
    }
}

/// The page that says why someone was not let in; the reason goes to the log too.
fn refused(refusal: Refusal) -> Response {
    match &refusal {
        Refusal::App(err @ AppError::Internal(_)) => return failure("single sign-on", err),
        Refusal::App(AppError::TooManyRequests { retry_after_secs }) => {
            let wait = format!("Too many sign-ins from here: try again in {retry_after_secs} s.");
            let mut answer = super::notice(StatusCode::TOO_MANY_REQUESTS, "Slow down", &wait);
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                answer.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return answer;
        }
        _ => {}
    }
    tracing::warn!(reason = %refusal.reason(), "single sign-on refused");
    let status = match refusal {
        Refusal::NotSetUp => StatusCode::NOT_FOUND,
        Refusal::Untrusted(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::FORBIDDEN,
    };
    let mut sentence = refusal.to_string();
    if let Some(first) = sentence.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let page = private_page(
        "Not signed in",
        None,
        &[],
        html! {
            h1 { "Not signed in" }
            p role="alert" { (sentence) "." }
            p { a.button href="/login" { "Back to sign-in" } }
        },
    );
    (status, page).into_response()
}
