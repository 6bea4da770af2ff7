//! Signing in through the team's identity provider: sending the browser there, and deciding
//! who comes back. A member found by the provider's `sub` (or, the first time, by the verified
//! email) is signed in as themselves; a verified newcomer from an allowed domain, or holding an
//! invitation, gets the first-run form; anyone else is refused, saying why.
//!
//! Between the steps the server remembers what it must check, under the hash of a secret only
//! the browser holds (a short-lived cookie, or the first-run form's hidden field): taken once,
//! so a replayed callback finds nothing.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::auth::oidc::{OidcError, PendingLogin, Provider, VerifiedIdentity};
use crate::auth::secrets::{NO_PASSWORD_HASH, new_secret, token_hash};
use crate::error::{AppError, AppResult};
use crate::services::invites::{self, Profile, account_row, closed_message};
use crate::state::AppState;
use db::domain::{InviteState, User};
use db::sign_in_flows::FlowKind;

/// The cookie that binds a trip to the provider to the browser that set out.
pub const LOGIN_COOKIE: &str = "offbeat_sso";
/// How long a browser may spend at the provider.
pub const LOGIN_MINUTES: i64 = 10;
/// How long a newcomer may spend on the first-run form.
const NEWCOMER_MINUTES: i64 = 30;

/// A trip to the provider, as remembered while the browser is away.
#[derive(Debug, Serialize, Deserialize)]
struct ProviderLogin {
    pending: PendingLogin,
    /// Where to go once signed in (already checked to be a path of this site).
    next: String,
    /// The invitation link's token the browser set out from, if any.
    invite: Option<String>,
}

/// How a verified newcomer may join.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Entry {
    Invitation { token: String },
    AllowedDomain { workspace_id: String },
}

/// A verified newcomer, as remembered while they fill in the first-run form.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingNewcomer {
    issuer: String,
    subject: String,
    email: String,
    name: String,
    entry: Entry,
    next: String,
}

/// Where to send the browser, and the secret its cookie keeps.
#[derive(Debug)]
pub struct Departure {
    pub provider_url: String,
    pub browser_key: String,
}

/// Who came back from the provider.
#[derive(Debug)]
pub enum Arrival {
    Member { user: User, next: String },
    Newcomer(NewcomerForm),
}

/// What the first-run form shows a verified newcomer.
#[derive(Debug, Clone)]
pub struct NewcomerForm {
    /// The hidden field that carries them to the next step.
    pub key: String,
    pub email: String,
    pub name: String,
    pub workspace: String,
}

/// Why the provider's word did not get someone in: what they are told (`Display`); the log
/// line says more ([`Refusal::reason`]).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("single sign-on is not set up on this server")]
    NotSetUp,
    #[error("this sign-in has expired or was already used: start again")]
    NoPendingLogin,
    #[error("this sign-in did not come back the way it left: start again")]
    StateMismatch,
    #[error("your identity provider did not sign you in ({0})")]
    ProviderSaidNo(String),
    #[error("your identity provider's answer could not be trusted: start again, or tell an admin")]
    Untrusted(#[source] OidcError),
    #[error("your identity provider did not say your email address")]
    NoEmail,
    #[error("your identity provider has not verified {0}, so it cannot be trusted to be yours")]
    EmailUnverified(String),
    #[error("an admin removed you from this workspace: ask one of them for an invitation")]
    Removed,
    #[error(
        "{0} has no account here, and people from its domain join only with an invitation: ask an admin to invite you"
    )]
    NotInvited(String),
    #[error("this invitation is for another email address than {0}")]
    InvitationForSomeoneElse(String),
    #[error("{0}")]
    InvitationClosed(&'static str),
    #[error("the account for {0} is linked to someone else at your identity provider")]
    LinkedToAnother(String),
    #[error("Offbeat is not set up yet: whoever runs it opens the setup link first")]
    NoWorkspace,
    #[error(transparent)]
    App(#[from] AppError),
}

impl Refusal {
    /// The whole story, for the log.
    pub fn reason(&self) -> String {
        match self {
            Self::Untrusted(err) => err.to_string(),
            other => other.to_string(),
        }
    }
}

impl From<db::Error> for Refusal {
    fn from(err: db::Error) -> Self {
        Self::App(err.into())
    }
}

/// The callback's query: a code and the state, or the provider's error.
#[derive(Debug, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn provider(state: &AppState) -> Result<&Provider, Refusal> {
    state.sso.provider().map(|p| &**p).ok_or(Refusal::NotSetUp)
}

