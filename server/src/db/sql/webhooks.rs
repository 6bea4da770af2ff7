//! Webhooks and their deliveries: the SQL both backends run.

macro_rules! webhook_store {
    ($db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::db::sql::Dialect;
            use $crate::db::queue::Queued;
            use $crate::db::sql::queue::claim_due;
            use $crate::db::webhooks::{Added, Attempt, DeliveryRow, WebhookRow, WebhookStore};
            use $crate::domain::{DeliveryState, timestamp};

            const COLUMNS: &str = "id, webhook_id, event, clip_id, reply_id, actor_id, created_at, due_at, state, \
                attempts, last_status, last_error, last_attempt_at, sent_at";

            #[async_trait::async_trait]
            impl WebhookStore for $db {
                async fn add(&self, webhook: &WebhookRow, limit: i64) -> sqlx::Result<Added> {
                    let mut tx = self.pool.begin_with(<$db as $crate::db::sql::Dialect>::BEGIN_WRITE).await?;
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
                    .bind(&webhook.created_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Added::Done)
                }

                async fn of_workspace(&self, workspace_id: &str) -> sqlx::Result<Vec<WebhookRow>> {
                    sqlx::query_as("SELECT * FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id")
                        .bind(workspace_id)
                        .fetch_all(&self.pool)
                        .await
                }

                async fn get(&self, id: &str) -> sqlx::Result<Option<WebhookRow>> {
                    sqlx::query_as("SELECT * FROM webhooks WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                }

                async fn remove(&self, workspace_id: &str, id: &str) -> sqlx::Result<bool> {
                    let mut tx = self.pool.begin_with(<$db as $crate::db::sql::Dialect>::BEGIN_WRITE).await?;
                    sqlx::query(
                        "DELETE FROM webhook_deliveries WHERE webhook_id IN \
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

                async fn enqueue(&self, deliveries: &[Queued<'_>]) -> sqlx::Result<()> {
                    enqueue_rows(&self.pool, "webhook_deliveries", "webhook_id", deliveries).await
                }

                async fn claim(
                    &self,
                    holder: &str,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: i64,
                ) -> sqlx::Result<Vec<DeliveryRow>> {
                    sqlx::query_as(&claim_due("webhook_deliveries", COLUMNS, Self::SKIP_LOCKED))
                    .bind(holder)
                    .bind(timestamp(lease_until))
                    .bind(timestamp(now))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                }

                async fn sent(&self, id: &str, holder: &str, attempt: Attempt<'_>) -> sqlx::Result<()> {
                    let now = timestamp(Utc::now());
                    sqlx::query(
                        "UPDATE webhook_deliveries SET state = 'sent', sent_at = $1, last_attempt_at = $1, \
                         attempts = attempts + 1, last_status = $2, last_error = NULL, \
                         lease_holder = NULL, lease_expires_at = NULL WHERE id = $3 AND lease_holder = $4",
                    )
                    .bind(&now)
                    .bind(attempt.status.map(i64::from))
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn later(
                    &self,
                    id: &str,
                    holder: &str,
                    due_at: DateTime<Utc>,
                    attempt: Option<Attempt<'_>>,
                ) -> sqlx::Result<()> {
                    let (tried, status, error) = attempt_columns(attempt.as_ref());
                    sqlx::query(
                        "UPDATE webhook_deliveries SET due_at = $1, lease_holder = NULL, lease_expires_at = NULL, \
                         attempts = attempts + $2, last_status = CASE WHEN $2 = 1 THEN $3 ELSE last_status END, \
                         last_error = COALESCE($4, last_error), \
                         last_attempt_at = CASE WHEN $2 = 1 THEN $5 ELSE last_attempt_at END \
                         WHERE id = $6 AND lease_holder = $7",
                    )
                    .bind(timestamp(due_at))
                    .bind(tried)
                    .bind(status)
                    .bind(error)
                    .bind(timestamp(Utc::now()))
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn finish(
                    &self,
                    id: &str,
                    holder: &str,
                    state: DeliveryState,
                    reason: &str,
                    attempt: Option<Attempt<'_>>,
                ) -> sqlx::Result<()> {
                    let (tried, status, _) = attempt_columns(attempt.as_ref());
                    sqlx::query(
                        "UPDATE webhook_deliveries SET state = $1, last_error = $2, attempts = attempts + $3, \
                         last_status = CASE WHEN $3 = 1 THEN $4 ELSE last_status END, \
                         last_attempt_at = CASE WHEN $3 = 1 THEN $5 ELSE last_attempt_at END, \
                         lease_holder = NULL, lease_expires_at = NULL WHERE id = $6 AND lease_holder = $7",
                    )
                    .bind(state.as_str())
                    .bind(reason)
                    .bind(tried)
                    .bind(status)
                    .bind(timestamp(Utc::now()))
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn recent(&self, webhook_ids: &[&str], per_webhook: i64) -> sqlx::Result<Vec<DeliveryRow>> {
                    sqlx::query_as(&format!(
                        "SELECT {COLUMNS} FROM ( \
                           SELECT *, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY created_at DESC, id) AS n \
                           FROM webhook_deliveries WHERE webhook_id {} \
                         ) AS d WHERE n <= $2 ORDER BY webhook_id, created_at DESC, id",
                        Self::IN_ID_LIST
                    ))
                    .bind(Self::id_list(webhook_ids)?)
                    .bind(per_webhook)
                    .fetch_all(&self.pool)
                    .await
                }
            }

            /// An attempt as columns: whether one was made (0/1), its status and its error.
            fn attempt_columns<'a>(attempt: Option<&Attempt<'a>>) -> (i64, Option<i64>, Option<&'a str>) {
                match attempt {
                    Some(a) => (1, a.status.map(i64::from), a.error),
                    None => (0, None, None),
                }
            }
        };
    };
}
pub(crate) use webhook_store;
