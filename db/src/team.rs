//! A workspace's members: who they are, their profiles, roles and removal.

use crate::domain::User;

/// What a member changes about themselves.
#[derive(Debug)]
pub struct Profile<'a> {
    pub display_name: &'a str,
    /// An IANA zone name, checked by the caller.
    pub time_zone: &'a str,
    /// Their working hours as JSON, made from a parsed value.
    pub working_hours: &'a str,
}

/// What became of a change that must leave the workspace an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminGuarded {
    Done,
    /// No such member in the workspace.
    NotFound,
    /// It would leave the workspace without an admin.
    LastAdmin,
}

/// Members of a workspace.
#[async_trait::async_trait]
pub trait TeamStore: Send + Sync {
    /// Everyone in the workspace who has not been removed, by name.
    async fn members(&self, workspace_id: &str) -> crate::Result<Vec<User>>;

    async fn update_profile(&self, user_id: &str, profile: &Profile<'_>) -> crate::Result<()>;

    async fn set_password(&self, user_id: &str, password_hash: &str) -> crate::Result<()>;

    /// Grants or takes admin; never takes the workspace's last admin.
    async fn set_admin(&self, workspace_id: &str, user_id: &str, admin: bool) -> crate::Result<AdminGuarded>;

    /// Removes a member: their tokens and sessions end at once, their messages stay (under
    /// their name), their email is freed. Never the workspace's last admin.
    async fn remove(&self, workspace_id: &str, user_id: &str) -> crate::Result<AdminGuarded>;
}
