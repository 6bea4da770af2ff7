//! The metadata database: SQLite in WAL mode, migrations applied at start-up.

pub mod clips;
pub mod threads;
pub mod transcripts;
pub mod uploads;
pub mod users;

use std::path::Path;

/// A list of ids as one bound value: a JSON array that SQL reads with `json_each(?)`, so a query
/// over many ids has one statement and one parameter however many there are.
pub(crate) fn id_list(ids: &[&str]) -> sqlx::Result<String> {
    serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(e.into()))
}

/// `IN (…)` over an [`id_list`] bound at `?`.
pub(crate) const IN_ID_LIST: &str = "IN (SELECT value FROM json_each(?))";
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub async fn open(path: &Path) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL is durable across process crashes (not power loss of the last commit)
        // and much faster than FULL.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
