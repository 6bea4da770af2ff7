//! `/settings`: your name, time zone and working hours, and your password (`profile.js`
//! sends them to the API with the session's CSRF token).

use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::private_page;
use super::profile_form::profile_fields;
use crate::auth::{Credential, Viewer};

pub async fn settings_page(viewer: Viewer) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    private_page(
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
