//! Multi-step sign-ins: the SQL both backends run.

use super::{Backend, begin_write};
use crate::Timestamp;

use crate::sign_in_flows::{FlowKind, SignInFlows};

#[async_trait::async_trait]
impl SignInFlows for Backend {
    async fn put(
        &self,
        key_hash: &str,
        kind: FlowKind,
        payload: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM sign_in_flows WHERE expires_at < $1")
            .bind(Timestamp::now())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sign_in_flows (key_hash, kind, payload, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(key_hash)
            .bind(kind.as_str())
            .bind(payload)
            .bind(Timestamp::from(expires_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take(&self, key_hash: &str, kind: FlowKind) -> crate::Result<Option<String>> {
        // Deleted whatever its kind or age: a key presented to the wrong step is spent too.
        let taken: Option<(String, String, Timestamp)> =
            sqlx::query_as("DELETE FROM sign_in_flows WHERE key_hash = $1 RETURNING kind, payload, expires_at")
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(taken
            .filter(|(stored, _, expires_at)| stored == kind.as_str() && expires_at.instant() > chrono::Utc::now())
            .map(|(_, payload, _)| payload))
    }
}
