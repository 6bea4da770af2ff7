//! Counted attempts: the SQL both backends run.

use super::{Backend, begin_write, dialect};
use crate::Timestamp;

use crate::attempts::{Attempt, AttemptLog};
use chrono::Utc;

#[async_trait::async_trait]
impl AttemptLog for Backend {
    async fn attempt(&self, key_hashes: &[&str], limit: i64, since: chrono::DateTime<Utc>) -> crate::Result<Attempt> {
        let now = Timestamp::now();
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM attempts WHERE attempted_at < $1")
            .bind(Timestamp::from(since))
            .execute(&mut *tx)
            .await?;
        // Counted with this attempt in: of two processes racing at the limit, both
        // see the other's and both refuse, rather than both letting one more in.
        let mut mine = Vec::with_capacity(key_hashes.len());
        for key_hash in key_hashes {
            let id = crate::ids::new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            sqlx::query("INSERT INTO attempts (id, key_hash, attempted_at) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(key_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            mine.push(id);
        }
        let counts: Vec<(String, i64, Timestamp)> = sqlx::query_as(&format!(
            "SELECT key_hash, COUNT(*), MIN(attempted_at) FROM attempts WHERE key_hash {} GROUP BY key_hash",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(key_hashes)?)
        .fetch_all(&mut *tx)
        .await?;
        let oldest_over = counts
            .iter()
            .filter(|(_, count, _)| *count > limit)
            .map(|(_, _, oldest)| oldest.instant())
            .min();
        let Some(oldest) = oldest_over else {
            tx.commit().await?;
            return Ok(Attempt::Allowed);
        };
        let mine: Vec<&str> = mine.iter().map(String::as_str).collect();
        sqlx::query(&format!("DELETE FROM attempts WHERE id {}", dialect::IN_ID_LIST))
            .bind(dialect::id_list(&mine)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Attempt::Refused { oldest })
    }

    async fn count(&self, key_hash: &str, since: chrono::DateTime<Utc>) -> crate::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM attempts WHERE key_hash = $1 AND attempted_at >= $2")
                .bind(key_hash)
                .bind(Timestamp::from(since))
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
