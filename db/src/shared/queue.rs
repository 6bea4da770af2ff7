//! The one job queue: the SQL both engines run. Enqueuing, claiming with a lease (the only
//! `SKIP LOCKED` there is), renewing, ending a turn — for every kind of job.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Backend, Engine, begin_write, dialect};
use crate::Timestamp;
use crate::domain::{JobKind, JobState};
use crate::queue::{Attempt, Backlog, Ending, Job, JobColumns, JobQueue, Lease, NewJob};

/// Jobs a claim may take at `$1`: pending and due, or running on a lease that ran out.
const CLAIMABLE: &str = "((state = 'pending' AND run_after <= $1) OR (state = 'running' AND lease_expires_at < $1))";

/// Queues `jobs` inside `tx` (one already queued for the same work is kept), and announces
/// them to every process when `tx` commits: what any transaction that makes work calls.
pub(super) async fn enqueue_in(tx: &mut sqlx::Transaction<'_, Engine>, jobs: &[NewJob]) -> sqlx::Result<()> {
    let now = Timestamp::now();
    let mut kinds = Vec::new();
    for job in jobs {
        let columns = job.work.columns();
        let kind = columns.kind;
        sqlx::query(
            "INSERT INTO jobs (id, kind, target, event, clip_id, reply_id, actor_id, subject, state, run_after, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10) ON CONFLICT DO NOTHING",
        )
        .bind(&job.id)
        .bind(kind.as_str())
        .bind(columns.target)
        .bind(columns.event)
        .bind(columns.clip_id)
        .bind(columns.reply_id)
        .bind(columns.actor_id)
        .bind(columns.subject)
        .bind(Timestamp::from(job.run_after))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if let Some(announce) = dialect::ANNOUNCE_JOB {
        for kind in kinds {
            sqlx::query(announce).bind(kind.as_str()).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Rows read back as jobs.
fn jobs(rows: Vec<JobColumns>) -> crate::Result<Vec<Job>> {
    rows.into_iter().map(Job::try_from).collect()
}

/// The columns an ending writes: `(state, run_after, error, keep_error, finished)`.
fn ending_columns<'a>(
    ending: Ending<'a>,
    now: Timestamp,
) -> (JobState, Option<Timestamp>, Option<&'a str>, bool, Option<Timestamp>) {
    match ending {
        Ending::Done => (JobState::Done, None, None, false, Some(now)),
        Ending::Retry { at, error } => (JobState::Pending, Some(at.into()), Some(error), false, None),
        Ending::Postpone { at } => (JobState::Pending, Some(at.into()), None, true, None),
        Ending::Dropped(why) => (JobState::Dropped, None, Some(why), false, Some(now)),
        Ending::Failed(why) => (JobState::Failed, None, Some(why), false, Some(now)),
    }
}

#[async_trait::async_trait]
impl JobQueue for Backend {
    async fn enqueue(&self, jobs: &[NewJob]) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        enqueue_in(&mut tx, jobs).await?;
        Ok(tx.commit().await?)
    }

    async fn requeue_interrupted(&self) -> crate::Result<u64> {
        Ok(sqlx::query(&format!(
            "UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
             WHERE state = 'running' {}",
            dialect::ABANDONED
        ))
        .bind(Timestamp::now())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn claim(&self, kind: JobKind, lease: Lease<'_>, limit: i64) -> crate::Result<Vec<Job>> {
        // The due rows are chosen (and, on PostgreSQL, locked past other claims) once, in a
        // CTE: a subquery in the WHERE clause may be run again per row.
        let rows = sqlx::query_as(&format!(
            "WITH due (job_id) AS (SELECT id FROM jobs WHERE kind = $4 AND {CLAIMABLE} \
                 ORDER BY run_after, id LIMIT $5 {}) \
             UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = $1, lease_owner = $2, \
                 lease_expires_at = $3 \
             FROM due WHERE jobs.id = due.job_id \
             RETURNING {}",
            dialect::SKIP_LOCKED,
            JobColumns::LIST
        ))
        .bind(Timestamp::now())
        .bind(lease.holder)
        .bind(Timestamp::from(lease.until))
        .bind(kind.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        jobs(rows)
    }

    async fn claim_for(&self, kind: JobKind, to: &str, lease: Lease<'_>) -> crate::Result<Vec<Job>> {
        // Those the holder has already are counted once: their turn is the same.
        let mine = "(state = 'running' AND lease_owner = $2)";
        let mut rows: Vec<JobColumns> = sqlx::query_as(&format!(
            "WITH due (job_id) AS (SELECT id FROM jobs WHERE kind = $4 AND target = $5 AND run_after <= $1 \
                 AND ({CLAIMABLE} OR {mine}) ORDER BY created_at, id {}) \
             UPDATE jobs SET state = 'running', attempts = attempts + CASE WHEN {mine} THEN 0 ELSE 1 END, \
                 updated_at = $1, lease_owner = $2, lease_expires_at = $3 \
             FROM due WHERE jobs.id = due.job_id \
             RETURNING {}",
            dialect::SKIP_LOCKED,
            JobColumns::LIST
        ))
        .bind(Timestamp::now())
        .bind(lease.holder)
        .bind(Timestamp::from(lease.until))
        .bind(kind.as_str())
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        jobs(rows)
    }

    async fn retime(&self, id: &str, run_after: DateTime<Utc>) -> crate::Result<bool> {
        let moved = sqlx::query("UPDATE jobs SET run_after = $1, updated_at = $2 WHERE id = $3 AND state = 'pending'")
            .bind(Timestamp::from(run_after))
            .bind(Timestamp::now())
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(moved > 0)
    }

    async fn renew(&self, id: &str, lease: Lease<'_>) -> crate::Result<bool> {
        let renewed = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND state = 'running' AND lease_owner = $3",
        )
        .bind(Timestamp::from(lease.until))
        .bind(id)
        .bind(lease.holder)
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() > 0)
    }

    async fn end(&self, id: &str, holder: &str, ending: Ending<'_>, tried: Option<Attempt>) -> crate::Result<()> {
        let now = Timestamp::now();
        let (state, run_after, error, keep_error, finished) = ending_columns(ending, now);
        let untried = i64::from(tried.is_none());
        sqlx::query(
            "UPDATE jobs SET state = $1, run_after = COALESCE($2, run_after), \
                 last_error = CASE WHEN $3 THEN last_error ELSE $4 END, attempts = attempts - $5, \
                 last_status = CASE WHEN $5 = 0 THEN $6 ELSE last_status END, \
                 last_attempt_at = CASE WHEN $5 = 0 THEN $7 ELSE last_attempt_at END, \
                 finished_at = $8, updated_at = $7, lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $9 AND state = 'running' AND lease_owner = $10",
        )
        .bind(state.as_str())
        .bind(run_after)
        .bind(keep_error)
        .bind(error)
        .bind(untried)
        .bind(tried.and_then(|t| t.status).map(i64::from))
        .bind(now)
        .bind(finished)
        .bind(id)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn next_due(&self, kind: JobKind) -> crate::Result<Option<DateTime<Utc>>> {
        let next: Option<Timestamp> = sqlx::query_scalar(
            "SELECT MIN(due) FROM ( \
                 SELECT run_after AS due FROM jobs WHERE kind = $1 AND state = 'pending' \
                 UNION ALL SELECT lease_expires_at FROM jobs WHERE kind = $1 AND state = 'running' \
             ) AS upcoming",
        )
        .bind(kind.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(next.map(Timestamp::instant))
    }

    async fn backlog(&self, kind: JobKind) -> crate::Result<Backlog> {
        let (pending, oldest): (i64, Option<Timestamp>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(run_after) FROM jobs WHERE kind = $1 AND state = 'pending' AND run_after <= $2",
        )
        .bind(kind.as_str())
        .bind(Timestamp::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(Backlog {
            pending,
            oldest_due: oldest.map(Timestamp::instant),
        })
    }

    async fn of_clips(&self, kind: JobKind, clip_ids: &[&str]) -> crate::Result<HashMap<String, Job>> {
        let rows: Vec<JobColumns> = sqlx::query_as(&format!(
            "SELECT {} FROM jobs WHERE kind = $2 AND clip_id {}",
            JobColumns::LIST,
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(clip_ids)?)
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(jobs(rows)?
            .into_iter()
            .map(|job| (job.work.clip_id().to_owned(), job))
            .collect())
    }

    async fn addressed_to(&self, kind: JobKind, to: &[&str], per_target: i64) -> crate::Result<Vec<Job>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {columns} FROM ( \
               SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY created_at DESC, id) AS n \
               FROM jobs WHERE kind = $3 AND target {} \
             ) AS j WHERE n <= $2 ORDER BY target, created_at DESC, id",
            dialect::IN_ID_LIST,
            columns = JobColumns::LIST
        ))
        .bind(dialect::id_list(to)?)
        .bind(per_target)
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        jobs(rows)
    }
}
