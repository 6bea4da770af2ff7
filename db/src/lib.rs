//! Offbeat's metadata database as a crate of its own: the domain's words (states as enums, ids,
//! timestamps, working hours), one interface per use case (clips, threads, users and tokens,
//! upload sessions, the job queue, transcripts, the search index, notifications and webhooks),
//! and the two engines behind them — SQLite (`sqlite/`) and PostgreSQL (`postgres/`), each with
//! its migrations. It is the only crate that reaches sqlx; nothing here knows of HTTP or of the
//! server's state, and the server cannot reach around these interfaces because Cargo will not
//! let it.
//!
//! The SQL both engines run is written once (`shared/`); what differs is each engine's
//! `dialect`. Errors are [`Error`]; what callers need to tell apart (a twin reply, a clip gone
//! while transcribing) the interfaces return as values.

pub mod attempts;
pub mod checkins;
pub mod clips;
pub mod domain;
mod error;
pub mod ids;
pub mod invites;
pub mod notifications;
pub mod postgres;
pub mod processes;
pub mod queue;
pub mod reactions;
pub mod search;
pub mod sign_in_flows;
pub mod sqlite;
pub mod summaries;
pub mod team;
pub mod threads;
mod timestamp;
pub mod transcripts;
pub mod uploads;
pub mod users;
pub mod webhooks;
pub mod working_hours;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use attempts::AttemptLog;
pub use checkins::CheckinStore;
pub use clips::ClipStore;
pub use error::{Error, Result};
pub use invites::InviteStore;
pub use notifications::NotificationStore;
pub use processes::ProcessRegistry;
pub use queue::{JobQueue, JobSignals};
pub use reactions::ReactionStore;
pub use search::SearchIndex;
pub use sign_in_flows::SignInFlows;
pub use summaries::SummaryStore;
pub use team::TeamStore;
pub use threads::ThreadStore;
pub use timestamp::Timestamp;
pub use transcripts::TranscriptStore;
pub use uploads::UploadStore;
pub use users::UserStore;
pub use webhooks::WebhookStore;

/// The whole database: each use case's interface, and whether it answers at all.
#[async_trait::async_trait]
pub trait Database: std::fmt::Debug + Send + Sync {
    fn clips(&self) -> &dyn ClipStore;
    fn threads(&self) -> &dyn ThreadStore;
    fn users(&self) -> &dyn UserStore;
    fn team(&self) -> &dyn TeamStore;
    fn invites(&self) -> &dyn InviteStore;
    fn notifications(&self) -> &dyn NotificationStore;
    fn webhooks(&self) -> &dyn WebhookStore;
    fn uploads(&self) -> &dyn UploadStore;
    fn jobs(&self) -> &dyn JobQueue;
    fn job_signals(&self) -> &dyn JobSignals;
    fn attempts(&self) -> &dyn AttemptLog;
    fn checkins(&self) -> &dyn CheckinStore;
    fn processes(&self) -> &dyn ProcessRegistry;
    fn transcripts(&self) -> &dyn TranscriptStore;
    fn search(&self) -> &dyn SearchIndex;
    fn summaries(&self) -> &dyn SummaryStore;
    fn reactions(&self) -> &dyn ReactionStore;
    fn sign_in_flows(&self) -> &dyn SignInFlows;
    /// One round trip, for health checks.
    async fn ping(&self) -> Result<()>;
    /// A consistent copy of the whole database at `into`, taken while it is in use — where
    /// the engine can make one itself.
    async fn snapshot(&self, into: &Path) -> Result<Snapshot>;
}

/// What became of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshot {
    Written,
    /// The engine has tools of its own for this (PostgreSQL: `pg_dump`).
    UseTheEnginesTools,
}

/// The database as the server holds it: shared by every request and worker.
pub type Db = Arc<dyn Database>;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the database URL {0:?} is neither sqlite://… nor postgres://…")]
    Url(String),
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot bring the database's schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Which database, and where.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded default: one file, one process.
    Sqlite(PathBuf),
    /// A server that several Offbeat processes share (the URL may hold a password).
    Postgres(String),
}

impl Location {
    /// `url` (`sqlite://<path>`, `postgres://…` or `postgresql://…`), or without one, SQLite
    /// in the data directory.
    pub fn new(url: Option<&str>, data_dir: &Path) -> Result<Self, OpenError> {
        match url {
            None => Ok(Self::Sqlite(data_dir.join("offbeat.db"))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url.to_owned()))
            }
            Some(url) => match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                Some(path) if !path.is_empty() => Ok(Self::Sqlite(PathBuf::from(path))),
                _ => Err(OpenError::Url(redacted(url))),
            },
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

/// A database URL fit for logs: without the password.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:…@{host}")
        }
        None => url.to_owned(),
    }
}

/// Opens the database, applying its migrations (safe when several processes start at once).
pub async fn open(location: &Location) -> Result<Db, OpenError> {
    Ok(match location {
        Location::Sqlite(path) => Arc::new(sqlite::SqliteDatabase::open(path).await?),
        Location::Postgres(url) => Arc::new(postgres::PgDatabase::open(url).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_database() {
        let data = Path::new("/var/offbeat");
        assert_eq!(
            Location::new(None, data).ok(),
            Some(Location::Sqlite(data.join("offbeat.db")))
        );
        assert_eq!(
            Location::new(Some("sqlite:///tmp/o.db"), data).ok(),
            Some(Location::Sqlite(PathBuf::from("/tmp/o.db")))
        );
        let pg = "postgres://offbeat:s3cret@db.internal:5432/offbeat";
        assert_eq!(
            Location::new(Some(pg), data).ok(),
            Some(Location::Postgres(pg.to_owned()))
        );
        assert!(matches!(Location::new(Some("mysql://x"), data), Err(OpenError::Url(_))));
        assert_eq!(redacted(pg), "postgres://offbeat:…@db.internal:5432/offbeat");
        assert_eq!(
            redacted("postgres://db.internal/offbeat"),
            "postgres://db.internal/offbeat"
        );
        assert_eq!(format!("{:?}", Location::Postgres(pg.to_owned())), redacted(pg));
    }
}
