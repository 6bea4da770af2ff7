//! The team's identity provider, over OpenID Connect (the `openidconnect` crate): discovery,
//! the authorization-code flow with PKCE, and the ID token's checks — signature against the
//! provider's keys, issuer, audience, expiry and nonce. What the server does with the verified
//! identity is `services::single_sign_on`'s business.
//!
//! The provider is asked over blocking HTTP (the server's own ureq, see [`ask`]) on a blocking
//! thread, with timeouts and no redirects (following them would let a provider's answer point
//! the server at addresses only it can reach).

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::Config;

/// How long the provider may take to answer one request.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long discovery (and the signing keys it fetches) is trusted before it is fetched again,
/// so keys the provider rotates in are picked up.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Whether single sign-on is set up, and with which provider.
#[derive(Debug, Clone)]
pub enum SingleSignOn {
    Off,
    Provider(Arc<Provider>),
}

impl SingleSignOn {
    pub fn from_config(config: &Config, public_url: &str) -> Result<Self, OidcError> {
        let (Some(issuer), Some(client_id)) = (&config.oidc_issuer, &config.oidc_client_id) else {
            return Ok(Self::Off);
        };
        let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_owned())
            .map_err(|e| OidcError::Setting(format!("--oidc-issuer: {e}")))?;
        let redirect = RedirectUrl::new(format!("{public_url}/auth/oidc/callback"))
            .map_err(|e| OidcError::Setting(format!("the public URL: {e}")))?;
        let allowed_domains = config
            .oidc_allowed_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        Ok(Self::Provider(Arc::new(Provider {
            issuer,
            client_id: ClientId::new(client_id.clone()),
            client_secret: config
                .oidc_client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.0.clone())),
            redirect,
            allowed_domains,
            button_label: config.oidc_button_label.clone(),
            discovered: Mutex::new(None),
        })))
    }

    pub fn provider(&self) -> Option<&Arc<Provider>> {
        match self {
            Self::Off => None,
            Self::Provider(provider) => Some(provider),
        }
    }
}

/// What goes wrong with the provider. Each is logged as the reason a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("single sign-on is not set up correctly: {0}")]
    Setting(String),
    #[error("the identity provider could not be reached or described itself wrongly: {0}")]
    Discovery(String),
    #[error("the identity provider did not accept the sign-in code: {0}")]
    CodeRefused(String),
    #[error("the identity provider sent no ID token")]
    NoIdToken,
    #[error("the ID token was refused: {0}")]
    IdTokenRefused(String),
    #[error("no blocking thread for the identity provider: {0}")]
    Runtime(String),
}

#[derive(Debug)]
pub struct Provider {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    /// Lower-case, without `@`.
    allowed_domains: Vec<String>,
    pub button_label: String,
    discovered: Mutex<Option<(Instant, Arc<CoreProviderMetadata>)>>,
}

/// What the browser's trip to the provider must bring back unchanged: kept server-side, under
/// a key only that browser holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in, once every check passed.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// Only `Some(true)` is trusted.
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

impl Provider {
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// Whether people with this (verified) email may join without an invitation.
    pub fn domain_allowed(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| self.allowed_domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }

    /// The provider's metadata and keys, from cache while fresh.
    async fn metadata(&self) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        let mut cached = self.discovered.lock().await;
        if let Some((at, metadata)) = cached.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer = self.issuer.clone();
        let metadata = tokio::task::spawn_blocking(move || {
            CoreProviderMetadata::discover(&issuer, &|request| ask(&agent(), request))
                .map_err(|e| OidcError::Discovery(error_chain(&e)))
        })
        .await
        .map_err(|e| OidcError::Runtime(e.to_string()))??;
        let metadata = Arc::new(metadata);
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Forgets the cached metadata, so the next sign-in fetches it (and the keys) afresh.
    async fn forget_metadata(&self) {
        *self.discovered.lock().await = None;
    }

    fn client(&self, metadata: &CoreProviderMetadata) -> Client {
        CoreClient::from_provider_metadata(metadata.clone(), self.client_id.clone(), self.client_secret.clone())
            .set_redirect_uri(self.redirect.clone())
    }

    /// Where to send the browser, and what must come back with it.
    pub async fn authorization(&self) -> Result<(String, PendingLogin), OidcError> {
        let metadata = self.metadata().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client(&metadata)
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        ))
    }

    /// Trades the code for tokens and checks the ID token; who signed in.
    pub async fn finish(&self, code: String, pending: PendingLogin) -> Result<VerifiedIdentity, OidcError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata);
        let verified = tokio::task::spawn_blocking(move || {
            let request = client
                .exchange_code(AuthorizationCode::new(code))
                .map_err(|e| OidcError::Setting(e.to_string()))?
                .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier));
            let tokens = request
                .request(&|request| ask(&agent(), request))
                .map_err(|e| OidcError::CodeRefused(error_chain(&e)))?;
            let id_token = tokens.id_token().ok_or(OidcError::NoIdToken)?;
            let claims = id_token
                .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
                .map_err(|e| OidcError::IdTokenRefused(error_chain(&e)))?;
            Ok::<_, OidcError>(VerifiedIdentity {
                issuer: claims.issuer().to_string(),
                subject: claims.subject().to_string(),
                email: claims.email().map(|e| e.as_str().trim().to_lowercase()),
                email_verified: claims
                    .email_verified()
                    .or_else(|| verified_domain_claim(&id_token.to_string())),
                name: claims
                    .name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().trim().to_owned())
                    .filter(|n| !n.is_empty()),
            })
        })
        .await
        .map_err(|e| OidcError::Runtime(e.to_string()))?;
        if let Err(OidcError::IdTokenRefused(_)) = &verified {
            // Perhaps signed with a key the provider rotated in since discovery: the next try
            // fetches the keys again (this one stays refused — its code is spent).
            self.forget_metadata().await;
        }
        verified
    }
}

