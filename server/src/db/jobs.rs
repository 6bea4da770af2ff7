//! The durable job queue: transcript jobs, each claimed by one worker with a lease it renews
//! while it works, retried with backoff. A worker whose process dies stops renewing; once its
//! lease runs out any worker of any process takes the job over.

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

/// The jobs waiting to run.
#[derive(Debug, Clone, Copy)]
pub struct Backlog {
    pub pending: i64,
    /// When the longest-waiting of them fell due.
    pub oldest_due: Option<DateTime<Utc>>,
}

/// Who holds a job, and until when (renewed while the holder works).
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    /// A worker of one process: `<process id>/<worker>`.
    pub holder: &'a str,
    pub until: DateTime<Utc>,
}

/// Jobs waiting, running, done or failed.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// At start-up: jobs left running by a process that is surely gone go back in line. On
    /// SQLite that is every running job (this process is the database's only user); on a
    /// shared database, those whose lease has run out.
    async fn requeue_interrupted(&self) -> sqlx::Result<u64>;

    /// Claims the job that has been due longest — a pending one, or a running one whose lease
    /// ran out (its worker died) — under `lease`, atomically: two workers never hold one job.
    async fn claim(&self, lease: Lease<'_>) -> sqlx::Result<Option<Job>>;

    /// Extends the lease of a job its holder is still working on; `false` if the job is no
    /// longer theirs (taken over after their lease ran out, or gone).
    async fn renew(&self, clip_id: &str, lease: Lease<'_>) -> sqlx::Result<bool>;

    /// When the next job falls due or the next lease runs out (either may have already).
    async fn next_due(&self) -> sqlx::Result<Option<DateTime<Utc>>>;

    /// A failed attempt by `holder`: back in line after `retry_at`, or failed for good. A
    /// holder that lost the job changes nothing.
    async fn fail(&self, clip_id: &str, holder: &str, error: &str, retry_at: Option<DateTime<Utc>>)
    -> sqlx::Result<()>;

    async fn job(&self, clip_id: &str) -> sqlx::Result<Option<JobRow>>;

    /// The queue's depth and age (due jobs only: a retry not yet due is not waiting).
    async fn backlog(&self) -> sqlx::Result<Backlog>;

    /// The jobs of these clips, by clip id, in one query.
    async fn jobs(&self, clip_ids: &[&str]) -> sqlx::Result<HashMap<String, JobRow>>;
}

/// Tells idle workers of this process that a job was queued, by whichever process.
pub type Wake = std::sync::Arc<dyn Fn() + Send + Sync>;

/// How a backend tells every process that a job was queued.
pub trait JobSignals: Send + Sync {
    /// Calls `wake` whenever any process queues a job, for as long as the process runs (no-op
    /// where this process is the only one: it wakes its own workers).
    fn watch(&self, wake: Wake);
}
