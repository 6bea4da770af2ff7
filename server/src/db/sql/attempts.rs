//! Counted attempts: the SQL both backends run.

macro_rules! attempt_log {
    ($db:ty) => {
        const _: () = {
            use chrono::Utc;
            use $crate::db::attempts::{Attempt, AttemptLog};
            use $crate::db::sql::Dialect;
            use $crate::domain::{parse_timestamp, timestamp};

            #[async_trait::async_trait]
            impl AttemptLog for $db {
                async fn attempt(&self, key_hashes: &[&str], limit: i64, since: chrono::DateTime<Utc>) -> sqlx::Result<Attempt> {
                    let now = timestamp(Utc::now());
                    let mut tx = self.pool.begin_with(<$db as $crate::db::sql::Dialect>::BEGIN_WRITE).await?;
                    sqlx::query("DELETE FROM attempts WHERE attempted_at < $1")
                        .bind(timestamp(since))
                        .execute(&mut *tx)
                        .await?;
                    // Counted with this attempt in: of two processes racing at the limit, both
                    // see the other's and both refuse, rather than both letting one more in.
                    let mut mine = Vec::with_capacity(key_hashes.len());
                    for key_hash in key_hashes {
                        let id = $crate::ids::new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                        sqlx::query("INSERT INTO attempts (id, key_hash, attempted_at) VALUES ($1, $2, $3)")
                            .bind(&id)
                            .bind(key_hash)
                            .bind(&now)
                            .execute(&mut *tx)
                            .await?;
                        mine.push(id);
                    }
                    let counts: Vec<(String, i64, String)> = sqlx::query_as(&format!(
                        "SELECT key_hash, COUNT(*), MIN(attempted_at) FROM attempts WHERE key_hash {} GROUP BY key_hash",
                        Self::IN_ID_LIST
                    ))
                    .bind(Self::id_list(key_hashes)?)
                    .fetch_all(&mut *tx)
                    .await?;
                    let oldest_over = counts
                        .iter()
                        .filter(|(_, count, _)| *count > limit)
                        .filter_map(|(_, _, oldest)| parse_timestamp(oldest))
                        .min();
                    let Some(oldest) = oldest_over else {
                        tx.commit().await?;
                        return Ok(Attempt::Allowed);
                    };
                    let mine: Vec<&str> = mine.iter().map(String::as_str).collect();
                    sqlx::query(&format!("DELETE FROM attempts WHERE id {}", Self::IN_ID_LIST))
                        .bind(Self::id_list(&mine)?)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Attempt::Refused { oldest })
                }

                async fn count(&self, key_hash: &str, since: chrono::DateTime<Utc>) -> sqlx::Result<i64> {
                    sqlx::query_scalar("SELECT COUNT(*) FROM attempts WHERE key_hash = $1 AND attempted_at >= $2")
                        .bind(key_hash)
                        .bind(timestamp(since))
                        .fetch_one(&self.pool)
                        .await
                }
            }
        };
    };
}
pub(crate) use attempt_log;
