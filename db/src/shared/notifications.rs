//! The events outbox, members' email choices and the server's keys: the SQL both engines run.

use super::Backend;
use crate::Timestamp;
use crate::domain::{EmailChoice, JobKind};
use crate::notifications::{EventRow, Notification, NotificationStore};
use crate::queue::JobQueue;

#[async_trait::async_trait]
impl NotificationStore for Backend {
    async fn events(&self, limit: i64) -> crate::Result<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, clip_id, reply_id, actor_id, created_at, subject FROM events ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn event_done(&self, id: i64) -> crate::Result<()> {
        sqlx::query("DELETE FROM events WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn of_recipient(&self, recipient_id: &str) -> crate::Result<Vec<Notification>> {
        let jobs = self.addressed_to(JobKind::Mail, &[recipient_id], i64::MAX).await?;
        Ok(jobs.into_iter().filter_map(Notification::of).collect())
    }

    async fn set_email_choice(&self, user_id: &str, choice: EmailChoice) -> crate::Result<()> {
        sqlx::query("UPDATE users SET email_notifications = $1 WHERE id = $2")
            .bind(choice.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn server_key(&self, name: &str, fresh: &str) -> crate::Result<String> {
        sqlx::query(
            "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(Timestamp::now())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?)
    }
}
