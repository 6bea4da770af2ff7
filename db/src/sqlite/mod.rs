//! The embedded engine: one SQLite file in WAL mode, its migrations (`migrations/`) applied when
//! it opens. It runs the shared SQL (`shared/`) in its own `dialect`, and its own search (FTS5).

pub mod fts5;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::OpenError;
use crate::queue::{JobSignals, Wake};

#[derive(Debug, Clone)]
pub struct SqliteDatabase {
    pool: SqlitePool,
}

/// What the shared SQL is compiled for here.
type Backend = SqliteDatabase;
type Engine = sqlx::Sqlite;

// The one text of the SQL both engines run, compiled for this one (see `shared/mod.rs`).
#[allow(clippy::duplicate_mod)]
#[path = "../shared/mod.rs"]
mod shared;

/// What SQLite's SQL says differently.
mod dialect {
    /// `IN …` over a list of ids bound at `$1`, as [`id_list`] makes it.
    pub const IN_ID_LIST: &str = "IN (SELECT value FROM json_each($1))";
    /// A table `m` of the ids bound at `$3`, one per row in its column `value`.
    pub const EACH_ID_AT_3: &str = "json_each($3) AS m";
    /// What lets concurrent claims pass over rows another transaction holds: nothing here,
    /// where there is one writer at a time and a claim's UPDATE has the database to itself.
    pub const SKIP_LOCKED: &str = "";
    /// Which running jobs a process starting up may put back in line (`AND …`, with the time
    /// at `$1`): every one, as this process is the database's only user.
    pub const ABANDONED: &str = "";
    /// What tells every process that a job was queued: nothing, its workers are woken in
    /// process.
    pub const ANNOUNCE_JOB: Option<&str> = None;
    /// Locks the rows a `SELECT` reads until the transaction ends: nothing here, where a
    /// write transaction already has the database to itself.
    pub const LOCK_ROW: &str = "";
    /// A transaction that writes takes the write lock at once: one that read first cannot take
    /// it once another writer has, whatever the busy timeout ("database is locked").
    pub const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
    /// The distinct values of a column in a group, comma-separated.
    pub const EACH_DISTINCT_AUTHOR: &str = "GROUP_CONCAT(DISTINCT author)";

    /// A list of ids as one bound value: a JSON array that SQL reads with `json_each`, so a
    /// query over many ids has one statement and one parameter however many there are.
    pub type IdList = String;

    pub fn id_list(ids: &[&str]) -> sqlx::Result<IdList> {
        serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(e.into()))
    }
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
        sqlx::migrate!("./src/sqlite/migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// `VACUUM INTO`: a consistent, compact copy, taken while others read and write.
    async fn snapshot_into(&self, into: &Path) -> crate::Result<crate::Snapshot> {
        sqlx::query("VACUUM INTO $1")
            .bind(into.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(crate::Snapshot::Written)
    }
}

/// One process: whoever queues a job wakes its own workers.
impl JobSignals for SqliteDatabase {
    fn watch(&self, _wake: Wake) {}
}
