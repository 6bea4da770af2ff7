//! A workspace's members: the SQL both backends run.
//!
//! Changes that must leave the workspace an admin first touch the workspace's row: that takes
//! PostgreSQL's row lock and SQLite's write lock, so two admins taking each other's role at once
//! are checked one after the other.

use super::{Backend, Engine, begin_write};
use crate::Timestamp;

use crate::domain::User;
use crate::team::{AdminGuarded, Profile, TeamStore};
use crate::users::UserRow;

/// Locks the workspace for the rest of the transaction.
async fn lock_workspace(tx: &mut sqlx::Transaction<'_, Engine>, workspace_id: &str) -> crate::Result<()> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether the workspace has an admin other than `user_id`.
async fn other_admin(tx: &mut sqlx::Transaction<'_, Engine>, workspace_id: &str, user_id: &str) -> crate::Result<bool> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE workspace_id = $1 AND id <> $2 AND is_admin AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(others > 0)
}

/// The member, if they are one of the workspace's.
async fn member(
    tx: &mut sqlx::Transaction<'_, Engine>,
    workspace_id: &str,
    user_id: &str,
) -> crate::Result<Option<UserRow>> {
    Ok(
        sqlx::query_as("SELECT * FROM users WHERE id = $1 AND workspace_id = $2 AND removed_at IS NULL")
            .bind(user_id)
            .bind(workspace_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

#[async_trait::async_trait]
impl TeamStore for Backend {
    async fn members(&self, workspace_id: &str) -> crate::Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT * FROM users WHERE workspace_id = $1 AND removed_at IS NULL ORDER BY lower(display_name), id",
        )
        .bind(workspace_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(UserRow::user).collect())
    }

    async fn update_profile(&self, user_id: &str, profile: &Profile<'_>) -> crate::Result<()> {
        sqlx::query("UPDATE users SET display_name = $1, time_zone = $2, working_hours = $3 WHERE id = $4")
            .bind(profile.display_name)
            .bind(profile.time_zone)
            .bind(profile.working_hours)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> crate::Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_admin(&self, workspace_id: &str, user_id: &str, admin: bool) -> crate::Result<AdminGuarded> {
        let mut tx = begin_write(&self.pool).await?;
        lock_workspace(&mut tx, workspace_id).await?;
        let Some(row) = member(&mut tx, workspace_id, user_id).await? else {
            return Ok(AdminGuarded::NotFound);
        };
        if row.is_admin && !admin && !other_admin(&mut tx, workspace_id, user_id).await? {
            return Ok(AdminGuarded::LastAdmin);
        }
        sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
            .bind(admin)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AdminGuarded::Done)
    }

    async fn remove(&self, workspace_id: &str, user_id: &str) -> crate::Result<AdminGuarded> {
        let mut tx = begin_write(&self.pool).await?;
        lock_workspace(&mut tx, workspace_id).await?;
        let Some(row) = member(&mut tx, workspace_id, user_id).await? else {
            return Ok(AdminGuarded::NotFound);
        };
        if row.is_admin && !other_admin(&mut tx, workspace_id, user_id).await? {
            return Ok(AdminGuarded::LastAdmin);
        }
        let now = Timestamp::now();
        // The address is freed for a later invitation; the row keeps the name.
        sqlx::query("UPDATE users SET removed_at = $1, is_admin = FALSE, email = $2 WHERE id = $3")
            .bind(now)
            .bind(format!("removed:{}:{}", row.id, row.email))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // What they invited was on their word: it admits nobody once they are gone.
        sqlx::query("UPDATE invites SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AdminGuarded::Done)
    }
}
