//! Workspaces, users, and their sign-in tokens.

use crate::Timestamp;
use chrono::{DateTime, Utc};

use crate::domain::{EmailChoice, TokenKind, User};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub display_name: String,
    pub time_zone: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: Timestamp,
    /// JSON (`{"mon": ["09:00", "17:30"], …}`); `None`: the default hours.
    pub working_hours: Option<String>,
    /// Set once an admin removed them: they sign in no more.
    pub removed_at: Option<Timestamp>,
    #[sqlx(try_from = "String")]
    pub email_notifications: EmailChoice,
    /// `YYYY-MM-DD`: away until (and including) that day.
    #[sqlx(default)]
    pub away_until: Option<String>,
    /// Who they are at the identity provider (its `sub`), once they signed in through it.
    #[sqlx(default)]
    pub sso_subject: Option<String>,
}

impl UserRow {
    /// The person, without what only signing in needs.
    pub fn user(&self) -> User {
        User {
            id: self.id.clone(),
            workspace_id: self.workspace_id.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            time_zone: self.time_zone.clone(),
            is_admin: self.is_admin,
            // Written only from a parsed value; should that ever not hold, the default.
            working_hours: self
                .working_hours
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
            email_notifications: self.email_notifications,
            // Cleared by itself once that day is over where they are.
            away_until: self
                .away_until
                .as_deref()
                .and_then(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
                .filter(|day| {
                    let zone: chrono_tz::Tz = self.time_zone.parse().unwrap_or(chrono_tz::UTC);
                    *day >= chrono::Utc::now().with_timezone(&zone).date_naive()
                }),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    #[sqlx(try_from = "String")]
    pub kind: TokenKind,
    pub label: Option<String>,
    pub csrf_token: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What a token needs to be stored.
#[derive(Debug)]
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub id: &'a str,
    pub user_id: &'a str,
    pub kind: TokenKind,
    pub label: Option<&'a str>,
    pub csrf_token: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Workspaces, people, and the tokens they sign in with.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    /// The workspace of this name, created if it does not exist yet.
    async fn workspace_id(&self, name: &str, new_id: &str) -> crate::Result<String>;

    async fn workspace_name(&self, id: &str) -> crate::Result<Option<String>>;

    /// `false`: someone already has that email.
    async fn insert(&self, user: &UserRow) -> crate::Result<bool>;

    async fn by_email(&self, email: &str) -> crate::Result<Option<UserRow>>;

    async fn by_id(&self, id: &str) -> crate::Result<Option<UserRow>>;

    /// The users with these ids (unknown ids are left out), in one query.
    async fn by_ids(&self, ids: &[&str]) -> crate::Result<Vec<User>>;

    async fn insert_token(&self, token: &NewToken<'_>) -> crate::Result<()>;

    /// The live (not revoked, not expired) token with this hash, and its user.
    async fn token_user(&self, token_hash: &str) -> crate::Result<Option<(TokenRow, User)>>;

    /// Revokes one of the user's tokens by its public id; whether there was one.
    async fn revoke_token(&self, user_id: &str, token_id: &str) -> crate::Result<bool>;

    /// The user's API tokens, newest first (sessions are not listed).
    async fn api_tokens(&self, user_id: &str) -> crate::Result<Vec<TokenRow>>;

    /// Ends every token and session of the user but `keep` (the one asking, if any).
    async fn revoke_all_tokens(&self, user_id: &str, keep: Option<&str>) -> crate::Result<u64>;

    /// How many people have accounts (removed members included): none means a first run.
    async fn count(&self) -> crate::Result<i64>;

    /// The account linked to this identity at the identity provider, removed members included
    /// (so that their removal can be told to them).
    async fn by_sso_identity(&self, issuer: &str, subject: &str) -> crate::Result<Option<UserRow>>;

    /// Links the account to this identity at the identity provider, taking it from a removed
    /// member who had it; `false` if a current member other than this one has it.
    async fn link_sso_identity(&self, user_id: &str, issuer: &str, subject: &str) -> crate::Result<bool>;

    /// The server's first workspace, where people join without an invitation (by single
    /// sign-on from an allowed domain); `None` before the first run's setup.
    async fn first_workspace(&self) -> crate::Result<Option<String>>;
}
