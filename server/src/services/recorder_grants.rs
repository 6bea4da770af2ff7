//! `recorder login` through the browser (the way `gh auth login` does it): the recorder listens
//! on this machine's loopback and opens the approval page; once the signed-in person allows it,
//! the browser is sent back to the recorder with a one-time code, and the recorder trades that
//! code — with the PKCE verifier only it knows (RFC 7636) — for an API token. The token never
//! passes through the browser, and a code seen by anything else is useless without the verifier.

use base64::Engine;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::auth::secrets::{new_secret, token_hash};
use crate::error::{AppError, AppResult};
use crate::services::accounts::issue_token;
use crate::state::AppState;
use db::domain::{TokenKind, User};
use db::sign_in_flows::FlowKind;

/// How long the recorder has to fetch its token once the browser was sent back.
const GRANT_MINUTES: i64 = 2;

/// What the recorder asks for, as its approval page's query says.
#[derive(Debug, Clone, Deserialize)]
pub struct RecorderRequest {
    /// The loopback port it listens on.
    pub port: u16,
    /// Its own check that the answer belongs to its request (echoed back).
    pub state: String,
    /// base64url(SHA-256(verifier)), unpadded: 43 characters.
    pub challenge: String,
    /// What the token will be listed as, e.g. "recorder on laptop".
    pub label: String,
}

impl RecorderRequest {
    /// The request, if every part of it is well-formed.
    pub fn checked(self) -> AppResult<Self> {
        let url_safe = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if self.port < 1024 {
            return Err(AppError::BadRequest("the recorder's port must be 1024 or above".into()));
        }
        if self.state.is_empty() || self.state.len() > 128 || !url_safe(&self.state) {
            return Err(AppError::BadRequest("the recorder's state is malformed".into()));
        }
        if self.challenge.len() != 43 || !url_safe(&self.challenge) {
            return Err(AppError::BadRequest("the recorder's challenge is malformed".into()));
        }
        let label: String = self
            .label
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        Ok(Self {
            label: if label.is_empty() { "recorder".into() } else { label },
            ..self
        })
    }

    /// Where the browser goes back to, with `query` (already encoded).
    pub fn loopback(&self, query: &str) -> String {
        format!("http://127.0.0.1:{}/callback?{query}", self.port)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    user_id: String,
    challenge: String,
    label: String,
}

/// `user` allows the recorder: the loopback URL that carries its one-time code back to it.
pub async fn approve(state: &AppState, user: &User, request: &RecorderRequest) -> AppResult<String> {
    let code = new_secret().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    let grant = Grant {
        user_id: user.id.clone(),
        challenge: request.challenge.clone(),
        label: request.label.clone(),
    };
    let payload = serde_json::to_string(&grant).map_err(|e| AppError::Internal(e.into()))?;
    let expires = Utc::now() + chrono::Duration::minutes(GRANT_MINUTES);
    state
        .db
        .sign_in_flows()
        .put(&token_hash(&code), FlowKind::RecorderGrant, &payload, expires)
        .await?;
    // Both are URL-safe already (hex; checked to be base64url's alphabet).
    Ok(request.loopback(&format!("code={code}&state={}", request.state)))
}

/// The recorder's code and verifier: a new API token, its id, and whose it is. A code works
/// once, for two minutes, and only with the verifier whose challenge was approved.
pub async fn redeem(state: &AppState, code: &str, verifier: &str) -> AppResult<(String, String, User)> {
    let refused = || AppError::BadRequest("this code is unknown, used or expired: run `recorder login` again".into());
    if code.len() > 128 || verifier.len() > 128 {
        return Err(refused());
    }
    let payload = state
        .db
        .sign_in_flows()
        .take(&token_hash(code), FlowKind::RecorderGrant)
        .await?
        .ok_or_else(refused)?;
    let grant: Grant = serde_json::from_str(&payload).map_err(|_| refused())?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    if challenge != grant.challenge {
        return Err(AppError::BadRequest(
            "the verifier does not match this code's challenge".into(),
        ));
    }
    let user = state
        .db
        .users()
        .by_id(&grant.user_id)
        .await?
        .filter(|row| row.removed_at.is_none())
        .map(|row| row.user())
        .ok_or_else(refused)?;
    let (token, id) = issue_token(state, &user, TokenKind::Api, Some(&grant.label), None, None).await?;
    Ok((token, id, user))
}

#[cfg(test)]
mod tests {
    use super::RecorderRequest;

    fn request(port: u16, state: &str, challenge: &str, label: &str) -> RecorderRequest {
        RecorderRequest {
            port,
            state: state.into(),
            challenge: challenge.into(),
            label: label.into(),
        }
    }

    #[test]
    fn only_well_formed_requests_reach_the_approval_page() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let fine = request(43_117, "abc_DEF-123", challenge, "  recorder on laptop\u{7}  ").checked();
        let fine = fine.map(|r| (r.label.clone(), r.loopback("code=x")));
        assert_eq!(
            fine.ok(),
            Some((
                "recorder on laptop".to_owned(),
                "http://127.0.0.1:43117/callback?code=x".to_owned()
            ))
        );
        for bad in [
            request(80, "abc", challenge, "x"),
            request(43_117, "", challenge, "x"),
            request(43_117, "a&b=c", challenge, "x"),
            request(43_117, "abc", "short", "x"),
            request(43_117, "abc", &format!("{}=", &challenge[..42]), "x"),
        ] {
            assert!(bad.checked().is_err());
        }
        assert_eq!(
            request(43_117, "abc", challenge, "   ").checked().map(|r| r.label).ok(),
            Some("recorder".to_owned())
        );
    }
}
