//! Webhooks and their deliveries: the SQL both backends run.

use super::{Backend, begin_write};

use crate::webhooks::{Added, WebhookRow, WebhookStore};

#[async_trait::async_trait]
impl WebhookStore for Backend {
    async fn add(&self, webhook: &WebhookRow, limit: i64) -> crate::Result<Added> {
        let mut tx = begin_write(&self.pool).await?;
        // The workspace's row lock: two admins adding at once are counted in turn.
        sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
            .bind(&webhook.workspace_id)
            .execute(&mut *tx)
            .await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE workspace_id = $1")
            .bind(&webhook.workspace_id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= limit {
            return Ok(Added::TooMany);
        }
        sqlx::query(
            "INSERT INTO webhooks (id, workspace_id, url, events, format, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&webhook.id)
        .bind(&webhook.workspace_id)
        .bind(&webhook.url)
        .bind(webhook.events.stored())
        .bind(webhook.format.as_str())
        .bind(&webhook.created_by)
        .bind(webhook.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Added::Done)
    }

    async fn of_workspace(&self, workspace_id: &str) -> crate::Result<Vec<WebhookRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id")
                .bind(workspace_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn get(&self, id: &str) -> crate::Result<Option<WebhookRow>> {
        Ok(sqlx::query_as("SELECT * FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn remove(&self, workspace_id: &str, id: &str) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "DELETE FROM jobs WHERE kind = 'webhook' AND target IN \
                         (SELECT id FROM webhooks WHERE id = $1 AND workspace_id = $2)",
        )
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        let removed = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }
}
