//! `/auth/recorder`: where `recorder login` sends the browser. The signed-in person (signed in
//! first, by password or single sign-on, if need be) sees which recorder asks and allows or
//! denies it; either way the browser goes back to the recorder on this machine's loopback
//! (see `services::recorder_grants`).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::forms::cross_site;
use super::{failure, notice, private_page, urlencode};
use crate::http::headers::Framing;
use crate::http::viewer::session_of;
use crate::services::recorder_grants::{self, RecorderRequest};
use crate::state::AppState;

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    query: Result<Query<RecorderRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(request)) = query else {
        return notice(
            StatusCode::BAD_REQUEST,
            "Not a recorder sign-in",
            "This link is missing what the recorder sends: run `recorder login` again.",
        );
    };
    let request = match request.checked() {
        Ok(request) => request,
        Err(err) => return notice(StatusCode::BAD_REQUEST, "Not a recorder sign-in", &err.to_string()),
    };
    let (user, csrf) = match session_of(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            let here = format!("/auth/recorder?{}", raw.unwrap_or_default());
            return Redirect::to(&format!("/login?next={}", urlencode(&here))).into_response();
        }
        Err(err) => return failure("recorder sign-in", &err),
    };
    let body = private_page(
        "Sign in the recorder",
        Some(&csrf),
        &[],
        html! {
            h1 { "Sign in the recorder?" }
            p { "The " strong { (request.label) } " asks to act as " strong { (user.display_name) } " (" (user.email) "): to record, upload and reply for you." }
            p { "It gets a token of its own, listed in " a href="/settings" { "Settings" } ", where you can revoke it. Allow it only if you just ran " code { "recorder login" } " yourself." }
            form.reply.narrow method="post" action="/auth/recorder" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="port" value=(request.port);
                input type="hidden" name="state" value=(request.state);
                input type="hidden" name="challenge" value=(request.challenge);
                input type="hidden" name="label" value=(request.label);
                div.form-row {
                    button.primary type="submit" name="decision" value="allow" { "Allow" }
                    button type="submit" name="decision" value="deny" { "Deny" }
                }
            }
        },
    );
    (Framing::LoopbackForm, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = cross_site(&state, &headers) {
        return refused;
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let (user, csrf) = match session_of(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(err) => return failure("recorder sign-in", &err),
    };
    if field("csrf") != csrf {
        return notice(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form is stale: run `recorder login` again.",
        );
    }
    let request = RecorderRequest {
        port: field("port").parse().unwrap_or(0),
        state: field("state"),
        challenge: field("challenge"),
        label: field("label"),
    }
    .checked();
    let request = match request {
        Ok(request) => request,
        Err(err) => return notice(StatusCode::BAD_REQUEST, "Not a recorder sign-in", &err.to_string()),
    };
    let back = if field("decision") == "allow" {
        match recorder_grants::approve(&state, &user, &request).await {
            Ok(url) => url,
            Err(err) => return failure("recorder sign-in", &err),
        }
    } else {
        request.loopback(&format!("error=access_denied&state={}", request.state))
    };
    (Framing::LoopbackForm, Redirect::to(&back)).into_response()
}
