//! Signing in and out, and API tokens.
//!
//! - `POST /api/v1/auth/login` `{email, password}` starts a browser session (an HttpOnly,
//!   SameSite=Lax cookie — Secure over HTTPS — plus the CSRF token writes must echo), or with
//!   `"kind": "api"` returns an API token for the recorder instead.
//! - `POST /api/v1/auth/logout` ends the session or revokes the token it is called with.
//! - `GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}` (the profile is `routes/profile.rs`).

use std::net::SocketAddr;

use crate::http::extract::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Credential, Viewer};
use crate::error::{AppError, AppResult, Missing};
use crate::http::viewer::transport;
use crate::services::accounts::{self, UserView, check_password, issue_token, session_cookie, start_session};
use crate::state::AppState;
use db::domain::TokenKind;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    email: String,
    password: String,
    /// A browser session (default: a cookie) or an API token (in the answer).
    kind: Option<TokenKind>,
    /// What the token is for, e.g. "recorder on laptop".
    label: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "accounts",
    summary = "Sign in",
    request_body = Login,
    responses((status = 200, description = "Signed in: a session cookie and its CSRF token", body = serde_json::Value), (status = 201, description = "An API token", body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(login): Json<Login>,
) -> AppResult<Response> {
    let user = check_password(&state, peer, &login.email, login.password).await?;
    match login.kind.unwrap_or(TokenKind::Session) {
        TokenKind::Api => {
            let (secret, id) = issue_token(&state, &user, TokenKind::Api, login.label.as_deref(), None, None).await?;
            Ok(api_token_answer(&secret, &id, &user))
        }
        TokenKind::Session => signed_in(&state, &user, &headers, peer, StatusCode::OK).await,
    }
}

/// A browser session started for `user`: its cookie, and the user with the CSRF token that
/// cookie-authenticated writes must send.
pub(super) async fn signed_in(
    state: &AppState,
    user: &db::domain::User,
    headers: &HeaderMap,
    peer: SocketAddr,
    status: StatusCode,
) -> AppResult<Response> {
    let (cookie, csrf) = start_session(state, user, transport(state, headers, peer)).await?;
    Ok((
        status,
        [(header::SET_COOKIE, cookie)],
        Json(json!({ "user": UserView::from(user), "csrf_token": csrf })),
    )
        .into_response())
}

/// What `recorder login` sends back once the browser approved it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecorderCode {
    /// The one-time code the browser brought to the recorder's loopback address.
    code: String,
    /// The PKCE verifier whose SHA-256 (base64url) was the approved challenge.
    verifier: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/recorder-token",
    tag = "accounts",
    summary = "Trade a recorder's approved code for an API token",
    description = "The last step of `recorder login` through the browser: `/auth/recorder` (a page) asked the signed-in person, who allowed it; the browser brought a one-time code to the recorder's loopback address. The code works once, for two minutes, with the verifier of the approved challenge.",
    request_body = RecorderCode,
    responses((status = 201, description = "An API token", body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn recorder_token(State(state): State<AppState>, Json(body): Json<RecorderCode>) -> AppResult<Response> {
    let (secret, id, user) = crate::services::recorder_grants::redeem(&state, &body.code, &body.verifier).await?;
    Ok(api_token_answer(&secret, &id, &user))
}

/// A new API token as sign-ins answer it: shown this once, with whose it is.
fn api_token_answer(secret: &str, id: &str, user: &db::domain::User) -> Response {
    (
        StatusCode::CREATED,
        Json(json!({ "token": secret, "token_id": id, "user": UserView::from(user) })),
    )
        .into_response()
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "accounts",
    summary = "Sign out",
    responses((status = 204, description = "The session or token used is ended"), crate::http::api_doc::Failures)
)]
pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    viewer: Viewer,
) -> AppResult<Response> {
    let user = viewer.require_user()?;
    let token_id = match &viewer.credential {
        Some(Credential::Session { token_id, .. } | Credential::Bearer { token_id }) => token_id,
        None => return Err(AppError::Unauthorized),
    };
    accounts::revoke_token(&state, user, token_id).await?;
    let expired = session_cookie("", 0, transport(&state, &headers, peer));
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "accounts",
    summary = "My API tokens",
    responses((status = 200, body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn tokens(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    let user = viewer.require_user()?;
    let tokens: Vec<Value> = accounts::api_tokens(&state, user)
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "label": t.label,
                "created_at": t.created_at,
                "revoked_at": t.revoked_at,
            })
        })
        .collect();
    Ok(Json(json!({ "tokens": tokens })))
}

/// `POST /api/v1/tokens`: what the new token is for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it will be listed as, e.g. "recorder on the studio Mac".
    #[schema(schema_with = crate::services::text::line_schema::<100>)]
    label: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "accounts",
    summary = "Make an API token",
    description = "For the recorder on a machine with no browser (`recorder login --paste-token`) or a script. The token is shown in this answer only.",
    request_body = NewToken,
    responses((status = 201, description = "The token, shown only now", body = serde_json::Value), crate::http::api_doc::Failures)
)]
pub async fn make_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(new): Json<NewToken>,
) -> AppResult<Response> {
    let user = viewer.require_user()?;
    let (secret, id, label) = accounts::make_api_token(&state, user, &new.label).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": secret, "token_id": id, "label": label })),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "accounts",
    summary = "Revoke an API token",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), crate::http::api_doc::Failures)
)]
pub async fn revoke(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    let user = viewer.require_user()?;
    if accounts::revoke_token(&state, user, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(Missing::Token))
    }
}
