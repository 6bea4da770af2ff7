//! Signing in: checking a password (rate-limited, without telling wrong emails from wrong
//! passwords), starting a browser session, issuing API tokens.

use std::net::SocketAddr;

use chrono::Utc;
use serde::Serialize;

use crate::auth::SESSION_COOKIE;
use crate::auth::secrets::{decoy_hash, new_secret, token_hash, verify_password};
use crate::config::PasswordSignIn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use db::domain::{TokenKind, User};
use db::users::{NewToken, TokenRow};

/// Sessions last this long; API tokens until revoked.
const SESSION_DAYS: i64 = 30;

/// A user as `GET /api/v1/me` and sign-in answers show them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub time_zone: String,
    pub workspace_id: String,
    pub is_admin: bool,
    pub working_hours: db::domain::WorkingHours,
    /// Away until (and including) this day, `YYYY-MM-DD`: check-ins do not ask them.
    #[schema(value_type = Option<String>, format = Date)]
    pub away_until: Option<chrono::NaiveDate>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            time_zone: user.time_zone.clone(),
            workspace_id: user.workspace_id.clone(),
            is_admin: user.is_admin,
            working_hours: user.working_hours.clone(),
            away_until: user.away_until,
        }
    }
}

/// Whether the browser reached us over HTTPS, which decides whether the session cookie may be
/// `Secure` (a browser drops a Secure cookie set over plain HTTP, except on localhost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Https,
    PlainHttp,
}

/// The user these credentials belong to: limited per client address, slowed per account (see
/// `auth::rate_limit`). Wrong emails cost as much time as wrong passwords, and read the same.
pub async fn check_password(state: &AppState, peer: SocketAddr, email: &str, password: String) -> AppResult<User> {
    const MAX_EMAIL: usize = 320;
    const MAX_PASSWORD: usize = 1024;
    let email = email.trim().to_lowercase();
    let ip = crate::auth::rate_limit::client_key(peer.ip());
    if let Err(wait) = state.login_limiter.admit(&state.db, &ip).await? {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    if email.len() > MAX_EMAIL || password.len() > MAX_PASSWORD {
        return Err(AppError::BadRequest("email or password too long".into()));
    }
    // An account others have been guessing at answers slowly, but answers: its owner gets in.
    // Attempts on it take turns, so the waits add up however many arrive at once.
    let Some(_turn) = state.login_limiter.turn(&email).await else {
        return Err(AppError::TooManyRequests { retry_after_secs: 5 });
    };
    let wait = state.login_limiter.delay(&state.db, &email).await?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let row = state.db.users().by_email(&email).await?;
    let stored = row
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
    let matches = state.passwords.run(move || verify_password(&password, &stored)).await?;
    match row.filter(|_| matches) {
        Some(row) => {
            let user = row.user();
            if password_allowed(state, &user).await? {
                Ok(user)
            } else {
                Err(AppError::Forbidden(format!(
                    "passwords are turned off here: use “{}”",
                    state
                        .sso
                        .provider()
                        .map_or("single sign-on", |p| p.button_label.as_str())
                )))
            }
        }
        None => {
            state.login_limiter.failed(&state.db, &email).await?;
            Err(AppError::BadRequest("wrong email or password".into()))
        }
    }
}

/// Whether `user` may sign in with a password under `--password-sign-in`. A workspace's last
/// admin always may, so the team is never locked out when its identity provider is down.
async fn password_allowed(state: &AppState, user: &User) -> AppResult<bool> {
    Ok(match state.config.password_sign_in {
        PasswordSignIn::Everyone => true,
        PasswordSignIn::AdminsOnly => user.is_admin,
        PasswordSignIn::Off => {
            user.is_admin
                && state
                    .db
                    .team()
                    .members(&user.workspace_id)
                    .await?
                    .iter()
                    .filter(|member| member.is_admin)
                    .count()
                    <= 1
        }
    })
}

/// A new browser session: the Set-Cookie value and the session's CSRF token.
pub async fn start_session(state: &AppState, user: &User, transport: Transport) -> AppResult<(String, String)> {
    let csrf = new_secret().map_err(no_randomness)?;
    let expires = Utc::now() + chrono::Duration::days(SESSION_DAYS);
    let (secret, _) = issue_token(state, user, TokenKind::Session, None, Some(&csrf), Some(expires)).await?;
    Ok((session_cookie(&secret, SESSION_DAYS * 86_400, transport), csrf))
}

/// The Set-Cookie value for a session secret (an empty one with age 0 ends the session).
pub fn session_cookie(secret: &str, max_age_secs: i64, transport: Transport) -> String {
    private_cookie(SESSION_COOKIE, "/", secret, max_age_secs, transport)
}

/// The Set-Cookie value of a cookie only the server reads (HttpOnly, SameSite=Lax, `Secure`
/// over HTTPS), sent back only under `path`.
pub fn private_cookie(name: &str, path: &str, value: &str, max_age_secs: i64, transport: Transport) -> String {
    let secure = match transport {
        Transport::Https => "; Secure",
        Transport::PlainHttp => "",
    };
    format!("{name}={value}; Path={path}; HttpOnly{secure}; SameSite=Lax; Max-Age={max_age_secs}")
}

/// Stores a new token (its hash) for `user`; returns the secret and its public id.
pub async fn issue_token(
    state: &AppState,
    user: &User,
    kind: TokenKind,
    label: Option<&str>,
    csrf: Option<&str>,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> AppResult<(String, String)> {
    let secret = new_secret().map_err(no_randomness)?;
    let id = db::ids::new_id().map_err(no_randomness)?;
    state
        .db
        .users()
        .insert_token(&NewToken {
            token_hash: &token_hash(&secret),
            id: &id,
            user_id: &user.id,
            kind,
            label,
            csrf_token: csrf,
            expires_at,
        })
        .await?;
    Ok((secret, id))
}

fn no_randomness(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("no randomness: {err}"))
}

/// Whether `user` has a password at all (an account made through single sign-on has none
/// until `server user reset-password` sets one).
pub async fn has_password(state: &AppState, user: &User) -> AppResult<bool> {
    Ok(state
        .db
        .users()
        .by_id(&user.id)
        .await?
        .is_some_and(|row| row.password_hash != crate::auth::secrets::NO_PASSWORD_HASH))
}

/// Live API tokens one person may hold at once.
const MAX_API_TOKENS: usize = 50;

/// A new API token for `user`, labelled (1–100 characters, one line); the secret, its id and
/// the label kept.
pub async fn make_api_token(state: &AppState, user: &User, label: &str) -> AppResult<(String, String, String)> {
    let label = crate::services::text::line(label, "label", 100)?;
    let live = api_tokens(state, user)
        .await?
        .iter()
        .filter(|t| t.revoked_at.is_none())
        .count();
    if live >= MAX_API_TOKENS {
        return Err(AppError::TooManyOpen(format!(
            "you have {MAX_API_TOKENS} API tokens: revoke one first"
        )));
    }
    let (secret, id) = issue_token(state, user, TokenKind::Api, Some(&label), None, None).await?;
    Ok((secret, id, label))
}

/// The user's API tokens, newest first (sessions are not listed).
pub async fn api_tokens(state: &AppState, user: &User) -> AppResult<Vec<TokenRow>> {
    Ok(state.db.users().api_tokens(&user.id).await?)
}

/// Ends one of the user's tokens or sessions; whether there was one to end.
pub async fn revoke_token(state: &AppState, user: &User, token_id: &str) -> AppResult<bool> {
    Ok(state.db.users().revoke_token(&user.id, token_id).await?)
}