/// Microsoft Entra sends no `email_verified`; where it does vouch for an address, it says so
/// with `xms_edov` (the email's domain is verified by the tenant's owner), an optional claim
/// the tenant adds. Read from the ID token `claims()` has just verified.
fn verified_domain_claim(id_token: &str) -> Option<bool> {
    use base64::Engine;
    let payload = id_token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&json).ok()?;
    match claims.get("xms_edov")? {
        serde_json::Value::Bool(verified) => Some(*verified),
        serde_json::Value::String(text) => Some(text == "true" || text == "1"),
        serde_json::Value::Number(n) => Some(n.as_i64() == Some(1)),
        _ => None,
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(PROVIDER_TIMEOUT).redirects(0).build()
}

/// The most a provider's answer (its discovery document, keys or tokens) may hold.
const MAX_PROVIDER_ANSWER: u64 = 1 << 20;

/// What stopped a request to the provider before it answered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderUnreachable(String);

/// One request to the provider, as `openidconnect` hands it over. Written here rather than
/// taken from its `ureq` feature, which would turn on ureq's default features (gzip) in every
/// crate of the workspace. An error status is an answer, not a failure: the provider's reason
/// (`invalid_grant`…) then reaches the log.
fn ask(
    agent: &ureq::Agent,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, ProviderUnreachable> {
    use std::io::Read;
    let url = request.uri().to_string();
    let mut outgoing = agent.request(request.method().as_str(), &url);
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|_| ProviderUnreachable(format!("the {name} header is not text")))?;
        outgoing = outgoing.set(name.as_str(), value);
    }
    let answer = if request.method() == openidconnect::http::Method::POST {
        outgoing.send_bytes(request.body())
    } else {
        outgoing.call()
    };
    let response = match answer {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(failure)) => return Err(ProviderUnreachable(failure.to_string())),
    };
    let mut answered = openidconnect::http::Response::builder().status(response.status());
    if let Some(content_type) = response.header("content-type") {
        answered = answered.header(openidconnect::http::header::CONTENT_TYPE, content_type);
    }
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_PROVIDER_ANSWER)
        .read_to_end(&mut body)
        .map_err(|e| ProviderUnreachable(format!("{url}: {e}")))?;
    answered.body(body).map_err(|e| ProviderUnreachable(e.to_string()))
}

/// An error with its causes, for the log line that says why a sign-in was refused.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// A server's configuration with a provider and `extra` flags.
    fn with_provider(extra: &[&str]) -> Config {
        let flags = [
            "server",
            "--oidc-issuer",
            "https://id.example.com",
            "--oidc-client-id",
            "offbeat",
        ];
        Config::parse_from(flags.iter().chain(extra))
    }

    #[test]
    fn allowed_domains_match_whole_domains_only() {
        let config = with_provider(&["--oidc-allowed-domains", "acme.com, @Acme.org"]);
        let Ok(SingleSignOn::Provider(provider)) = SingleSignOn::from_config(&config, "https://offbeat.example") else {
            panic!("a provider");
        };
        assert!(provider.domain_allowed("ann@acme.com"));
        assert!(provider.domain_allowed("bo@ACME.ORG"));
        assert!(!provider.domain_allowed("eve@evilacme.com"));
        assert!(!provider.domain_allowed("eve@acme.com.evil.example"));
        assert!(!provider.domain_allowed("acme.com"));
    }

    #[test]
    fn entra_vouches_for_an_email_with_xms_edov() {
        use base64::Engine;
        let token = |claims: serde_json::Value| {
            let encode = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            format!(
                "{}.{}.sig",
                encode(&serde_json::json!({"alg": "RS256"})),
                encode(&claims)
            )
        };
        assert_eq!(
            verified_domain_claim(&token(serde_json::json!({"xms_edov": true}))),
            Some(true)
        );
        assert_eq!(
            verified_domain_claim(&token(serde_json::json!({"xms_edov": "1"}))),
            Some(true)
        );
        assert_eq!(
            verified_domain_claim(&token(serde_json::json!({"xms_edov": false}))),
            Some(false)
        );
        assert_eq!(
            verified_domain_claim(&token(serde_json::json!({"email": "a@b.c"}))),
            None
        );
        assert_eq!(verified_domain_claim("not a token"), None);
    }

    #[test]
    fn the_client_secret_stays_out_of_debug_output() {
        let config = with_provider(&["--oidc-client-secret", "hunter2-very-secret"]);
        assert!(!format!("{config:?}").contains("hunter2"));
        let sso = SingleSignOn::from_config(&config, "https://offbeat.example").map(|s| format!("{s:?}"));
        assert!(sso.is_ok_and(|s| !s.contains("hunter2")));
    }
}
