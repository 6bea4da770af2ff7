//! The notifications queue: the SQL both backends run.

macro_rules! notification_store {
    ($db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::db::notifications::{EventRow, NotificationRow, NotificationStore};
            use $crate::db::queue::Queued;
            use $crate::db::sql::queue::claim_due;
            use $crate::db::sql::Dialect;
            use $crate::domain::{DeliveryState, EmailChoice, timestamp};

            const COLUMNS: &str = "id, recipient_id, event, clip_id, reply_id, actor_id, created_at, due_at, state, attempts, \
                last_error, sent_at";

            #[async_trait::async_trait]
            impl NotificationStore for $db {
                async fn enqueue(&self, notifications: &[Queued<'_>]) -> sqlx::Result<()> {
                    enqueue_rows(&self.pool, "notifications", "recipient_id", notifications).await
                }

                async fn claim(
                    &self,
                    holder: &str,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: i64,
                ) -> sqlx::Result<Vec<NotificationRow>> {
                    sqlx::query_as(&claim_due("notifications", COLUMNS, Self::SKIP_LOCKED))
                    .bind(holder)
                    .bind(timestamp(lease_until))
                    .bind(timestamp(now))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                }

                async fn claim_recipient(
                    &self,
                    holder: &str,
                    recipient_id: &str,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                ) -> sqlx::Result<Vec<NotificationRow>> {
                    sqlx::query_as(&format!(
                        "UPDATE notifications SET lease_holder = $1, lease_expires_at = $2 WHERE id IN ( \
                           SELECT id FROM notifications WHERE recipient_id = $3 AND state = 'pending' AND due_at <= $4 \
                           AND (lease_expires_at IS NULL OR lease_expires_at < $4 OR lease_holder = $1) ORDER BY created_at {} \
                         ) RETURNING {COLUMNS}",
                        Self::SKIP_LOCKED
                    ))
                    .bind(holder)
                    .bind(timestamp(lease_until))
                    .bind(recipient_id)
                    .bind(timestamp(now))
                    .fetch_all(&self.pool)
                    .await
                }

                async fn sent(&self, id: &str, holder: &str) -> sqlx::Result<()> {
                    sqlx::query(
                        "UPDATE notifications SET state = 'sent', sent_at = $1, lease_holder = NULL, lease_expires_at = NULL \
                         WHERE id = $2 AND lease_holder = $3",
                    )
                    .bind(timestamp(Utc::now()))
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn later(&self, id: &str, holder: &str, due_at: DateTime<Utc>, error: Option<&str>) -> sqlx::Result<()> {
                    sqlx::query(
                        "UPDATE notifications SET due_at = $1, lease_holder = NULL, lease_expires_at = NULL, \
                         attempts = attempts + $2, last_error = COALESCE($3, last_error) WHERE id = $4 AND lease_holder = $5",
                    )
                    .bind(timestamp(due_at))
                    .bind(i64::from(error.is_some()))
                    .bind(error)
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn finish(&self, id: &str, holder: &str, state: DeliveryState, reason: &str) -> sqlx::Result<()> {
                    sqlx::query(
                        "UPDATE notifications SET state = $1, last_error = $2, lease_holder = NULL, lease_expires_at = NULL \
                         WHERE id = $3 AND lease_holder = $4",
                    )
                    .bind(state.as_str())
                    .bind(reason)
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn events(&self, limit: i64) -> sqlx::Result<Vec<EventRow>> {
                    sqlx::query_as("SELECT id, kind, clip_id, reply_id, actor_id, created_at FROM events ORDER BY id LIMIT $1")
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                }

                async fn event_done(&self, id: i64) -> sqlx::Result<()> {
                    sqlx::query("DELETE FROM events WHERE id = $1").bind(id).execute(&self.pool).await?;
                    Ok(())
                }

                async fn of_recipient(&self, recipient_id: &str) -> sqlx::Result<Vec<NotificationRow>> {
                    sqlx::query_as(&format!(
                        "SELECT {COLUMNS} FROM notifications WHERE recipient_id = $1 ORDER BY created_at DESC, id"
                    ))
                    .bind(recipient_id)
                    .fetch_all(&self.pool)
                    .await
                }

                async fn set_email_choice(&self, user_id: &str, choice: EmailChoice) -> sqlx::Result<()> {
                    sqlx::query("UPDATE users SET email_notifications = $1 WHERE id = $2")
                        .bind(choice.as_str())
                        .bind(user_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn server_key(&self, name: &str, fresh: &str) -> sqlx::Result<String> {
                    sqlx::query("INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                        .bind(name)
                        .bind(fresh)
                        .bind(timestamp(Utc::now()))
                        .execute(&self.pool)
                        .await?;
                    sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await
                }
            }
        };
    };
}
pub(crate) use notification_store;
