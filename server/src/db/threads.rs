//! Replies and seen receipts.

use chrono::Utc;
use sqlx::SqlitePool;

use crate::db::{IN_ID_LIST, id_list};
use crate::domain::{Author, ReplyBody, timestamp};

/// A reply: what it says, who said it, where in the thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub id: String,
    pub root_clip_id: String,
    /// The reply it answers; `None`: the thread's root clip.
    pub parent_id: Option<String>,
    pub body: ReplyBody,
    /// "at 1:23" in the clip answered.
    pub anchor_ms: Option<i64>,
    pub author: Author,
    pub created_at: String,
}

impl Reply {
    /// The clip it is, if it is a voice or video reply.
    pub fn clip_id(&self) -> Option<&str> {
        match &self.body {
            ReplyBody::Clip(id) => Some(id),
            ReplyBody::Text(_) => None,
        }
    }

    pub fn author_id(&self) -> Option<&str> {
        match &self.author {
            Author::Member(id) => Some(id),
            Author::Guest(_) => None,
        }
    }
}

/// The row as stored: body and author each spread over two nullable columns.
#[derive(Debug, sqlx::FromRow)]
struct ReplyRow {
    id: String,
    root_clip_id: String,
    parent_id: Option<String>,
    clip_id: Option<String>,
    body: Option<String>,
    anchor_ms: Option<i64>,
    author_id: Option<String>,
    guest_name: Option<String>,
    created_at: String,
}

impl From<ReplyRow> for Reply {
    fn from(row: ReplyRow) -> Self {
        Self {
            body: match row.clip_id {
                Some(clip_id) => ReplyBody::Clip(clip_id),
                None => ReplyBody::Text(row.body.unwrap_or_default()),
            },
            author: match row.author_id {
                Some(id) => Author::Member(id),
                None => Author::Guest(row.guest_name.unwrap_or_default()),
            },
            id: row.id,
            root_clip_id: row.root_clip_id,
            parent_id: row.parent_id,
            anchor_ms: row.anchor_ms,
            created_at: row.created_at,
        }
    }
}

/// Stores a reply; `false` if its clip is already a reply (a resent reply that lost a race with
/// its twin: the unique key decided).
pub async fn insert(pool: &SqlitePool, reply: &Reply) -> sqlx::Result<bool> {
    let (clip_id, body) = match &reply.body {
        ReplyBody::Clip(id) => (Some(id.as_str()), None),
        ReplyBody::Text(text) => (None, Some(text.as_str())),
    };
    let (author_id, guest_name) = match &reply.author {
        Author::Member(id) => (Some(id.as_str()), None),
        Author::Guest(name) => (None, Some(name.as_str())),
    };
    let inserted = sqlx::query(
        "INSERT INTO replies (id, root_clip_id, parent_id, clip_id, body, anchor_ms, author_id, guest_name, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&reply.id)
    .bind(&reply.root_clip_id)
    .bind(&reply.parent_id)
    .bind(clip_id)
    .bind(body)
    .bind(reply.anchor_ms)
    .bind(author_id)
    .bind(guest_name)
    .bind(&reply.created_at)
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
        Err(err) => Err(err),
    }
}

/// Every reply of the thread, oldest first.
pub async fn of_thread(pool: &SqlitePool, root_clip_id: &str) -> sqlx::Result<Vec<Reply>> {
    let rows: Vec<ReplyRow> = sqlx::query_as("SELECT * FROM replies WHERE root_clip_id = ? ORDER BY created_at, id")
        .bind(root_clip_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Reply::from).collect())
}

pub async fn by_id(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Reply>> {
    let row: Option<ReplyRow> = sqlx::query_as("SELECT * FROM replies WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Reply::from))
}

/// The reply a clip was posted as, if it was one.
pub async fn by_clip(pool: &SqlitePool, clip_id: &str) -> sqlx::Result<Option<Reply>> {
    let row: Option<ReplyRow> = sqlx::query_as("SELECT * FROM replies WHERE clip_id = ?")
        .bind(clip_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Reply::from))
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

/// Records the first time `user_id` heard or read each of these messages; later calls change
/// nothing, and nobody is ever a listener of their own message.
pub async fn mark_seen(pool: &SqlitePool, message_ids: &[&str], user_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO seen (message_id, user_id, seen_at) \
         SELECT m.value, ?1, ?2 FROM json_each(?3) AS m \
         WHERE NOT EXISTS (SELECT 1 FROM clips WHERE clips.id = m.value AND clips.owner_id = ?1) \
             AND NOT EXISTS (SELECT 1 FROM replies WHERE replies.id = m.value AND replies.author_id = ?1) \
         ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(timestamp(Utc::now()))
    .bind(id_list(message_ids)?)
    .execute(pool)
    .await?;
    Ok(())
}

/// Who has seen which of these messages: (message id, user id, display name, seen at).
pub async fn seen_by(pool: &SqlitePool, message_ids: &[&str]) -> sqlx::Result<Vec<(String, String, String, String)>> {
    sqlx::query_as(&format!(
        "SELECT seen.message_id, users.id, users.display_name, seen.seen_at FROM seen \
         JOIN users ON users.id = seen.user_id WHERE seen.message_id {IN_ID_LIST} ORDER BY seen.seen_at"
    ))
    .bind(id_list(message_ids)?)
    .fetch_all(pool)
    .await
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
