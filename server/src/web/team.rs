//! The team's pages: `/setup/{token}` (the first run), `/join/{token}` (an invitation),
//! `/members` (who is around, the hours everyone shares, invitations) and `/settings` (your
//! profile and password). Setting up and joining are plain forms (nobody is signed in yet);
//! what a signed-in page changes goes through the JSON API from its script, with the session's
//! CSRF token.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::auth::{Credential, Viewer, transport};
use crate::domain::{InviteState, Role, User, WorkingHours};
use crate::error::AppError;
use crate::services::accounts::start_session;
use crate::services::invites::{self, Invitation, Newcomer, closed_message};
use crate::services::team::{self, Team};
use crate::state::AppState;
use crate::working_hours::DAYS;

fn layout(title: &str, csrf: Option<&str>, scripts: &[&str], body: Markup) -> Markup {
    let noindex = html! { meta name="robots" content="noindex"; };
    super::document(title, csrf, noindex, scripts, html! { main { (body) } })
}

/// A page that only says why there is nothing here.
fn notice(status: StatusCode, title: &str, message: &str) -> Response {
    let page = layout(
        title,
        None,
        &[],
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/login" { "Sign in" } }
        },
    );
    (status, page).into_response()
}

/// The fields everyone fills in about themselves: name, time zone (filled in from the browser
/// by `profile.js` when `guess_zone`), working hours per weekday.
fn profile_fields(name: &str, zone: &str, hours: &WorkingHours, guess_zone: bool) -> Markup {
    html! {
        label { "Your name" input type="text" name="name" required maxlength="200" autocomplete="name" value=(name); }
        label {
            "Time zone"
            input type="text" name="time_zone" required list="zones" value=(zone) data-guess-zone[guess_zone];
        }
        datalist #zones { @for zone in chrono_tz::TZ_VARIANTS.iter() { option value=(zone.name()) {} } }
        fieldset.hours {
            legend { "Working hours, in your time" }
            @for (day, key) in DAYS {
                @let span = hours.on(day);
                div.day {
                    label.dayname { input type="checkbox" name={ "day_" (key) } checked[span.is_some()]; " " (day_label(key)) }
                    input type="time" name={ "start_" (key) } aria-label={ (day_label(key)) " from" }
                        value=(span.map_or("09:00".to_owned(), |s| s.start.format("%H:%M").to_string()));
                    " – "
                    input type="time" name={ "end_" (key) } aria-label={ (day_label(key)) " until" }
                        value=(span.map_or("17:00".to_owned(), |s| s.end.format("%H:%M").to_string()));
                }
            }
        }
    }
}

fn day_label(key: &str) -> &'static str {
    match key {
        "mon" => "Monday",
        "tue" => "Tuesday",
        "wed" => "Wednesday",
        "thu" => "Thursday",
        "fri" => "Friday",
        "sat" => "Saturday",
        _ => "Sunday",
    }
}

/// The working hours a form's `day_*`, `start_*` and `end_*` fields give.
fn hours_from_form(form: &HashMap<String, String>) -> Result<WorkingHours, AppError> {
    let mut pairs = BTreeMap::new();
    for (_, key) in DAYS {
        if form.contains_key(&format!("day_{key}")) {
            let field = |name: &str| form.get(&format!("{name}_{key}")).cloned().unwrap_or_default();
            pairs.insert(key.to_owned(), (field("start"), field("end")));
        }
    }
    WorkingHours::from_pairs(&pairs).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The hours a form was filled in with, or the default hours for a form not filled in yet.
fn hours_filled(filled: &HashMap<String, String>) -> WorkingHours {
    if filled.is_empty() {
        WorkingHours::default()
    } else {
        hours_from_form(filled).unwrap_or_default()
    }
}

fn newcomer_from_form(form: &HashMap<String, String>) -> Result<Newcomer, AppError> {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    Ok(Newcomer {
        name: field("name"),
        email: field("email"),
        password: field("password"),
        time_zone: field("time_zone"),
        working_hours: Some(hours_from_form(form)?),
    })
}

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

/// Signs `user` in and sends them to the dashboard.
async fn sign_in(state: &AppState, user: &User, headers: &HeaderMap, peer: SocketAddr) -> Response {
    match start_session(state, user, transport(state, headers, peer)).await {
        Ok((cookie, _)) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, cookie), (header::LOCATION, "/".to_owned())],
        )
            .into_response(),
        Err(err) => notice(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            &err.to_string(),
        ),
    }
}

