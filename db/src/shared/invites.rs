//! Invitations and first-run setup links: the SQL both backends run.

use super::{Backend, begin_write};
use crate::Timestamp;

use crate::invites::{Acceptance, InviteRow, InviteStore};
use crate::users::UserRow;
use chrono::{DateTime, Utc};

const COLUMNS: &str = "id, workspace_id, email, created_by, created_at, expires_at, max_uses, uses, revoked_at";

#[async_trait::async_trait]
impl InviteStore for Backend {
    async fn insert(&self, invite: &InviteRow, token_hash: &str) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO invites (id, workspace_id, token_hash, email, created_by, created_at, expires_at, max_uses) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&invite.id)
        .bind(&invite.workspace_id)
        .bind(token_hash)
        .bind(&invite.email)
        .bind(&invite.created_by)
        .bind(invite.created_at)
        .bind(invite.expires_at)
        .bind(invite.max_uses)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list(&self, workspace_id: &str) -> crate::Result<Vec<InviteRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM invites WHERE workspace_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn by_token(&self, token_hash: &str) -> crate::Result<Option<InviteRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM invites WHERE token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn revoke(&self, workspace_id: &str, id: &str) -> crate::Result<bool> {
        Ok(
            sqlx::query(
                "UPDATE invites SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
            )
            .bind(Timestamp::now())
            .bind(id)
            .bind(workspace_id)
            .execute(&self.pool)
            .await?
            .rows_affected()
                > 0,
        )
    }

    async fn accept(&self, token_hash: &str, user: &UserRow, now: DateTime<Utc>) -> crate::Result<Acceptance> {
        let mut tx = begin_write(&self.pool).await?;
        // One statement decides whether a use is left, so racing acceptances are
        // counted one after the other (PostgreSQL re-checks the row it waited for).
        let used = sqlx::query(
            "UPDATE invites SET uses = uses + 1 WHERE token_hash = $1 AND revoked_at IS NULL \
                         AND (expires_at IS NULL OR expires_at > $2) AND (max_uses IS NULL OR uses < max_uses)",
        )
        .bind(token_hash)
        .bind(Timestamp::from(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
            drop(tx);
            return Ok(match InviteStore::by_token(self, token_hash).await? {
                Some(invite) => Acceptance::Closed(invite.state(now)),
                None => Acceptance::Unknown,
            });
        }
        if !super::users::insert_user_row(&mut tx, user).await? {
            return Ok(Acceptance::EmailTaken);
        }
        tx.commit().await?;
        Ok(Acceptance::Joined)
    }

    async fn replace_setup_token(&self, token_hash: &str) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM setup_tokens").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(Timestamp::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn setup_open(&self, token_hash: &str) -> crate::Result<bool> {
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(token_hash)
        .fetch_one(&self.pool)
        .await?;
        Ok(open > 0)
    }

    async fn complete_setup(
        &self,
        token_hash: &str,
        workspace_id: &str,
        workspace_name: &str,
        user: &UserRow,
    ) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        // Every link goes at once, and a second setup racing this one waits for it,
        // then finds its own link gone.
        let ended: Vec<String> = sqlx::query_scalar("DELETE FROM setup_tokens RETURNING token_hash")
            .fetch_all(&mut *tx)
            .await?;
        let anyone: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if !ended.iter().any(|t| t == token_hash) || anyone > 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(workspace_id)
            .bind(workspace_name)
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
        let workspace: String = sqlx::query_scalar("SELECT id FROM workspaces WHERE name = $1")
            .bind(workspace_name)
            .fetch_one(&mut *tx)
            .await?;
        let user = UserRow {
            workspace_id: workspace,
            ..user.clone()
        };
        if !super::users::insert_user_row(&mut tx, &user).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}
