//! `/settings`: your name, time zone and working hours, when email tells you it is your turn,
//! your password (`profile.js` sends them to the API with the session's CSRF token) and your
//! API tokens; for admins, the workspace's webhooks too.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::api_tokens::tokens_section;
use super::profile_form::profile_fields;
use super::webhooks::webhooks_section;
use super::{failure, private_page};
use crate::auth::{Credential, Viewer};
use crate::services::notifications::webhooks;
use crate::state::AppState;
use db::domain::EmailChoice;

pub async fn settings_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    let hooks = if user.is_admin {
        match webhooks::list(&state, &viewer).await {
            Ok(hooks) => Some(hooks),
            Err(err) => {
                return failure("settings page", &err);
            }
        }
    } else {
        None
    };
    let (tokens, has_password) = match tokio::try_join!(
        crate::services::accounts::api_tokens(&state, user),
        crate::services::accounts::has_password(&state, user)
    ) {
        Ok(found) => found,
        Err(err) => return failure("settings page", &err),
    };
    private_page(
        "Settings",
        Some(csrf),
        if hooks.is_some() {
            &["profile.js", "tokens.js", "webhooks.js"]
        } else {
            &["profile.js", "tokens.js"]
        },
        html! {
            h1 { "Settings" }
            form.profile #profile-form {
                (profile_fields(&user.display_name, &user.time_zone, &user.working_hours, false))
                button type="submit" { "Save" }
                p.status role="status" #profile-status {}
            }
            h2 { "Away" }
            form.profile #away-form {
                p { "While you are away, check-ins do not ask you and nobody waits for your answer." }
                label { "Away until (and including) "
                    input type="date" name="away_until" value=[user.away_until.map(|d| d.format("%Y-%m-%d").to_string())]; }
                div.form-row {
                    button type="submit" { "Set away" }
                    button type="button" #back-now { "I'm back" }
                }
                p.status role="status" #away-status {}
            }
            h2 { "Email" }
            form.profile #notifications-form {
                p { "When someone sends a message or replies in a thread you are part of:" }
                @for (value, label) in [
                    (EmailChoice::Immediate, "Email me at once"),
                    (EmailChoice::WorkingHours, "Email me when my working hours begin (in my time zone)"),
                    (EmailChoice::Digest, "One email at the start of my working day, with everything I have not heard"),
                    (EmailChoice::Off, "No email"),
                ] {
                    label { input type="radio" name="email" value=(value.as_str()) checked[user.email_notifications == value]; " " (label) }
                }
                button type="submit" { "Save email choice" }
                p.status role="status" #notifications-status {}
            }
            h2 { "Password" }
            @if has_password {
                form.profile #password-form {
                    label { "Current password" input type="password" name="current" required autocomplete="current-password"; }
                    label { "New password" input type="password" name="new" required minlength="8" autocomplete="new-password"; }
                    button type="submit" { "Change password" }
                    p.status role="status" #password-status {}
                }
            } @else {
                p { "You sign in through your team's identity provider: you have no password here." }
            }
            (tokens_section(&tokens, user.zone()))
            @if let Some(hooks) = &hooks { (webhooks_section(hooks, user.zone())) }
        },
    )
    .into_response()
}
