//! `/setup/{token}` (the first run: the workspace and its first admin) and `/join/{token}` (an
//! invitation). Plain forms — nobody is signed in yet — refused when posted from another site;
//! whoever they make is signed in and sent to the dashboard.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::forms::cross_site;
use super::profile_form::{hours_filled, newcomer_from_form, profile_fields};
use super::{failure, notice, private_page};
use crate::config::PasswordSignIn;
use crate::error::AppError;
use crate::http::viewer::transport;
use crate::services::accounts::start_session;
use crate::services::invites::{self, Invitation, closed_message};
use crate::state::AppState;
use db::domain::{InviteState, User};

/// Signs `user` in and sends them to the dashboard.
async fn sign_in(state: &AppState, user: &User, headers: &HeaderMap, peer: SocketAddr) -> Response {
    match start_session(state, user, transport(state, headers, peer)).await {
        Ok((cookie, _)) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, cookie), (header::LOCATION, "/".to_owned())],
        )
            .into_response(),
        Err(err) => failure("join", &err),
    }
}

pub async fn setup_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match invites::check_setup(&state, &token).await {
        Ok(()) => setup_form(&token, None, &HashMap::new()).into_response(),
        Err(_) => notice(StatusCode::NOT_FOUND, "Not found", "This setup link has been used."),
    }
}

fn setup_form(token: &str, error: Option<&str>, filled: &HashMap<String, String>) -> Markup {
    let value = |name: &str| filled.get(name).cloned().unwrap_or_default();
    private_page(
        "Set up Offbeat",
        None,
        &["profile.js"],
        html! {
            h1 { "Set up Offbeat" }
            p { "Name your team's workspace and make its first account: yours, as its admin. Then invite your teammates from the members page." }
            (newcomer_form(
                &format!("/setup/{token}"),
                html! { label { "Workspace" input type="text" name="workspace" required maxlength="200" value=(value("workspace")) placeholder="Acme"; } },
                None,
                "Create the workspace",
                error,
                filled,
            ))
        },
    )
}

/// A newcomer's form: `first` (what only this form asks), their profile, email (fixed when
/// `fixed_email`), password, the button, and what went wrong with what they sent (`filled`).
fn newcomer_form(
    action: &str,
    first: Markup,
    fixed_email: Option<&str>,
    submit: &str,
    error: Option<&str>,
    filled: &HashMap<String, String>,
) -> Markup {
    let value = |name: &str| filled.get(name).cloned().unwrap_or_default();
    html! {
        form.profile method="post" action=(action) {
            (first)
            (profile_fields(&value("name"), &value("time_zone"), &hours_filled(filled), true))
            @match fixed_email {
                Some(email) => label { "Email" input type="email" name="email" value=(email) readonly; },
                None => label { "Email" input type="email" name="email" required autocomplete="username" value=(value("email")); },
            }
            label { "Password" input type="password" name="password" required minlength="8" autocomplete="new-password"; }
            button type="submit" { (submit) }
            @if let Some(error) = error { p.status role="alert" { (error) } }
        }
    }
}

pub async fn setup_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = cross_site(&state, &headers) {
        return refused;
    }
    let workspace = form.get("workspace").cloned().unwrap_or_default();
    let made = match newcomer_from_form(&form) {
        Ok(admin) => invites::set_up(&state, &token, &workspace, admin).await,
        Err(err) => Err(err),
    };
    match made {
        Ok(user) => sign_in(&state, &user, &headers, peer).await,
        Err(AppError::NotFound(_)) => notice(StatusCode::NOT_FOUND, "Not found", "This setup link has been used."),
        Err(err) => (status_of(&err), setup_form(&token, Some(&err.to_string()), &form)).into_response(),
    }
}

fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Gone(_) => StatusCode::GONE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

pub async fn join_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match invites::open(&state, &token).await {
        Ok(Invitation::Open { workspace, email }) => {
            join_form(&state, &token, &workspace, email.as_deref(), None, &HashMap::new()).into_response()
        }
        Ok(Invitation::Closed(closed)) => closed_page(closed),
        Err(AppError::NotFound(_)) => notice(StatusCode::NOT_FOUND, "Not found", "There is no such invitation."),
        Err(err) => failure("join", &err),
    }
}

fn closed_page(closed: InviteState) -> Response {
    let message = closed_message(closed);
    let title = match closed {
        InviteState::UsedUp => "Invitation used up",
        InviteState::Expired => "Invitation expired",
        InviteState::Revoked | InviteState::Open => "Invitation withdrawn",
    };
    let mut sentence = message.to_owned();
    if let Some(first) = sentence.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    notice(StatusCode::GONE, title, &format!("{sentence}."))
}

/// An invitation's page: joining through the team's identity provider first (when set up),
/// then with a password — unless passwords are not for members here.
fn join_form(
    state: &AppState,
    token: &str,
    workspace: &str,
    email: Option<&str>,
    error: Option<&str>,
    filled: &HashMap<String, String>,
) -> Markup {
    let password_form = newcomer_form(&format!("/join/{token}"), html! {}, email, "Join", error, filled);
    private_page(
        "Join",
        None,
        &["profile.js"],
        html! {
            h1 { "Join " (workspace) " on Offbeat" }
            @match state.sso.provider() {
                None => (password_form),
                Some(provider) => {
                    p.sso { a.button.primary.sso href={ "/auth/oidc/start?invite=" (super::urlencode(token)) } { (provider.button_label) } }
                    @if state.config.password_sign_in == PasswordSignIn::Everyone {
                        p.or { "or make a password" }
                        (password_form)
                    }
                }
            }
        },
    )
}

pub async fn join_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = cross_site(&state, &headers) {
        return refused;
    }
    let joined = match newcomer_from_form(&form) {
        Ok(newcomer) => invites::accept(&state, &token, newcomer).await,
        Err(err) => Err(err),
    };
    match joined {
        Ok(user) => sign_in(&state, &user, &headers, peer).await,
        Err(AppError::NotFound(_)) => notice(StatusCode::NOT_FOUND, "Not found", "There is no such invitation."),
        Err(err) => match invites::open(&state, &token).await {
            Ok(Invitation::Open { workspace, email }) => (
                status_of(&err),
                join_form(
                    &state,
                    &token,
                    &workspace,
                    email.as_deref(),
                    Some(&err.to_string()),
                    &form,
                ),
            )
                .into_response(),
            Ok(Invitation::Closed(closed)) => closed_page(closed),
            Err(_) => notice(StatusCode::NOT_FOUND, "Not found", "There is no such invitation."),
        },
    }
}