fn no_randomness(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("no randomness: {err}"))
}

/// Sends a browser (at `peer`) to the provider; `next` is where it goes once signed in,
/// `invite` the invitation it set out from.
pub async fn depart(
    state: &AppState,
    peer: std::net::IpAddr,
    next: String,
    invite: Option<String>,
) -> Result<Departure, Refusal> {
    let provider = provider(state)?;
    // Each start is remembered for minutes: counted as a sign-in attempt of its address, so
    // nobody can fill the table.
    let address = crate::auth::rate_limit::client_key(peer);
    if let Err(wait) = state.login_limiter.admit(&state.db, &address).await? {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }
        .into());
    }
    let (provider_url, pending) = provider.authorization().await.map_err(Refusal::Untrusted)?;
    let browser_key = new_secret().map_err(no_randomness)?;
    let login = ProviderLogin { pending, next, invite };
    let payload = serde_json::to_string(&login).map_err(|e| AppError::Internal(e.into()))?;
    let expires = Utc::now() + chrono::Duration::minutes(LOGIN_MINUTES);
    state
        .db
        .sign_in_flows()
        .put(&token_hash(&browser_key), FlowKind::ProviderLogin, &payload, expires)
        .await?;
    Ok(Departure {
        provider_url,
        browser_key,
    })
}

/// The browser back from the provider (`browser_key` from its cookie): who it is.
pub async fn arrive(state: &AppState, browser_key: Option<&str>, callback: Callback) -> Result<Arrival, Refusal> {
    let provider = provider(state)?;
    let taken = match browser_key {
        Some(key) => {
            state
                .db
                .sign_in_flows()
                .take(&token_hash(key), FlowKind::ProviderLogin)
                .await?
        }
        None => None,
    };
    let login: ProviderLogin = taken
        .and_then(|payload| serde_json::from_str(&payload).ok())
        .ok_or(Refusal::NoPendingLogin)?;
    if callback.state.as_deref() != Some(login.pending.state.as_str()) {
        return Err(Refusal::StateMismatch);
    }
    if let Some(error) = callback.error {
        let said = callback.error_description.unwrap_or(error);
        return Err(Refusal::ProviderSaidNo(said.chars().take(200).collect()));
    }
    let code = callback
        .code
        .ok_or(Refusal::ProviderSaidNo("no code came back".into()))?;
    let identity = provider.finish(code, login.pending).await.map_err(Refusal::Untrusted)?;
    admit(state, provider, identity, login.next, login.invite).await
}

/// Who a verified identity is here.
async fn admit(
    state: &AppState,
    provider: &Provider,
    identity: VerifiedIdentity,
    next: String,
    invite: Option<String>,
) -> Result<Arrival, Refusal> {
    let users = state.db.users();
    if let Some(row) = users.by_sso_identity(&identity.issuer, &identity.subject).await? {
        if row.removed_at.is_none() {
            return Ok(Arrival::Member { user: row.user(), next });
        }
        if invite.is_none() {
            return Err(Refusal::Removed);
        }
    }
    let email = identity.email.clone().ok_or(Refusal::NoEmail)?;
    if identity.email_verified != Some(true) {
        return Err(Refusal::EmailUnverified(email));
    }
    if let Some(row) = users.by_email(&email).await? {
        if row
            .sso_subject
            .as_ref()
            .is_some_and(|linked| *linked != identity.subject)
        {
            return Err(Refusal::LinkedToAnother(email));
        }
        if !users
            .link_sso_identity(&row.id, &identity.issuer, &identity.subject)
            .await?
        {
            return Err(Refusal::LinkedToAnother(email));
        }
        return Ok(Arrival::Member { user: row.user(), next });
    }
    let entry = match invite {
        Some(token) => {
            let invitation = invites::by_link(state, &token).await?;
            match invitation.state(Utc::now()) {
                InviteState::Open => {}
                closed => return Err(Refusal::InvitationClosed(closed_message(closed))),
            }
            if invitation.email.as_ref().is_some_and(|only| *only != email) {
                return Err(Refusal::InvitationForSomeoneElse(email));
            }
            (Entry::Invitation { token }, invitation.workspace_id)
        }
        None if provider.domain_allowed(&email) => {
            let workspace_id = users.first_workspace().await?.ok_or(Refusal::NoWorkspace)?;
            (
                Entry::AllowedDomain {
                    workspace_id: workspace_id.clone(),
                },
                workspace_id,
            )
        }
        None => return Err(Refusal::NotInvited(email)),
    };
    let (entry, workspace_id) = entry;
    let name = identity
        .name
        .clone()
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let pending = PendingNewcomer {
        issuer: identity.issuer,
        subject: identity.subject,
        email,
        name,
        entry,
        next,
    };
    let key = new_secret().map_err(no_randomness)?;
    remember_newcomer(state, &key, &pending).await?;
    Ok(Arrival::Newcomer(NewcomerForm {
        key,
        email: pending.email,
        name: pending.name,
        workspace: users.workspace_name(&workspace_id).await?.unwrap_or_default(),
    }))
}

