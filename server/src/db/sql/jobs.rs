//! The job queue: the SQL both backends run.

macro_rules! job_queue {
    ($db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use sqlx::{FromRow, Row};
            use std::collections::HashMap;
            use $crate::db::jobs::{Backlog, Job, JobQueue, JobRow, Lease};
            use $crate::db::sql::Dialect;
            use $crate::domain::{JobState, parse_timestamp, timestamp};

            #[async_trait::async_trait]
            impl JobQueue for $db {
                async fn requeue_interrupted(&self) -> sqlx::Result<u64> {
                    let now = timestamp(Utc::now());
                    Ok(sqlx::query(&format!(
                        "UPDATE transcript_jobs SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, \
                         updated_at = $1 WHERE state = 'running' {}",
                        Self::ABANDONED
                    ))
                    .bind(&now)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
                }

                async fn claim(&self, lease: Lease<'_>) -> sqlx::Result<Option<Job>> {
                    let now = timestamp(Utc::now());
                    let claimable =
                        "((state = 'pending' AND run_after <= $1) OR (state = 'running' AND lease_expires_at < $1))";
                    let row = sqlx::query(&format!(
                        "UPDATE transcript_jobs SET state = 'running', attempts = attempts + 1, updated_at = $1, \
                             lease_owner = $2, lease_expires_at = $3 \
                         WHERE {claimable} AND clip_id = (SELECT clip_id FROM transcript_jobs \
                             WHERE {claimable} ORDER BY run_after, clip_id LIMIT 1 {}) \
                         RETURNING clip_id, attempts",
                        Self::SKIP_LOCKED
                    ))
                    .bind(&now)
                    .bind(lease.holder)
                    .bind(timestamp(lease.until))
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(|row| Job {
                        clip_id: row.get("clip_id"),
                        attempts: row.get("attempts"),
                    }))
                }

                async fn renew(&self, clip_id: &str, lease: Lease<'_>) -> sqlx::Result<bool> {
                    let renewed = sqlx::query(
                        "UPDATE transcript_jobs SET lease_expires_at = $1 \
                         WHERE clip_id = $2 AND state = 'running' AND lease_owner = $3",
                    )
                    .bind(timestamp(lease.until))
                    .bind(clip_id)
                    .bind(lease.holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(renewed.rows_affected() > 0)
                }

                async fn next_due(&self) -> sqlx::Result<Option<DateTime<Utc>>> {
                    let next: Option<String> = sqlx::query_scalar(
                        "SELECT MIN(due) FROM ( \
                             SELECT run_after AS due FROM transcript_jobs WHERE state = 'pending' \
                             UNION ALL SELECT lease_expires_at FROM transcript_jobs WHERE state = 'running' \
                         ) AS upcoming",
                    )
                    .fetch_one(&self.pool)
                    .await?;
                    Ok(next.as_deref().and_then(parse_timestamp))
                }

                async fn fail(
                    &self,
                    clip_id: &str,
                    holder: &str,
                    error: &str,
                    retry_at: Option<DateTime<Utc>>,
                ) -> sqlx::Result<()> {
                    let now = timestamp(Utc::now());
                    let (state, run_after) = match retry_at {
                        Some(at) => (JobState::Pending, timestamp(at)),
                        None => (JobState::Failed, now.clone()),
                    };
                    sqlx::query(
                        "UPDATE transcript_jobs SET state = $1, run_after = $2, last_error = $3, updated_at = $4, \
                             lease_owner = NULL, lease_expires_at = NULL \
                         WHERE clip_id = $5 AND state = 'running' AND lease_owner = $6",
                    )
                    .bind(state.as_str())
                    .bind(run_after)
                    .bind(error)
                    .bind(now)
                    .bind(clip_id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn backlog(&self) -> sqlx::Result<Backlog> {
                    let (pending, oldest): (i64, Option<String>) = sqlx::query_as(
                        "SELECT COUNT(*), MIN(run_after) FROM transcript_jobs WHERE state = 'pending' AND run_after <= $1",
                    )
                    .bind(timestamp(Utc::now()))
                    .fetch_one(&self.pool)
                    .await?;
                    Ok(Backlog {
                        pending,
                        oldest_due: oldest.as_deref().and_then(parse_timestamp),
                    })
                }

                async fn job(&self, clip_id: &str) -> sqlx::Result<Option<JobRow>> {
                    sqlx::query_as("SELECT state, attempts, last_error FROM transcript_jobs WHERE clip_id = $1")
                        .bind(clip_id)
                        .fetch_optional(&self.pool)
                        .await
                }

                async fn jobs(&self, clip_ids: &[&str]) -> sqlx::Result<HashMap<String, JobRow>> {
                    let rows = sqlx::query(&format!(
                        "SELECT clip_id, state, attempts, last_error FROM transcript_jobs WHERE clip_id {}",
                        Self::IN_ID_LIST
                    ))
                    .bind(Self::id_list(clip_ids)?)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut jobs = HashMap::new();
                    for row in rows {
                        jobs.insert(row.try_get("clip_id")?, JobRow::from_row(&row)?);
                    }
                    Ok(jobs)
                }
            }
        };
    };
}
pub(crate) use job_queue;
