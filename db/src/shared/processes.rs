//! The process registry: the SQL both backends run.

use super::Backend;
use crate::Timestamp;

use crate::processes::ProcessRegistry;
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl ProcessRegistry for Backend {
    async fn heartbeat(&self, id: &str, url: &str, until: DateTime<Utc>) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO processes (id, url, alive_until) VALUES ($1, $2, $3) \
                         ON CONFLICT (id) DO UPDATE SET url = excluded.url, alive_until = excluded.alive_until",
        )
        .bind(id)
        .bind(url)
        .bind(Timestamp::from(until))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn leave(&self, id: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM processes WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn alive_url(&self, id: &str, now: DateTime<Utc>) -> crate::Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT url FROM processes WHERE id = $1 AND alive_until > $2")
                .bind(id)
                .bind(Timestamp::from(now))
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
