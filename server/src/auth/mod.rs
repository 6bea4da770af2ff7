//! Who is asking: a session cookie (browsers), a bearer token (the recorder), or nobody — and,
//! for anyone, a clip's share token (`?share=`).
//!
//! Cookie-authenticated writes must echo the session's CSRF token in `X-CSRF-Token`: a page on
//! another site can make the browser send the cookie, but cannot read the token.

pub mod policy;
pub mod rate_limit;
pub mod secrets;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::domain::{TokenKind, User};
use crate::error::AppError;
use crate::services::accounts::Transport;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "offbeat_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the user proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session, with the CSRF token its pages must send back on writes.
    Session {
        token_id: String,
        csrf: String,
    },
    Bearer {
        token_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<User>,
    pub credential: Option<Credential>,
    /// A share token from the query string (`?share=`), not yet checked against any clip.
    pub share_token: Option<String>,
}

impl Viewer {
    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let share_token = parts
            .uri
            .query()
            .and_then(|q| query_value(q, "share"))
            .map(str::to_owned);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(secret) = bearer {
            // A token that was presented and does not work is an error, not anonymity: the
            // recorder should say "log in again", not "no such clip".
            let (token, user) = state
                .db
                .users()
                .token_user(&secrets::token_hash(secret))
                .await?
                .ok_or(AppError::Unauthorized)?;
            return Ok(Self {
                user: Some(user),
                credential: Some(Credential::Bearer { token_id: token.id }),
                share_token,
            });
        }
        let cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_owned());
        if let Some(secret) = cookie
            && let Some((token, user)) = state.db.users().token_user(&secrets::token_hash(&secret)).await?
            && token.kind == TokenKind::Session
        {
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                let expected = token.csrf_token.as_deref();
                if sent.is_none() || sent != expected {
                    return Err(AppError::Forbidden("missing or wrong CSRF token".into()));
                }
            }
            return Ok(Self {
                user: Some(user),
                credential: Some(Credential::Session {
                    token_id: token.id,
                    csrf: token.csrf_token.unwrap_or_default(),
                }),
                share_token,
            });
        }
        Ok(Self {
            user: None,
            credential: None,
            share_token,
        })
    }
}

/// How the browser reached us. The public URL says so when it is https (TLS ends in front of
/// us, or the browser would not have that URL); otherwise only a trusted proxy's
/// `X-Forwarded-Proto` does — anyone else could send that header.
pub fn transport(state: &AppState, headers: &axum::http::HeaderMap, peer: std::net::SocketAddr) -> Transport {
    if state.public_url.starts_with("https://") {
        return Transport::Https;
    }
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    if forwarded_https && state.config.trusted_proxies.contains(&peer.ip()) {
        Transport::Https
    } else {
        Transport::PlainHttp
    }
}

/// The raw value of `name` in a query string (tokens are hex: no decoding needed).
fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
