//! The embedded backend: one SQLite file in WAL mode, migrations (`migrations/`) applied when
//! it opens. All of its SQL lives in this module, one file per interface it implements.

mod clips;
mod jobs;
mod search;
mod threads;
mod transcripts;
mod uploads;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{
    ClipStore, Database, JobQueue, OpenError, SearchIndex, ThreadStore, TranscriptStore, UploadStore, UserStore,
};

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

#[async_trait::async_trait]
impl Database for SqliteDatabase {
    every_interface_is_self!(
        clips: ClipStore,
        threads: ThreadStore,
        users: UserStore,
        uploads: UploadStore,
        jobs: JobQueue,
        transcripts: TranscriptStore,
        search: SearchIndex,
    );

    async fn ping(&self) -> sqlx::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }
}

/// A list of ids as one bound value: a JSON array that SQL reads with `json_each(?)`, so a query
/// over many ids has one statement and one parameter however many there are.
fn id_list(ids: &[&str]) -> sqlx::Result<String> {
    serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(e.into()))
}

/// `IN (…)` over an [`id_list`] bound at `?`.
const IN_ID_LIST: &str = "IN (SELECT value FROM json_each(?))";