// ---- First run -------------------------------------------------------------------------

pub async fn setup_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match invites::check_setup(&state, &token).await {
        Ok(()) => setup_form(&token, None, &HashMap::new()).into_response(),
        Err(_) => notice(StatusCode::NOT_FOUND, "Not found", "This setup link has been used."),
    }
}

fn setup_form(token: &str, error: Option<&str>, filled: &HashMap<String, String>) -> Markup {
    let value = |name: &str| filled.get(name).cloned().unwrap_or_default();
    layout(
        "Set up Offbeat",
        None,
        &["profile.js"],
        html! {
            h1 { "Set up Offbeat" }
            p { "Name your team's workspace and make its first account: yours, as its admin. Then invite your teammates from the members page." }
            form.profile method="post" action={ "/setup/" (token) } {
                label { "Workspace" input type="text" name="workspace" required maxlength="200" value=(value("workspace")) placeholder="Acme"; }
                (profile_fields(&value("name"), &value("time_zone"), &hours_filled(filled), true))
                label { "Email" input type="email" name="email" required autocomplete="username" value=(value("email")); }
                label { "Password" input type="password" name="password" required minlength="8" autocomplete="new-password"; }
                button type="submit" { "Create the workspace" }
                @if let Some(error) = error { p.status role="alert" { (error) } }
            }
        },
    )
}

