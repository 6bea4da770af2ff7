//! How people get in: invitations to a workspace, and the setup links of a first run (the
//! invitation that makes the first workspace and its admin).

use crate::Timestamp;
use chrono::{DateTime, Utc};

use crate::domain::InviteState;
use crate::users::UserRow;

/// An invitation as the database keeps it (its token only as a hash, elsewhere).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteRow {
    pub id: String,
    pub workspace_id: String,
    /// The one address it admits (lower-case); `None`: anyone with the link.
    pub email: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<Timestamp>,
}

impl InviteRow {
    pub fn state(&self, now: DateTime<Utc>) -> InviteState {
        if self.revoked_at.is_some() {
            InviteState::Revoked
        } else if self.expires_at.is_some_and(|t| t.instant() <= now) {
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
    async fn insert(&self, invite: &InviteRow, token_hash: &str) -> crate::Result<()>;

    /// The workspace's invitations, newest first.
    async fn list(&self, workspace_id: &str) -> crate::Result<Vec<InviteRow>>;

    async fn by_token(&self, token_hash: &str) -> crate::Result<Option<InviteRow>>;

    /// Revokes one; whether it was there to revoke.
    async fn revoke(&self, workspace_id: &str, id: &str) -> crate::Result<bool>;

    /// Uses the invitation once and makes `user` (in its workspace) in one transaction: two
    /// people racing for its last use cannot both get in.
    async fn accept(&self, token_hash: &str, user: &UserRow, now: DateTime<Utc>) -> crate::Result<Acceptance>;

    /// Keeps a setup link's token (hashed), printed while the server has no users; the links
    /// printed before it stop working (only the newest a restart printed opens setup).
    async fn replace_setup_token(&self, token_hash: &str) -> crate::Result<()>;

    /// Whether a setup link still works: its token is kept and nobody has an account yet.
    async fn setup_open(&self, token_hash: &str) -> crate::Result<bool>;

    /// Makes the first workspace (`workspace_id`, named `workspace_name`) and its admin `user`,
    /// and ends every setup link — if this one still works and still nobody has an account;
    /// whether it did.
    async fn complete_setup(
        &self,
        token_hash: &str,
        workspace_id: &str,
        workspace_name: &str,
        user: &UserRow,
    ) -> crate::Result<bool>;
}
