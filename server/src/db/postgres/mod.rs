//! The backend for several processes: PostgreSQL. It runs the shared SQL (`db/sql/`) in its
//! [`Dialect`], and its own search (`tsvector`); its schema is in `migrations/`, applied when
//! it opens — under sqlx's advisory lock, so processes starting at once apply each migration
//! once.

pub(crate) mod search;

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::OpenError;
use super::jobs::{JobSignals, Wake};
use super::sql::{Dialect, shared_stores};

#[derive(Debug, Clone)]
pub struct PgDatabase {
    pool: PgPool,
}

impl PgDatabase {
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./src/db/postgres/migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

impl PgDatabase {
    /// A cluster is backed up with its own tools (`pg_dump`, base backups), not by Offbeat.
    async fn snapshot_into(_pool: &sqlx::PgPool, _into: &std::path::Path) -> sqlx::Result<super::Snapshot> {
        Ok(super::Snapshot::UseTheEnginesTools)
    }
}

shared_stores!(PgDatabase);

/// The channel on which a queued job is announced to every process.
const JOBS_CHANNEL: &str = "offbeat_jobs";

/// Every process LISTENs: a job queued anywhere wakes an idle worker here at once, instead of
/// at its next look (which still comes, for retries and leases falling due).
impl JobSignals for PgDatabase {
    fn watch(&self, wake: Wake) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => match listener.listen(JOBS_CHANNEL).await {
                        Ok(()) => {
                            // A notification, or a lost connection (then listen again).
                            while listener.recv().await.is_ok() {
                                wake();
                            }
                        }
                        Err(err) => tracing::warn!("cannot listen for queued jobs: {err}"),
                    },
                    Err(err) => tracing::warn!("cannot listen for queued jobs: {err}"),
                }
                // What was announced while not listening is found at the workers' next look.
                wake();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

impl Dialect for PgDatabase {
    const IN_ID_LIST: &'static str = "= ANY($1)";
    const EACH_ID_AT_3: &'static str = "unnest($3::text[]) AS m(value)";
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
    // Other processes share the database: only a lease that ran out marks a job as orphaned.
    const ABANDONED: &'static str = "AND lease_expires_at < $1";
    const ANNOUNCE_JOB: Option<&'static str> = Some("SELECT pg_notify('offbeat_jobs', '')");
    const BEGIN_WRITE: &'static str = "BEGIN";
    type IdList = Vec<String>;
    type Engine = sqlx::Postgres;

    /// A text array.
    fn id_list(ids: &[&str]) -> sqlx::Result<Vec<String>> {
        Ok(ids.iter().map(|id| (*id).to_owned()).collect())
    }
}
