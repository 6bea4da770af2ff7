//! Sign-ins that take more than one request: what the server remembers between a browser
//! leaving for the identity provider and coming back, between a verified newcomer and their
//! first-run form, between a browser approving the recorder and the recorder fetching its
//! token. Each is kept under the hash of a secret only its browser (or recorder) holds, is
//! taken at most once, and lapses after minutes.

use chrono::{DateTime, Utc};

/// What a flow is waiting for: a flow is only ever taken by the step it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    /// A browser sent to the identity provider: its state, nonce and PKCE verifier.
    ProviderLogin,
    /// A verified newcomer between the provider and their first-run form.
    Newcomer,
    /// A recorder the browser approved, until it fetches its token.
    RecorderGrant,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProviderLogin => "provider_login",
            Self::Newcomer => "newcomer",
            Self::RecorderGrant => "recorder_grant",
        }
    }
}

#[async_trait::async_trait]
pub trait SignInFlows: Send + Sync {
    /// Remembers `payload` under `key_hash` until `expires_at` (lapsed flows are dropped too).
    async fn put(&self, key_hash: &str, kind: FlowKind, payload: &str, expires_at: DateTime<Utc>) -> crate::Result<()>;

    /// The payload of a live flow of `kind`, which ends with this call: a second call for the
    /// same key finds nothing.
    async fn take(&self, key_hash: &str, kind: FlowKind) -> crate::Result<Option<String>>;
}
