//! The process registry: the SQL both backends run.

macro_rules! process_registry {
    ($db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::db::processes::ProcessRegistry;
            use $crate::domain::timestamp;

            #[async_trait::async_trait]
            impl ProcessRegistry for $db {
                async fn heartbeat(&self, id: &str, url: &str, until: DateTime<Utc>) -> sqlx::Result<()> {
                    sqlx::query(
                        "INSERT INTO processes (id, url, alive_until) VALUES ($1, $2, $3) \
                         ON CONFLICT (id) DO UPDATE SET url = excluded.url, alive_until = excluded.alive_until",
                    )
                    .bind(id)
                    .bind(url)
                    .bind(timestamp(until))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn leave(&self, id: &str) -> sqlx::Result<()> {
                    sqlx::query("DELETE FROM processes WHERE id = $1")
                        .bind(id)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn alive_url(&self, id: &str, now: DateTime<Utc>) -> sqlx::Result<Option<String>> {
                    sqlx::query_scalar("SELECT url FROM processes WHERE id = $1 AND alive_until > $2")
                        .bind(id)
                        .bind(timestamp(now))
                        .fetch_optional(&self.pool)
                        .await
                }
            }
        };
    };
}
pub(crate) use process_registry;
