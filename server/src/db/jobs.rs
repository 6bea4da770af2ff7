//! The durable job queue: transcript jobs, claimed one at a time, retried with backoff.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::JobState;

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub clip_id: String,
    /// Including this one.
    pub attempts: i64,
}

/// A job as the API reports it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Jobs waiting, running, done or failed.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// Jobs left 'running' by a process that died: this process is the database's only user
    /// (SQLite), so they are nobody's now and go back in line.
    async fn requeue_interrupted(&self) -> sqlx::Result<u64>;

    /// Claims the job that has been due longest, atomically: one UPDATE flips exactly one
    /// pending row to running, so two workers can never take the same job.
    async fn claim(&self) -> sqlx::Result<Option<Job>>;

    /// When the next pending job falls due (it may already have).
    async fn next_due(&self) -> sqlx::Result<Option<DateTime<Utc>>>;

    /// A failed attempt: back in line after `retry_at`, or failed for good.
    async fn fail(&self, clip_id: &str, error: &str, retry_at: Option<DateTime<Utc>>) -> sqlx::Result<()>;

    async fn job(&self, clip_id: &str) -> sqlx::Result<Option<JobRow>>;

    /// The jobs of these clips, by clip id, in one query.
    async fn jobs(&self, clip_ids: &[&str]) -> sqlx::Result<HashMap<String, JobRow>>;
}