pub async fn setup_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !same_origin(&state, &headers) {
        return notice(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form was sent from another site.",
        );
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

// ---- Invitations --------------------------------------------------------------------------

pub async fn join_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match invites::open(&state, &token).await {
        Ok(Invitation::Open { workspace, email }) => {
            join_form(&token, &workspace, email.as_deref(), None, &HashMap::new()).into_response()
        }
        Ok(Invitation::Closed(closed)) => closed_page(closed),
        Err(AppError::NotFound(_)) => notice(StatusCode::NOT_FOUND, "Not found", "There is no such invitation."),
        Err(err) => notice(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            &err.to_string(),
        ),
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

fn join_form(
    token: &str,
    workspace: &str,
    email: Option<&str>,
    error: Option<&str>,
    filled: &HashMap<String, String>,
) -> Markup {
    let value = |name: &str| filled.get(name).cloned().unwrap_or_default();
    layout(
        "Join",
        None,
        &["profile.js"],
        html! {
            h1 { "Join " (workspace) " on Offbeat" }
            form.profile method="post" action={ "/join/" (token) } {
                (profile_fields(&value("name"), &value("time_zone"), &hours_filled(filled), true))
                @match email {
                    Some(email) => label { "Email" input type="email" name="email" value=(email) readonly; },
                    None => label { "Email" input type="email" name="email" required autocomplete="username" value=(value("email")); },
                }
                label { "Password" input type="password" name="password" required minlength="8" autocomplete="new-password"; }
                button type="submit" { "Join" }
                @if let Some(error) = error { p.status role="alert" { (error) } }
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
    if !same_origin(&state, &headers) {
        return notice(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form was sent from another site.",
        );
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
                join_form(&token, &workspace, email.as_deref(), Some(&err.to_string()), &form),
            )
                .into_response(),
            Ok(Invitation::Closed(closed)) => closed_page(closed),
            Err(_) => notice(StatusCode::NOT_FOUND, "Not found", "There is no such invitation."),
        },
    }
}

// ---- Members ----------------------------------------------------------------------------

pub async fn members_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    let now = chrono::Utc::now();
    let team = match team::team(&state, &viewer, now).await {
        Ok(team) => team,
        Err(err) => {
            return notice(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &err.to_string(),
            );
        }
    };
    let invites = if user.is_admin {
        invites::list(&state, &viewer).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let now_minutes = {
        let local = now.with_timezone(&user.zone());
        i64::from(chrono::Timelike::hour(&local)) * 60 + i64::from(chrono::Timelike::minute(&local))
    };
    layout(
        "Members",
        Some(csrf),
        &["members.js"],
        html! {
            nav { a href="/" { "← Dashboard" } }
            h1 { "Members" }
            p.summary #shared-hours { (team.shared_hours.summary) }
            (timeline(&team, now_minutes))
            table.members {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Local time" } th scope="col" { "Time zone" }
                    th scope="col" { "Hours" } th scope="col" { "Now" } th scope="col" { "Role" }
                    @if user.is_admin { th scope="col" { span.visually-hidden { "Actions" } } }
                } }
                tbody {
                    @for member in &team.members {
                        tr data-member=(member.id) {
                            td { (member.name) @if member.is_you { " (you)" } }
                            td.time { (member.local_time) }
                            td { (member.time_zone) }
                            td { (member.working_hours) }
                            td { @if member.working_now { span.badge.on { "Working" } } @else { span.badge { "Away" } } }
                            td { @match member.role { Role::Admin => "Admin", Role::Member => "Member" } }
                            @if user.is_admin {
                                td.actions {
                                    @match member.role {
                                        Role::Admin => button type="button" data-action="demote" { "Take admin" },
                                        Role::Member => button type="button" data-action="promote" { "Make admin" },
                                    }
                                    " "
                                    button type="button" data-action="remove" { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
            p.status role="status" #member-status {}
            @if user.is_admin {
                section aria-label="Invitations" {
                    h2 { "Invite people" }
                    form #invite-form {
                        label { "Only for this email (optional)" input type="email" name="email"; }
                        label { "Expires in days" input type="number" name="expires_in_days" min="1" max="365" value="7"; }
                        label { "How many may join (empty: any)" input type="number" name="max_uses" min="1" max="1000"; }
                        button type="submit" { "Create invite link" }
                    }
                    p #invite-made hidden {
                        "Send this link: " input #invite-url type="text" readonly aria-label="Invite link";
                        " " button type="button" #invite-copy { "Copy" }
                    }
                    ul.invites {
                        @for invite in &invites {
                            li data-invite=(invite.id) {
                                (invite.email.as_deref().unwrap_or("anyone with the link"))
                                " · " (invite.uses) @if let Some(max) = invite.max_uses { " of " (max) } " used"
                                " · " (state_label(invite.state))
                                @if invite.state == InviteState::Open { " " button type="button" data-action="revoke" { "Withdraw" } }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

/// Everyone's hours on the viewer's day, in the viewer's time: a row per member, the hours
/// all share as a band in every row, and a line at now. Drawn with SVG shapes (the page's
/// policy allows no inline styles).
fn timeline(team: &Team, now_minutes: i64) -> Markup {
    const DAY: i64 = 1440;
    let clip = |(from, to): (i64, i64)| (from.clamp(0, DAY), to.clamp(0, DAY));
    let shared: Vec<(i64, i64)> = team.shared_hours.minutes.iter().copied().map(clip).collect();
    html! {
        div.timeline role="img"
            aria-label={ "Working hours today in your time (" (team.shared_hours.time_zone) "). " (team.shared_hours.summary) } {
            div.timeline-row aria-hidden="true" {
                span.name {}
                svg.axis viewBox={ "0 0 " (DAY) " 40" } {
                    @for hour in (0..24).step_by(3) { text x=(hour * 60 + 4) y="30" { (format!("{hour:02}:00")) } }
                }
            }
            @for member in &team.members {
                div.timeline-row aria-hidden="true" {
                    span.name { (member.name) }
                    svg.track viewBox={ "0 0 " (DAY) " 10" } preserveAspectRatio="none" {
                        @for (from, to) in &shared { rect.shared x=(from) y="0" width=(to - from) height="10" {} }
                        @for (from, to) in member.minutes_your_time.iter().copied().map(clip) {
                            rect.hours x=(from) y="2" width=(to - from) height="6" {}
                        }
                        line.now x1=(now_minutes) x2=(now_minutes) y1="0" y2="10" {}
                    }
                }
            }
        }
    }
}

fn state_label(state: InviteState) -> &'static str {
    match state {
        InviteState::Open => "open",
        InviteState::UsedUp => "used up",
        InviteState::Expired => "expired",
        InviteState::Revoked => "withdrawn",
    }
}

// ---- Settings -----------------------------------------------------------------------------

pub async fn settings_page(viewer: Viewer) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    layout(
        "Settings",
        Some(csrf),
        &["profile.js"],
        html! {
            nav { a href="/" { "← Dashboard" } " · " a href="/members" { "Members" } }
            h1 { "Settings" }
            form.profile #profile-form {
                (profile_fields(&user.display_name, &user.time_zone, &user.working_hours, false))
                button type="submit" { "Save" }
                p.status role="status" #profile-status {}
            }
            h2 { "Password" }
            form.profile #password-form {
                label { "Current password" input type="password" name="current" required autocomplete="current-password"; }
                label { "New password" input type="password" name="new" required minlength="8" autocomplete="new-password"; }
                button type="submit" { "Change password" }
                p.status role="status" #password-status {}
            }
        },
    )
    .into_response()
}
