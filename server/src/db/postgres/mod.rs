//! The backend for several processes: PostgreSQL. All of its SQL lives in this module, one
//! file per interface, and its schema in `migrations/`, applied when it opens — under sqlx's
//! advisory lock, so processes starting at once apply each migration once.

mod clips;
mod jobs;
mod search;
mod threads;
mod transcripts;
mod uploads;
mod users;

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{
    ClipStore, Database, JobQueue, OpenError, SearchIndex, ThreadStore, TranscriptStore, UploadStore, UserStore,
};

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

#[async_trait::async_trait]
impl Database for PgDatabase {
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

/// `= ANY(…)` over a list of ids bound as one text array at `$1`.
const IN_ID_LIST: &str = "= ANY($1)";
