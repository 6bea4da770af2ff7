//! How people get in: invitations to a workspace, and the setup links of a first run (the
//! invitation that makes the first workspace and its admin).

use chrono::{DateTime, Utc};

use crate::db::users::UserRow;
use crate::domain::{InviteState, parse_timestamp};

/// An invitation as the database keeps it (its token only as a hash, elsewhere).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteRow {
    pub id: String,
    pub workspace_id: String,
    /// The one address it admits (lower-case); `None`: anyone with the link.
    pub email: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<String>,
}

impl InviteRow {
    pub fn state(&self, now: DateTime<Utc>) -> InviteState {
        if self.revoked_at.is_some() {
            InviteState::Revoked
        } else if self
            .expires_at
            .as_deref()
            .and_then(parse_timestamp)
            .is_some_and(|t| t <= now)
        {
            InviteState::Expired
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            InviteState::UsedUp
        } else {
            InviteState::Open
        }
    }
}

/// What came of accepting an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// The account exists, in the invitation's workspace.
    Joined,
    /// No invitation has this token.
    Unknown,
    /// It is not open any more (used up, expired, revoked).
    Closed(InviteState),
    /// Someone already has an account with that email.
    EmailTaken,
}

/// Invitations and first-run setup links.
#[async_trait::async_trait]
pub trait InviteStore: Send + Sync {
    async fn insert(&self, invite: &InviteRow, token_hash: &str) -> sqlx::Result<()>;

    /// The workspace's invitations, newest first.
    async fn list(&self, workspace_id: &str) -> sqlx::Result<Vec<InviteRow>>;

    async fn by_token(&self, token_hash: &str) -> sqlx::Result<Option<InviteRow>>;

    /// Revokes one; whether it was there to revoke.
    async fn revoke(&self, workspace_id: &str, id: &str) -> sqlx::Result<bool>;

    /// Uses the invitation once and makes `user` (in its workspace) in one transaction: two
    /// people racing for its last use cannot both get in.
    async fn accept(&self, token_hash: &str, user: &UserRow, now: DateTime<Utc>) -> sqlx::Result<Acceptance>;

    /// Keeps a setup link's token (hashed), printed while the server has no users.
    async fn add_setup_token(&self, token_hash: &str) -> sqlx::Result<()>;

    /// Whether a setup link still works: its token is kept and nobody has an account yet.
    async fn setup_open(&self, token_hash: &str) -> sqlx::Result<bool>;

    /// Makes the first workspace (`workspace_id`, named `workspace_name`) and its admin `user`,
    /// and ends every setup link — if this one still works and still nobody has an account;
    /// whether it did.
    async fn complete_setup(
        &self,
        token_hash: &str,
        workspace_id: &str,
        workspace_name: &str,
        user: &UserRow,
    ) -> sqlx::Result<bool>;
}
