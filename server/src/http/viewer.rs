//! Who is asking, read off a request: a session cookie (browsers), a bearer token (the
//! recorder), or nobody — and, for anyone, a clip's share token (`?share=`).
//!
//! Cookie-authenticated writes must echo the session's CSRF token in `X-CSRF-Token`: a page on
//! another site can make the browser send the cookie, but cannot read the token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use db::domain::{TokenKind, User};

use crate::auth::{CSRF_HEADER, Credential, SESSION_COOKIE, Viewer, secrets};
use crate::error::AppError;
use crate::services::accounts::Transport;
use crate::state::AppState;

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
        let cookie = cookie_value(&parts.headers, SESSION_COOKIE);
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
/// The user signed in by the request's session cookie, with that session's CSRF token: for a
/// plain form (no script to send the CSRF header), which carries the token as a field instead.
pub async fn session_of(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<(User, String)>, AppError> {
    let Some(secret) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state
        .db
        .users()
        .token_user(&secrets::token_hash(&secret))
        .await?
        .filter(|(token, _)| token.kind == TokenKind::Session)
        .and_then(|(token, user)| token.csrf_token.map(|csrf| (user, csrf))))
}

/// The value of the cookie `name` the request carries, if any.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

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
