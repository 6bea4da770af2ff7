//! Workspaces, users, and their sign-in tokens.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::db::{IN_ID_LIST, id_list};
use crate::domain::{TokenKind, User, timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub display_name: String,
    pub time_zone: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: String,
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
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// The workspace of this name, created if it does not exist yet.
pub async fn workspace_id(pool: &SqlitePool, name: &str, new_id: &str) -> sqlx::Result<String> {
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
        .bind(new_id)
        .bind(name)
        .bind(timestamp(Utc::now()))
        .execute(pool)
        .await?;
    sqlx::query_scalar("SELECT id FROM workspaces WHERE name = ?")
        .bind(name)
        .fetch_one(pool)
        .await
}

pub async fn insert(pool: &SqlitePool, user: &UserRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, workspace_id, email, display_name, time_zone, password_hash, is_admin, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.id)
    .bind(&user.workspace_id)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.time_zone)
    .bind(&user.password_hash)
    .bind(user.is_admin)
    .bind(&user.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn by_email(pool: &SqlitePool, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE email = ?")
        .bind(email.trim().to_lowercase())
        .fetch_optional(pool)
        .await
}

pub async fn by_id(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The users with these ids (unknown ids are left out), in one query.
pub async fn by_ids(pool: &SqlitePool, ids: &[&str]) -> sqlx::Result<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!("SELECT * FROM users WHERE id {IN_ID_LIST}"))
        .bind(id_list(ids)?)
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(UserRow::user).collect())
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

pub async fn insert_token(pool: &SqlitePool, token: &NewToken<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_tokens (token_hash, id, user_id, kind, label, csrf_token, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(token.token_hash)
    .bind(token.id)
    .bind(token.user_id)
    .bind(token.kind.as_str())
    .bind(token.label)
    .bind(token.csrf_token)
    .bind(timestamp(Utc::now()))
    .bind(token.expires_at.map(timestamp))
    .execute(pool)
    .await?;
    Ok(())
}

/// The live (not revoked, not expired) token with this hash, and its user.
pub async fn token_user(pool: &SqlitePool, token_hash: &str) -> sqlx::Result<Option<(TokenRow, User)>> {
    let token: Option<TokenRow> = sqlx::query_as(
        "SELECT id, user_id, kind, label, csrf_token, created_at, expires_at, revoked_at FROM auth_tokens \
         WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
    )
    .bind(token_hash)
    .bind(timestamp(Utc::now()))
    .fetch_optional(pool)
    .await?;
    let Some(token) = token else { return Ok(None) };
    Ok(by_id(pool, &token.user_id).await?.map(|user| (token, user.user())))
}

/// Revokes one of the user's tokens by its public id; whether there was one.
pub async fn revoke_token(pool: &SqlitePool, user_id: &str, token_id: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
            .bind(timestamp(Utc::now()))
            .bind(token_id)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
            > 0,
    )
}

/// The user's API tokens, newest first (sessions are not listed).
pub async fn api_tokens(pool: &SqlitePool, user_id: &str) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as(
        "SELECT id, user_id, kind, label, csrf_token, created_at, expires_at, revoked_at FROM auth_tokens \
         WHERE user_id = ? AND kind = 'api' ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}
