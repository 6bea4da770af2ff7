//! The backend for several processes: PostgreSQL. It runs the shared SQL (`db/sql/`) in its
//! [`Dialect`], and its own search (`tsvector`); its schema is in `migrations/`, applied when
//! it opens — under sqlx's advisory lock, so processes starting at once apply each migration
//! once.

mod search;

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::OpenError;
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

shared_stores!(PgDatabase);

impl Dialect for PgDatabase {
    const IN_ID_LIST: &'static str = "= ANY($1)";
    const EACH_ID_AT_3: &'static str = "unnest($3::text[]) AS m(value)";
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
    type IdList = Vec<String>;

    /// A text array.
    fn id_list(ids: &[&str]) -> sqlx::Result<Vec<String>> {
        Ok(ids.iter().map(|id| (*id).to_owned()).collect())
    }
}
