//! The metadata database, seen from the services: one interface per use case (clips, threads,
//! users and tokens, upload sessions, the job queue, transcripts, the search index) and the
//! records they pass. Nothing here knows which engine is behind them; each engine is a module
//! of its own (`sqlite/`) holding its SQL and its migrations, so adding one touches no service
//! and no route.
//!
//! Errors are `sqlx::Error`: every engine is reached through sqlx, and what callers need to tell
//! apart (a twin reply, a clip gone while transcribing) the interfaces return as values.

pub mod clips;
pub mod jobs;
pub mod search;
pub mod sqlite;
pub mod threads;
pub mod transcripts;
pub mod uploads;
pub mod users;

use std::path::Path;
use std::sync::Arc;

pub use clips::ClipStore;
pub use jobs::JobQueue;
pub use search::SearchIndex;
pub use threads::ThreadStore;
pub use transcripts::TranscriptStore;
pub use uploads::UploadStore;
pub use users::UserStore;

/// The whole database: each use case's interface, and whether it answers at all.
#[async_trait::async_trait]
pub trait Database: std::fmt::Debug + Send + Sync {
    fn clips(&self) -> &dyn ClipStore;
    fn threads(&self) -> &dyn ThreadStore;
    fn users(&self) -> &dyn UserStore;
    fn uploads(&self) -> &dyn UploadStore;
    fn jobs(&self) -> &dyn JobQueue;
    fn transcripts(&self) -> &dyn TranscriptStore;
    fn search(&self) -> &dyn SearchIndex;
    /// One round trip, for health checks.
    async fn ping(&self) -> sqlx::Result<()>;
}

/// The database as the server holds it: shared by every request and worker.
pub type Db = Arc<dyn Database>;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot bring the database's schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens the database in the data directory, applying its migrations.
pub async fn open(data_dir: &Path) -> Result<Db, OpenError> {
    Ok(Arc::new(
        sqlite::SqliteDatabase::open(&data_dir.join("offbeat.db")).await?,
    ))
}