async fn remember_newcomer(state: &AppState, key: &str, pending: &PendingNewcomer) -> Result<(), AppError> {
    let payload = serde_json::to_string(pending).map_err(|e| AppError::Internal(e.into()))?;
    let expires = Utc::now() + chrono::Duration::minutes(NEWCOMER_MINUTES);
    state
        .db
        .sign_in_flows()
        .put(&token_hash(key), FlowKind::Newcomer, &payload, expires)
        .await?;
    Ok(())
}

/// A newcomer's first-run form sent: what went wrong, with the form to show again (the same
/// key still works), or nothing to show (the sign-in lapsed).
#[derive(Debug)]
pub struct NotJoined {
    pub error: Refusal,
    pub form: Option<NewcomerForm>,
}

/// Makes the verified newcomer's account from their first-run form; the new member, and where
/// they go next.
pub async fn join(state: &AppState, key: &str, profile: AppResult<Profile>) -> Result<(User, String), NotJoined> {
    let lapsed = |error: Refusal| NotJoined { error, form: None };
    let payload = state
        .db
        .sign_in_flows()
        .take(&token_hash(key), FlowKind::Newcomer)
        .await
        .map_err(|e| lapsed(e.into()))?
        .ok_or_else(|| lapsed(Refusal::NoPendingLogin))?;
    let pending: PendingNewcomer = serde_json::from_str(&payload).map_err(|_| lapsed(Refusal::NoPendingLogin))?;
    let made = match &profile {
        Ok(profile) => make_member(state, &pending, profile).await,
        Err(err) => Err(Refusal::App(AppError::BadRequest(err.to_string()))),
    };
    match made {
        Ok(user) => Ok((user, pending.next)),
        Err(error) => {
            // Kept for another try with what they fix (unless the failure was the database's).
            let again = remember_newcomer(state, key, &pending).await.is_ok();
            let workspace = match &pending.entry {
                Entry::AllowedDomain { workspace_id } => {
                    state.db.users().workspace_name(workspace_id).await.ok().flatten()
                }
                Entry::Invitation { token } => match invites::open(state, token).await {
                    Ok(invites::Invitation::Open { workspace, .. }) => Some(workspace),
                    _ => None,
                },
            };
            Err(NotJoined {
                error,
                form: again.then(|| NewcomerForm {
                    key: key.to_owned(),
                    email: pending.email.clone(),
                    name: profile
                        .as_ref()
                        .map_or_else(|_| pending.name.clone(), |p| p.name.clone()),
                    workspace: workspace.unwrap_or_default(),
                }),
            })
        }
    }
}

async fn make_member(state: &AppState, pending: &PendingNewcomer, profile: &Profile) -> Result<User, Refusal> {
    let users = state.db.users();
    let user = match &pending.entry {
        Entry::Invitation { token } => {
            let workspace_id = invites::by_link(state, token).await?.workspace_id;
            let row = account_row(
                profile,
                &pending.email,
                NO_PASSWORD_HASH.to_owned(),
                workspace_id,
                false,
            )?;
            invites::accept_as(state, token, row).await?
        }
        Entry::AllowedDomain { workspace_id } => {
            let row = account_row(
                profile,
                &pending.email,
                NO_PASSWORD_HASH.to_owned(),
                workspace_id.clone(),
                false,
            )?;
            if !users.insert(&row).await? {
                return Err(AppError::Conflict(
                    "someone already has an account with that email: sign in instead".into(),
                )
                .into());
            }
            row.user()
        }
    };
    if !users
        .link_sso_identity(&user.id, &pending.issuer, &pending.subject)
        .await?
    {
        tracing::warn!(user = %user.id, "a new member's identity at the provider was linked to another account meanwhile");
    }
    Ok(user)
}
