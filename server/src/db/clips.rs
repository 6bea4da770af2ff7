//! Clip rows.

use serde::Serialize;
use sqlx::SqlitePool;

use crate::db::{IN_ID_LIST, id_list};
pub use crate::domain::Scope;
use crate::domain::{ClipAccess, ClipStatus, Visibility, parse_timestamp};

/// A stored clip, as the database holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClipRow {
    pub id: String,
    pub title: String,
    pub author: Option<String>,
    pub created_at: String,
    pub recorded_at: Option<String>,
    pub recorded_utc_offset: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: ClipStatus,
    /// What the stored file is.
    #[sqlx(flatten)]
    pub media: StoredMedia,
    pub duration_ms: i64,
    pub storage_key: String,
    pub peaks_per_second: i64,
    pub peaks: Vec<u8>,
    pub silences: String,
    pub owner_id: Option<String>,
    pub workspace_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    pub share_token: Option<String>,
    pub share_expires_at: Option<String>,
    pub guests_may_reply: bool,
    pub poster_key: Option<String>,
}

/// The facts of a stored clip's file, as the database keeps them and the API shows them.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct StoredMedia {
    pub container: String,
    pub content_type: String,
    pub audio_codec: String,
    pub video_codec: Option<String>,
    pub has_video: bool,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub channels: i64,
    pub sample_rate: i64,
    pub byte_size: i64,
    pub sha256: String,
}

impl ClipRow {
    /// What the access policy looks at.
    pub fn access(&self) -> ClipAccess<'_> {
        ClipAccess {
            owner_id: self.owner_id.as_deref(),
            workspace_id: self.workspace_id.as_deref(),
            visibility: self.visibility,
            share_token: self.share_token.as_deref(),
            share_expires_at: self.share_expires_at.as_deref().and_then(parse_timestamp),
            guests_may_reply: self.guests_may_reply,
        }
    }
}

/// The columns every listing needs (everything but the peaks).
const SUMMARY: &str = "id, title, author, created_at, recorded_at, recorded_utc_offset, status, container, content_type, \
    audio_codec, video_codec, has_video, width, height, channels, sample_rate, duration_ms, byte_size, sha256, \
    storage_key, peaks_per_second, x'' AS peaks, silences, owner_id, workspace_id, visibility, share_token, \
    share_expires_at, guests_may_reply, poster_key";

/// Inserts the clip with its pending transcript job, in one transaction: no clip is ever
/// without a job.
pub async fn insert(pool: &SqlitePool, clip: &ClipRow) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO clips (id, title, author, created_at, recorded_at, recorded_utc_offset, status, container, content_type, \
         audio_codec, video_codec, has_video, width, height, channels, sample_rate, duration_ms, byte_size, sha256, \
         storage_key, peaks_per_second, peaks, silences, owner_id, workspace_id, visibility, share_token, \
         share_expires_at, guests_may_reply) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&clip.id)
    .bind(&clip.title)
    .bind(&clip.author)
    .bind(&clip.created_at)
    .bind(&clip.recorded_at)
    .bind(clip.recorded_utc_offset)
    .bind(clip.status.as_str())
    .bind(&clip.media.container)
    .bind(&clip.media.content_type)
    .bind(&clip.media.audio_codec)
    .bind(&clip.media.video_codec)
    .bind(clip.media.has_video)
    .bind(clip.media.width)
    .bind(clip.media.height)
    .bind(clip.media.channels)
    .bind(clip.media.sample_rate)
    .bind(clip.duration_ms)
    .bind(clip.media.byte_size)
    .bind(&clip.media.sha256)
    .bind(&clip.storage_key)
    .bind(clip.peaks_per_second)
    .bind(&clip.peaks)
    .bind(&clip.silences)
    .bind(&clip.owner_id)
    .bind(&clip.workspace_id)
    .bind(clip.visibility.as_str())
    .bind(&clip.share_token)
    .bind(&clip.share_expires_at)
    .bind(clip.guests_may_reply)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO transcript_jobs (clip_id, state, run_after, updated_at) VALUES (?, 'pending', ?, ?)")
        .bind(&clip.id)
        .bind(&clip.created_at)
        .bind(&clip.created_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// One clip without its peaks.
pub async fn get(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<ClipRow>> {
    sqlx::query_as(&format!("SELECT {SUMMARY} FROM clips WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The clips with these ids, without their peaks, in one query (unknown ids are left out).
pub async fn get_many(pool: &SqlitePool, ids: &[&str]) -> sqlx::Result<Vec<ClipRow>> {
    sqlx::query_as(&format!("SELECT {SUMMARY} FROM clips WHERE id {IN_ID_LIST}"))
        .bind(id_list(ids)?)
        .fetch_all(pool)
        .await
}

/// One clip with its peaks.
pub async fn get_with_peaks(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<ClipRow>> {
    sqlx::query_as("SELECT * FROM clips WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Where a page of the newest-first listing starts: after this clip.
#[derive(Debug, Clone, Serialize)]
pub struct Cursor {
    pub created_at: String,
    pub id: String,
}

/// Newest first; `after` continues a previous page.
pub async fn list(
    pool: &SqlitePool,
    scope: Scope<'_>,
    limit: i64,
    after: Option<&Cursor>,
) -> sqlx::Result<Vec<ClipRow>> {
    let visible = "(workspace_id = ? OR (? AND workspace_id IS NULL))";
    match after {
        None => {
            sqlx::query_as(&format!(
                "SELECT {SUMMARY} FROM clips WHERE {visible} ORDER BY created_at DESC, id DESC LIMIT ?"
            ))
            .bind(scope.workspace_id)
            .bind(scope.with_ownerless)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
        Some(cursor) => {
            sqlx::query_as(&format!(
                "SELECT {SUMMARY} FROM clips WHERE {visible} AND (created_at, id) < (?, ?) \
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            ))
            .bind(scope.workspace_id)
            .bind(scope.with_ownerless)
            .bind(&cursor.created_at)
            .bind(&cursor.id)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
    }
}

/// The clip a share token belongs to.
pub async fn by_share_token(pool: &SqlitePool, token: &str) -> sqlx::Result<Option<ClipRow>> {
    sqlx::query_as(&format!("SELECT {SUMMARY} FROM clips WHERE share_token = ?"))
        .bind(token)
        .fetch_optional(pool)
        .await
}

/// The sharing settings as a whole (the caller merged what changed).
pub async fn update_sharing(pool: &SqlitePool, clip: &ClipRow) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE clips SET visibility = ?, share_token = ?, share_expires_at = ?, guests_may_reply = ? WHERE id = ?",
    )
    .bind(clip.visibility.as_str())
    .bind(&clip.share_token)
    .bind(&clip.share_expires_at)
    .bind(clip.guests_may_reply)
    .bind(&clip.id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_poster(pool: &SqlitePool, id: &str, key: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE clips SET poster_key = ? WHERE id = ?")
        .bind(key)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Keeps the row as a tombstone: a deleted clip that a thread still points at.
pub async fn tombstone(pool: &SqlitePool, id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE clips SET status = 'deleted', title = '', peaks = x'', silences = '[]', share_token = NULL, poster_key = NULL WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes the row; returns whether there was one.
pub async fn delete(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM clips WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
        > 0)
}

pub async fn ping(pool: &SqlitePool) -> sqlx::Result<()> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}
