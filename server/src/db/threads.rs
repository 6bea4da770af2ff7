//! Replies and seen receipts.

use chrono::Utc;
use sqlx::SqlitePool;

use crate::db::transcripts::timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReplyRow {
    pub id: String,
    pub root_clip_id: String,
    pub parent_id: Option<String>,
    pub clip_id: Option<String>,
    pub body: Option<String>,
    pub anchor_ms: Option<i64>,
    pub author_id: Option<String>,
    pub guest_name: Option<String>,
    pub created_at: String,
}

pub async fn insert(pool: &SqlitePool, reply: &ReplyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO replies (id, root_clip_id, parent_id, clip_id, body, anchor_ms, author_id, guest_name, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&reply.id)
    .bind(&reply.root_clip_id)
    .bind(&reply.parent_id)
    .bind(&reply.clip_id)
    .bind(&reply.body)
    .bind(reply.anchor_ms)
    .bind(&reply.author_id)
    .bind(&reply.guest_name)
    .bind(&reply.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Every reply of the thread, oldest first.
pub async fn of_thread(pool: &SqlitePool, root_clip_id: &str) -> sqlx::Result<Vec<ReplyRow>> {
    sqlx::query_as("SELECT * FROM replies WHERE root_clip_id = ? ORDER BY created_at, id")
        .bind(root_clip_id)
        .fetch_all(pool)
        .await
}

pub async fn by_id(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<ReplyRow>> {
    sqlx::query_as("SELECT * FROM replies WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The reply a clip was posted as, if it was one.
pub async fn by_clip(pool: &SqlitePool, clip_id: &str) -> sqlx::Result<Option<ReplyRow>> {
    sqlx::query_as("SELECT * FROM replies WHERE clip_id = ?")
        .bind(clip_id)
        .fetch_optional(pool)
        .await
}

/// Whether a clip has replies (to it as a thread's root, or to it as a reply).
pub async fn has_replies(pool: &SqlitePool, clip_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM replies WHERE (root_clip_id = ?1 AND parent_id IS NULL) \
         OR parent_id IN (SELECT id FROM replies WHERE clip_id = ?1)",
    )
    .bind(clip_id)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// Records the first time `user_id` heard or read a message; later calls change nothing.
pub async fn mark_seen(pool: &SqlitePool, message_id: &str, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO seen (message_id, user_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(message_id)
        .bind(user_id)
        .bind(timestamp(Utc::now()))
        .execute(pool)
        .await?;
    Ok(())
}

/// Who has seen which of these messages: (message id, user id, display name, seen at).
pub async fn seen_by(pool: &SqlitePool, message_ids: &[String]) -> sqlx::Result<Vec<(String, String, String, String)>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; message_ids.len()].join(", ");
    let sql = format!(
        "SELECT seen.message_id, users.id, users.display_name, seen.seen_at FROM seen \
         JOIN users ON users.id = seen.user_id WHERE seen.message_id IN ({placeholders}) ORDER BY seen.seen_at"
    );
    let mut query = sqlx::query_as(&sql);
    for id in message_ids {
        query = query.bind(id);
    }
    query.fetch_all(pool).await
}

/// Threads (root clip ids) of a workspace with a message the user did not write and has not
/// seen: the root clip itself, a voice reply, or a text reply. Newest activity first.
pub async fn unheard_threads(
    pool: &SqlitePool,
    workspace_id: &str,
    user_id: &str,
) -> sqlx::Result<Vec<(String, i64, String)>> {
    sqlx::query_as(
        "WITH messages AS ( \
             SELECT clips.id AS root, clips.id AS message, clips.owner_id AS author, clips.created_at AS at \
             FROM clips WHERE clips.workspace_id = ?1 AND clips.status = 'ready' \
                 AND clips.id NOT IN (SELECT clip_id FROM replies WHERE clip_id IS NOT NULL) \
             UNION ALL \
             SELECT replies.root_clip_id, COALESCE(replies.clip_id, replies.id), replies.author_id, replies.created_at \
             FROM replies JOIN clips AS root ON root.id = replies.root_clip_id \
             WHERE root.workspace_id = ?1 \
                 AND (replies.clip_id IS NULL OR replies.clip_id IN (SELECT id FROM clips WHERE status = 'ready')) \
         ) \
         SELECT root, COUNT(*) AS unheard, MAX(at) AS latest FROM messages \
         WHERE (author IS NULL OR author <> ?2) \
             AND message NOT IN (SELECT message_id FROM seen WHERE user_id = ?2) \
         GROUP BY root ORDER BY latest DESC",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(pool)
    .await
}
