//! Upload sessions.

use chrono::Utc;
use sqlx::SqlitePool;

use crate::domain::{Visibility, timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub owner_id: String,
    pub length: Option<i64>,
    pub offset: i64,
    pub title: Option<String>,
    pub clip_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The clip this session becomes, and its share link: known from the start.
    pub reserved_clip_id: Option<String>,
    pub share_token: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    /// The S3 multipart upload its parts go to, once one is started.
    pub multipart_key: Option<String>,
    pub multipart_id: Option<String>,
    /// The sha256 of the whole body, once finished.
    pub body_sha256: Option<String>,
}

/// A new session: whose, how long (if known), and what the clip it becomes will be.
#[derive(Debug)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub length: Option<i64>,
    pub title: Option<&'a str>,
    pub reserved_clip_id: &'a str,
    pub share_token: &'a str,
    pub visibility: Visibility,
}

pub async fn insert(pool: &SqlitePool, session: &NewSession<'_>) -> sqlx::Result<()> {
    let now = timestamp(Utc::now());
    sqlx::query(
        "INSERT INTO upload_sessions (id, owner_id, length, \"offset\", title, reserved_clip_id, share_token, visibility, \
         created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
    )
    .bind(session.id)
    .bind(session.owner_id)
    .bind(session.length)
    .bind(session.title)
    .bind(session.reserved_clip_id)
    .bind(session.share_token)
    .bind(session.visibility.as_str())
    .bind(&now)
    .bind(&now)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as("SELECT * FROM upload_sessions WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The unfinished session behind a share link, if the link is one reserved for a take still
/// being recorded.
pub async fn recording_by_share_token(pool: &SqlitePool, token: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as("SELECT * FROM upload_sessions WHERE share_token = ? AND clip_id IS NULL")
        .bind(token)
        .fetch_optional(pool)
        .await
}

/// Records how many bytes are durably on disk, and the final length once known.
pub async fn advance(pool: &SqlitePool, id: &str, offset: i64, length: Option<i64>) -> sqlx::Result<()> {
    sqlx::query("UPDATE upload_sessions SET \"offset\" = ?, length = COALESCE(?, length), updated_at = ? WHERE id = ?")
        .bind(offset)
        .bind(length)
        .bind(timestamp(Utc::now()))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn finished(pool: &SqlitePool, id: &str, clip_id: &str, body_sha256: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE upload_sessions SET clip_id = ?, body_sha256 = ?, updated_at = ? WHERE id = ?")
        .bind(clip_id)
        .bind(body_sha256)
        .bind(timestamp(Utc::now()))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete(pool: &SqlitePool, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM upload_sessions WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Unfinished sessions untouched since `before` (RFC 3339 UTC).
pub async fn abandoned(pool: &SqlitePool, before: &str) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as("SELECT * FROM upload_sessions WHERE clip_id IS NULL AND updated_at < ?")
        .bind(before)
        .fetch_all(pool)
        .await
}

pub async fn set_multipart(pool: &SqlitePool, id: &str, key: &str, upload_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE upload_sessions SET multipart_key = ?, multipart_id = ? WHERE id = ?")
        .bind(key)
        .bind(upload_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The parts sent so far, by number: always 1…n (a part is recorded only after the ones before).
pub async fn parts(pool: &SqlitePool, id: &str) -> sqlx::Result<Vec<(i32, String)>> {
    sqlx::query_as("SELECT part_number, etag FROM upload_session_parts WHERE session_id = ? ORDER BY part_number")
        .bind(id)
        .fetch_all(pool)
        .await
}

pub async fn add_part(pool: &SqlitePool, id: &str, number: i32, etag: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT OR REPLACE INTO upload_session_parts (session_id, part_number, etag) VALUES (?, ?, ?)")
        .bind(id)
        .bind(number)
        .bind(etag)
        .execute(pool)
        .await?;
    Ok(())
}
