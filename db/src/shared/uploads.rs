//! Upload sessions: the SQL both backends run.

use super::{Backend, begin_write};
use crate::Timestamp;

use crate::domain::TakeEnding;
use crate::uploads::{CancelledTake, NewSession, Opened, SessionRow, Takeover, UploadStore};

#[async_trait::async_trait]
impl UploadStore for Backend {
    async fn insert(&self, session: &NewSession<'_>, most_open: i64) -> crate::Result<Opened> {
        let now = Timestamp::now();
        let mut tx = super::begin_write(&self.pool).await?;
        // Requests of one owner at once take turns here (SQLite has one writer at a time).
        sqlx::query(&format!(
            "SELECT id FROM users WHERE id = $1 {}",
            super::dialect::LOCK_ROW
        ))
        .bind(session.owner_id)
        .fetch_optional(&mut *tx)
        .await?;
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM upload_sessions WHERE owner_id = $1 AND clip_id IS NULL")
                .bind(session.owner_id)
                .fetch_one(&mut *tx)
                .await?;
        if open >= most_open {
            return Ok(Opened::TooMany(open));
        }
        sqlx::query(
            "INSERT INTO upload_sessions (id, owner_id, length, \"offset\", title, reserved_clip_id, share_token, visibility, \
             created_at, updated_at, holder) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(session.id)
        .bind(session.owner_id)
        .bind(session.length)
        .bind(session.title)
        .bind(session.reserved_clip_id)
        .bind(session.share_token)
        .bind(session.visibility.as_str())
        .bind(now)
        .bind(now)
        .bind(session.holder)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Opened::Opened)
    }

    async fn take_over(&self, id: &str, from: Option<&str>, holder: &str, bytes: Takeover) -> crate::Result<bool> {
        let reset = match bytes {
            Takeover::KeepBytes => "",
            Takeover::StartOver => {
                ", \"offset\" = 0, multipart_key = NULL, multipart_id = NULL, multipart_part_size = NULL"
            }
        };
        let mut tx = begin_write(&self.pool).await?;
        let taken = sqlx::query(&format!(
            "UPDATE upload_sessions SET holder = $1, updated_at = $2{reset} \
                         WHERE id = $3 AND clip_id IS NULL AND (holder = $4 OR (holder IS NULL AND $4 IS NULL))"
        ))
        .bind(holder)
        .bind(Timestamp::now())
        .bind(id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if taken && bytes == Takeover::StartOver {
            sqlx::query("DELETE FROM upload_session_parts WHERE session_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(taken)
    }

    async fn get(&self, id: &str) -> crate::Result<Option<SessionRow>> {
        Ok(sqlx::query_as("SELECT * FROM upload_sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn open_count(&self) -> crate::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM upload_sessions WHERE clip_id IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn open_of(&self, owner_id: &str) -> crate::Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(\"offset\"), 0) AS BIGINT) FROM upload_sessions \
                         WHERE owner_id = $1 AND clip_id IS NULL",
        )
        .bind(owner_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn unfinished_of(&self, owner_id: &str) -> crate::Result<Vec<SessionRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM upload_sessions WHERE owner_id = $1 AND clip_id IS NULL")
                .bind(owner_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn recording_by_share_token(&self, token: &str) -> crate::Result<Option<SessionRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM upload_sessions WHERE share_token = $1 AND clip_id IS NULL")
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn advance(&self, id: &str, offset: i64, length: Option<i64>) -> crate::Result<()> {
        sqlx::query(
            "UPDATE upload_sessions SET \"offset\" = $1, length = COALESCE($2, length), updated_at = $3 WHERE id = $4",
        )
        .bind(offset)
        .bind(length)
        .bind(Timestamp::now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn finished(&self, id: &str, clip_id: &str, body_sha256: &str) -> crate::Result<()> {
        sqlx::query("UPDATE upload_sessions SET clip_id = $1, body_sha256 = $2, updated_at = $3 WHERE id = $4")
            .bind(clip_id)
            .bind(body_sha256)
            .bind(Timestamp::now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete(&self, id: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM upload_sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn cancel(&self, id: &str, at: Timestamp, reason: TakeEnding) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO cancelled_takes (share_token, owner_id, title, reason, started_at, cancelled_at) \
             SELECT share_token, owner_id, title, $3, created_at, $2 FROM upload_sessions \
             WHERE id = $1 AND share_token IS NOT NULL AND clip_id IS NULL ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(at)
        .bind(reason.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM upload_sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }

    async fn stalled(&self, before: Timestamp) -> crate::Result<Vec<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM upload_sessions WHERE share_token IS NOT NULL AND clip_id IS NULL \
             AND length IS NULL AND updated_at < $1",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mark_stopped(&self, clip_id: &str, at: Timestamp) -> crate::Result<()> {
        sqlx::query("INSERT INTO stopped_takes (clip_id, stopped_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(clip_id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn stopped(&self, clip_id: &str) -> crate::Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stopped_takes WHERE clip_id = $1")
            .bind(clip_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn cancelled_by_share_token(&self, token: &str) -> crate::Result<Option<CancelledTake>> {
        Ok(sqlx::query_as("SELECT * FROM cancelled_takes WHERE share_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn abandoned(&self, before: Timestamp) -> crate::Result<Vec<SessionRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM upload_sessions WHERE clip_id IS NULL AND updated_at < $1")
                .bind(before)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn set_multipart(&self, id: &str, key: &str, upload_id: &str, part_size: i64) -> crate::Result<()> {
        sqlx::query(
            "UPDATE upload_sessions SET multipart_key = $1, multipart_id = $2, multipart_part_size = $3 WHERE id = $4",
        )
        .bind(key)
        .bind(upload_id)
        .bind(part_size)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn parts(&self, id: &str) -> crate::Result<Vec<(i32, String)>> {
        Ok(sqlx::query_as(
            "SELECT part_number, etag FROM upload_session_parts WHERE session_id = $1 ORDER BY part_number",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn add_part(&self, id: &str, number: i32, etag: &str) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO upload_session_parts (session_id, part_number, etag) VALUES ($1, $2, $3) \
                         ON CONFLICT (session_id, part_number) DO UPDATE SET etag = excluded.etag",
        )
        .bind(id)
        .bind(number)
        .bind(etag)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
