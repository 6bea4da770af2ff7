//! Signing in and out, and API tokens.
//!
//! - `POST /api/v1/auth/login` `{email, password}` starts a browser session (an HttpOnly,
//!   Secure, SameSite=Lax cookie, plus the CSRF token writes must echo), or with
//!   `"kind": "api"` returns an API token for the recorder instead.
//! - `POST /api/v1/auth/logout` ends the session or revokes the token it is called with.
//! - `GET /api/v1/me`; `GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::secrets::{decoy_hash, new_secret, token_hash, verify_password};
use crate::auth::{Credential, SESSION_COOKIE, Viewer};
use crate::db::users::{self, NewToken, UserRow};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Sessions last this long; API tokens until revoked.
const SESSION_DAYS: i64 = 30;

#[derive(Debug, Deserialize)]
pub struct Login {
    email: String,
    password: String,
    /// "session" (default: a cookie) or "api" (a token in the answer).
    kind: Option<String>,
    /// What the token is for, e.g. "recorder on laptop".
    label: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(login): Json<Login>,
) -> AppResult<Response> {
    let user = check_password(&state, peer, &login.email, login.password).await?;
    match login.kind.as_deref().unwrap_or("session") {
        "api" => {
            let (secret, id) = issue_token(&state, &user, "api", login.label.as_deref(), None, None).await?;
            Ok((
                StatusCode::CREATED,
                Json(json!({ "token": secret, "token_id": id, "user": user_json(&user) })),
            )
                .into_response())
        }
        "session" => {
            let (cookie, csrf) = start_session(&state, &user).await?;
            Ok((
                StatusCode::OK,
                [(header::SET_COOKIE, cookie)],
                Json(json!({ "user": user_json(&user), "csrf_token": csrf })),
            )
                .into_response())
        }
        other => Err(AppError::BadRequest(format!(
            "unknown login kind {other:?} (session or api)"
        ))),
    }
}

/// The user these credentials belong to, rate-limited per email and client address. Wrong
/// emails cost as much time as wrong passwords, and read the same.
pub async fn check_password(state: &AppState, peer: SocketAddr, email: &str, password: String) -> AppResult<UserRow> {
    let email = email.trim().to_lowercase();
    let ip = peer.ip().to_string();
    if let Err(wait) = state
        .login_limiter
        .attempt(&[&format!("email:{email}"), &format!("ip:{ip}")])
    {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    if email.len() > 320 || password.len() > 1024 {
        return Err(AppError::BadRequest("email or password too long".into()));
    }
    let user = users::by_email(&state.db, &email).await?;
    let stored = user
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    user.filter(|_| matches)
        .ok_or_else(|| AppError::BadRequest("wrong email or password".into()))
}

/// A new browser session: the Set-Cookie value and the session's CSRF token.
pub async fn start_session(state: &AppState, user: &UserRow) -> AppResult<(String, String)> {
    let csrf = new_secret().map_err(no_randomness)?;
    let expires = Utc::now() + chrono::Duration::days(SESSION_DAYS);
    let (secret, _) = issue_token(state, user, "session", None, Some(&csrf), Some(expires)).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={}",
        SESSION_DAYS * 86_400
    );
    Ok((cookie, csrf))
}

/// Stores a new token (its hash) for `user`; returns the secret and its public id.
async fn issue_token(
    state: &AppState,
    user: &UserRow,
    kind: &str,
    label: Option<&str>,
    csrf: Option<&str>,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> AppResult<(String, String)> {
    let secret = new_secret().map_err(no_randomness)?;
    let id = crate::ids::new_id().map_err(no_randomness)?;
    users::insert_token(
        &state.db,
        &NewToken {
            token_hash: &token_hash(&secret),
            id: &id,
            user_id: &user.id,
            kind,
            label,
            csrf_token: csrf,
            expires_at,
        },
    )
    .await?;
    Ok((secret, id))
}

pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> AppResult<Response> {
    let user = viewer.require_user()?;
    let token_id = match &viewer.credential {
        Some(Credential::Session { token_id, .. } | Credential::Bearer { token_id }) => token_id,
        None => return Err(AppError::Unauthorized),
    };
    users::revoke_token(&state.db, &user.id, token_id).await?;
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}

pub async fn me(viewer: Viewer) -> AppResult<Json<Value>> {
    Ok(Json(user_json(viewer.require_user()?)))
}

pub async fn tokens(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    let user = viewer.require_user()?;
    let tokens: Vec<Value> = users::api_tokens(&state.db, &user.id)
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

pub async fn revoke(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    let user = viewer.require_user()?;
    if users::revoke_token(&state.db, &user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

pub fn user_json(user: &UserRow) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "workspace_id": user.workspace_id,
        "is_admin": user.is_admin,
    })
}

fn no_randomness(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("no randomness: {err}"))
}
