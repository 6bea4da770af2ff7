//! The embedded backend: one SQLite file in WAL mode, migrations (`migrations/`) applied when
//! it opens. It runs the shared SQL (`db/sql/`) in its [`Dialect`], and its own search (FTS5).

pub(crate) mod search;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::OpenError;
use super::jobs::{JobSignals, Wake};
use super::sql::{Dialect, shared_stores};

#[derive(Debug, Clone)]
pub struct SqliteDatabase {
    pool: SqlitePool,
}

impl SqliteDatabase {
    pub async fn open(path: &Path) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL is durable across process crashes (not power loss of the last
            // commit) and much faster than FULL.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./src/db/sqlite/migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

impl SqliteDatabase {
    /// `VACUUM INTO`: a consistent, compact copy, taken while others read and write.
    async fn snapshot_into(pool: &SqlitePool, into: &Path) -> sqlx::Result<super::Snapshot> {
        sqlx::query("VACUUM INTO $1")
            .bind(into.to_string_lossy().into_owned())
            .execute(pool)
            .await?;
        Ok(super::Snapshot::Written)
    }
}

shared_stores!(SqliteDatabase);

/// One process: whoever queues a job wakes its own workers.
impl JobSignals for SqliteDatabase {
    fn watch(&self, _wake: Wake) {}
}

impl Dialect for SqliteDatabase {
    const IN_ID_LIST: &'static str = "IN (SELECT value FROM json_each($1))";
    const EACH_ID_AT_3: &'static str = "json_each($3) AS m";
    // One writer at a time: a claim's UPDATE already has the database to itself.
    const SKIP_LOCKED: &'static str = "";
    // This process is the database's only user: whatever ran before it started is orphaned.
    const ABANDONED: &'static str = "";
    // Its workers are woken in process.
    const ANNOUNCE_JOB: Option<&'static str> = None;
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    type IdList = String;
    type Engine = sqlx::Sqlite;

    /// A JSON array that SQL reads with `json_each`, so a query over many ids has one
    /// statement and one parameter however many there are.
    fn id_list(ids: &[&str]) -> sqlx::Result<String> {
        serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(e.into()))
    }
}
