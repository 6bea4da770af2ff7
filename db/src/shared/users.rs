//! Workspaces, users and tokens: the SQL both backends run.

use super::{Backend, Engine, begin_write, dialect};
use crate::Timestamp;

use crate::domain::User;
use crate::users::{NewToken, TokenRow, UserRow, UserStore};

#[async_trait::async_trait]
impl UserStore for Backend {
    async fn workspace_id(&self, name: &str, new_id: &str) -> crate::Result<String> {
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(new_id)
            .bind(name)
            .bind(Timestamp::now())
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT id FROM workspaces WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn workspace_name(&self, id: &str) -> crate::Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn insert(&self, user: &UserRow) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let inserted = insert_user_row(&mut tx, user).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    async fn by_email(&self, email: &str) -> crate::Result<Option<UserRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM users WHERE email = $1 AND removed_at IS NULL")
                .bind(email.trim().to_lowercase())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn by_id(&self, id: &str) -> crate::Result<Option<UserRow>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn by_ids(&self, ids: &[&str]) -> crate::Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!("SELECT * FROM users WHERE id {}", dialect::IN_ID_LIST))
            .bind(dialect::id_list(ids)?)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(UserRow::user).collect())
    }

    async fn insert_token(&self, token: &NewToken<'_>) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO auth_tokens (token_hash, id, user_id, kind, label, csrf_token, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token.token_hash)
        .bind(token.id)
        .bind(token.user_id)
        .bind(token.kind.as_str())
        .bind(token.label)
        .bind(token.csrf_token)
        .bind(Timestamp::now())
        .bind(token.expires_at.map(Timestamp::from))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token_user(&self, token_hash: &str) -> crate::Result<Option<(TokenRow, User)>> {
        let token: Option<TokenRow> = sqlx::query_as(
            "SELECT id, user_id, kind, label, csrf_token, created_at, expires_at, revoked_at FROM auth_tokens \
                         WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(token_hash)
        .bind(Timestamp::now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(token) = token else { return Ok(None) };
        Ok(UserStore::by_id(self, &token.user_id)
            .await?
            .filter(|user| user.removed_at.is_none())
            .map(|user| (token, user.user())))
    }

    async fn revoke_token(&self, user_id: &str, token_id: &str) -> crate::Result<bool> {
        Ok(
            sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(Timestamp::now())
                .bind(token_id)
                .bind(user_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                > 0,
        )
    }

    async fn revoke_all_tokens(&self, user_id: &str, keep: Option<&str>) -> crate::Result<u64> {
        Ok(
            sqlx::query(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
            )
            .bind(Timestamp::now())
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&self.pool)
            .await?
            .rows_affected(),
        )
    }

    async fn count(&self) -> crate::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn by_sso_identity(&self, issuer: &str, subject: &str) -> crate::Result<Option<UserRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM users WHERE sso_issuer = $1 AND sso_subject = $2")
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn link_sso_identity(&self, user_id: &str, issuer: &str, subject: &str) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "UPDATE users SET sso_issuer = NULL, sso_subject = NULL \
             WHERE sso_issuer = $1 AND sso_subject = $2 AND removed_at IS NOT NULL",
        )
        .bind(issuer)
        .bind(subject)
        .execute(&mut *tx)
        .await?;
        let linked = sqlx::query("UPDATE users SET sso_issuer = $1, sso_subject = $2 WHERE id = $3")
            .bind(issuer)
            .bind(subject)
            .bind(user_id)
            .execute(&mut *tx)
            .await;
        match linked {
            Ok(_) => {
                tx.commit().await?;
                Ok(true)
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn first_workspace(&self) -> crate::Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM workspaces ORDER BY created_at, id LIMIT 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn api_tokens(&self, user_id: &str) -> crate::Result<Vec<TokenRow>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, kind, label, csrf_token, created_at, expires_at, revoked_at FROM auth_tokens \
                         WHERE user_id = $1 AND kind = 'api' ORDER BY created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Every way an account is made (`server user add`, an invitation, the first run) inserts it
/// the same way. `false`: the email is taken.
pub(super) async fn insert_user_row(
    tx: &mut sqlx::Transaction<'_, Engine>,
    user: &crate::users::UserRow,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
                "INSERT INTO users (id, workspace_id, email, display_name, time_zone, password_hash, is_admin, created_at, working_hours, \
                 email_notifications) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&user.id)
            .bind(&user.workspace_id)
            .bind(&user.email)
            .bind(&user.display_name)
            .bind(&user.time_zone)
            .bind(&user.password_hash)
            .bind(user.is_admin)
            .bind(user.created_at)
            .bind(&user.working_hours)
            .bind(user.email_notifications.as_str())
            .execute(&mut **tx)
            .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}
