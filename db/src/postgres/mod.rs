//! The engine for several processes: PostgreSQL. It runs the shared SQL (`shared/`) in its own
//! `dialect`, and its own search (`tsvector`); its schema is in `migrations/`, applied when it
//! opens — under sqlx's advisory lock, so processes starting at once apply each migration once.

pub mod tsvector;

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use crate::OpenError;
use crate::queue::{JobSignals, Wake};

#[derive(Debug, Clone)]
pub struct PgDatabase {
    pool: PgPool,
}

/// What the shared SQL is compiled for here.
type Backend = PgDatabase;
type Engine = sqlx::Postgres;

// The one text of the SQL both engines run, compiled for this one (see `shared/mod.rs`).
#[allow(clippy::duplicate_mod)]
#[path = "../shared/mod.rs"]
mod shared;

/// What PostgreSQL's SQL says differently.
mod dialect {
    /// `IN …` over a list of ids bound at `$1`, as [`id_list`] makes it.
    pub const IN_ID_LIST: &str = "= ANY($1)";
    /// A table `m` of the ids bound at `$3`, one per row in its column `value`.
    pub const EACH_ID_AT_3: &str = "unnest($3::text[]) AS m(value)";
    /// What lets concurrent claims pass over rows another transaction holds.
    pub const SKIP_LOCKED: &str = "FOR UPDATE SKIP LOCKED";
    /// Which running jobs a process starting up may put back in line (`AND …`, with the time
    /// at `$1`): other processes share the database, so only those whose lease ran out.
    pub const ABANDONED: &str = "AND lease_expires_at < $1";
    /// What tells every process that a job of the kind bound at `$1` was queued (run in the
    /// queuing transaction, so it is told when that commits).
    pub const ANNOUNCE_JOB: Option<&str> = Some("SELECT pg_notify('offbeat_jobs', $1)");
    /// Locks the rows a `SELECT` reads until the transaction ends, so transactions that read
    /// them first take turns.
    pub const LOCK_ROW: &str = "FOR UPDATE";
    pub const BEGIN_WRITE: &str = "BEGIN";
    /// The distinct values of a column in a group, comma-separated.
    pub const EACH_DISTINCT_AUTHOR: &str = "STRING_AGG(DISTINCT author, ',')";

    /// A list of ids as one bound value: a text array.
    pub type IdList = Vec<String>;

    pub fn id_list(ids: &[&str]) -> sqlx::Result<IdList> {
        Ok(ids.iter().map(|id| (*id).to_owned()).collect())
    }
}

impl PgDatabase {
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./src/postgres/migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// A cluster is backed up with its own tools (`pg_dump`, base backups), not by Offbeat.
    async fn snapshot_into(&self, _into: &std::path::Path) -> crate::Result<crate::Snapshot> {
        Ok(crate::Snapshot::UseTheEnginesTools)
    }
}

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
                            while let Ok(told) = listener.recv().await {
                                wake(told.payload().parse().ok());
                            }
                        }
                        Err(err) => tracing::warn!("cannot listen for queued jobs: {err}"),
                    },
                    Err(err) => tracing::warn!("cannot listen for queued jobs: {err}"),
                }
                // What was announced while not listening is found at the workers' next look.
                wake(None);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
