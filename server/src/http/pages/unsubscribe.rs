//! `/unsubscribe/{user}/{signature}`: the link every notification mail carries. It needs no
//! sign-in — the signature is the server's, for that one person — and turns their email off:
//! one click from a mail client (RFC 8058 POSTs `List-Unsubscribe=One-Click`), or the page's
//! button.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{failure, notice, private_page};
use crate::error::AppError;
use crate::services::notifications;
use crate::state::AppState;

pub async fn page(Path((user, signature)): Path<(String, String)>) -> Response {
    private_page(
        "Stop email",
        None,
        &[],
        html! {
            h1 { "Stop email notifications?" }
            p { "You will get no more mail from Offbeat about new messages and replies. You can turn it on again in Settings." }
            form method="post" action={ "/unsubscribe/" (user) "/" (signature) } {
                button type="submit" { "Stop email notifications" }
            }
        },
    )
    .into_response()
}

pub async fn confirm(State(state): State<AppState>, Path((user, signature)): Path<(String, String)>) -> Response {
    match notifications::unsubscribe(&state, &user, &signature).await {
        Ok(who) => notice(
            StatusCode::OK,
            "Email stopped",
            &format!(
                "{}, you will get no more mail from Offbeat. Turn it on again in Settings.",
                who.display_name
            ),
        ),
        Err(AppError::NotFound(_)) => notice(StatusCode::NOT_FOUND, "Not found", "This link leads nowhere."),
        Err(err) => failure("unsubscribe", &err),
    }
}
