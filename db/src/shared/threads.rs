//! Replies and receipts: the SQL both backends run.

use super::{Backend, begin_write, dialect};
use crate::Timestamp;

use crate::domain::{Author, ReplyBody};
use crate::threads::{Reply, Seen, ThreadRoot, ThreadStore, Unheard};

/// The row as stored: body and author each spread over two nullable columns.
#[derive(Debug, sqlx::FromRow)]
struct ReplyRow {
    id: String,
    root_clip_id: Option<String>,
    round_id: Option<String>,
    parent_id: Option<String>,
    clip_id: Option<String>,
    body: Option<String>,
    anchor_ms: Option<i64>,
    author_id: Option<String>,
    guest_name: Option<String>,
    created_at: Timestamp,
    deleted_at: Option<Timestamp>,
}

impl From<ReplyRow> for Reply {
    fn from(row: ReplyRow) -> Self {
        Self {
            // The schema holds exactly one of the two.
            root: match (row.root_clip_id, row.round_id) {
                (Some(clip), _) => ThreadRoot::Clip(clip),
                (None, round) => ThreadRoot::Round(round.unwrap_or_default()),
            },
            body: match (row.clip_id, row.deleted_at) {
                (Some(clip_id), _) => ReplyBody::Clip(clip_id),
                (None, Some(_)) => ReplyBody::Deleted,
                (None, None) => ReplyBody::Text(row.body.unwrap_or_default()),
            },
            author: match row.author_id {
                Some(id) => Author::Member(id),
                None => Author::Guest(row.guest_name.unwrap_or_default()),
            },
            id: row.id,
            parent_id: row.parent_id,
            anchor_ms: row.anchor_ms,
            created_at: row.created_at,
        }
    }
}

/// The unique keys a reply is found by.
#[derive(Debug, Clone, Copy)]
enum ReplyKey {
    Id,
    ClipId,
}

#[async_trait::async_trait]
impl ThreadStore for Backend {
    async fn insert(&self, reply: &Reply) -> crate::Result<bool> {
        let (clip_id, body) = match &reply.body {
            ReplyBody::Clip(id) => (Some(id.as_str()), None),
            ReplyBody::Text(text) => (None, Some(text.as_str())),
            ReplyBody::Deleted => (None, None),
        };
        let (author_id, guest_name) = match &reply.author {
            Author::Member(id) => (Some(id.as_str()), None),
            Author::Guest(name) => (None, Some(name.as_str())),
        };
        let mut tx = begin_write(&self.pool).await?;
        let inserted = sqlx::query(
                        "INSERT INTO replies (id, root_clip_id, parent_id, clip_id, body, anchor_ms, author_id, guest_name, created_at, round_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&reply.id)
                    .bind(reply.root.clip_id())
                    .bind(&reply.parent_id)
                    .bind(clip_id)
                    .bind(body)
                    .bind(reply.anchor_ms)
                    .bind(author_id)
                    .bind(guest_name)
                    .bind(reply.created_at)
                    .bind(reply.root.round_id())
                    .execute(&mut *tx)
                    .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => return Ok(false),
            Err(err) => return Err(err.into()),
        }
        sqlx::query(
                        "INSERT INTO events (kind, clip_id, reply_id, actor_id, created_at, subject) VALUES ('reply.created', $1, $2, $3, $4, $5)",
                    )
                    .bind(reply.root.clip_id().unwrap_or_default())
                    .bind(&reply.id)
                    .bind(author_id.unwrap_or_default())
                    .bind(reply.created_at)
                    .bind(reply.root.round_id().unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn of_thread(&self, root: &ThreadRoot) -> crate::Result<Vec<Reply>> {
        let sql = match root {
            ThreadRoot::Clip(_) => "SELECT * FROM replies WHERE root_clip_id = $1 ORDER BY created_at, id",
            ThreadRoot::Round(_) => "SELECT * FROM replies WHERE round_id = $1 ORDER BY created_at, id",
        };
        let rows: Vec<ReplyRow> = sqlx::query_as(sql).bind(root.id()).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Reply::from).collect())
    }

    async fn by_id(&self, id: &str) -> crate::Result<Option<Reply>> {
        Ok(self.reply_where(ReplyKey::Id, id).await?)
    }

    async fn delete_text(&self, id: &str) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        let answered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM replies WHERE parent_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if answered > 0 {
            sqlx::query("UPDATE replies SET body = NULL, deleted_at = $1 WHERE id = $2 AND clip_id IS NULL")
                .bind(Timestamp::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("DELETE FROM seen WHERE message_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM replies WHERE id = $1 AND clip_id IS NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    async fn by_clip(&self, clip_id: &str) -> crate::Result<Option<Reply>> {
        Ok(self.reply_where(ReplyKey::ClipId, clip_id).await?)
    }

    async fn has_replies(&self, clip_id: &str) -> crate::Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM replies WHERE (root_clip_id = $1 AND parent_id IS NULL) \
                         OR parent_id IN (SELECT id FROM replies WHERE clip_id = $1)",
        )
        .bind(clip_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn mark_seen(&self, message_ids: &[&str], user_id: &str) -> crate::Result<()> {
        sqlx::query(&format!(
                        "INSERT INTO seen (message_id, user_id, seen_at) \
                         SELECT m.value, $1, $2 FROM {} \
                         WHERE NOT EXISTS (SELECT 1 FROM clips WHERE clips.id = m.value AND clips.owner_id = $1) \
                             AND NOT EXISTS (SELECT 1 FROM replies WHERE replies.id = m.value AND replies.author_id = $1) \
                         ON CONFLICT DO NOTHING",
                        dialect::EACH_ID_AT_3
                    ))
                    .bind(user_id)
                    .bind(Timestamp::now())
                    .bind(dialect::id_list(message_ids)?)
                    .execute(&self.pool)
                    .await?;
        Ok(())
    }

    async fn seen_by(&self, message_ids: &[&str]) -> crate::Result<Vec<Seen>> {
        Ok(sqlx::query_as(&format!(
            "SELECT seen.message_id, users.id AS user_id, users.display_name, seen.seen_at FROM seen \
                         JOIN users ON users.id = seen.user_id WHERE seen.message_id {} ORDER BY seen.seen_at",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(message_ids)?)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn reply_counts(&self, root_clip_ids: &[&str]) -> crate::Result<Vec<(String, i64)>> {
        if root_clip_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(&format!(
            "SELECT root_clip_id, CAST(COUNT(*) AS BIGINT) FROM replies WHERE root_clip_id {} GROUP BY root_clip_id",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(root_clip_ids)?)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mark_done(&self, root_clip_id: &str, user_id: &str, at: Timestamp) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO threads_done (user_id, root_clip_id, done_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (user_id, root_clip_id) DO UPDATE SET done_at = excluded.done_at",
        )
        .bind(user_id)
        .bind(root_clip_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_unheard(&self, root_clip_id: &str, user_id: &str) -> crate::Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM threads_done WHERE user_id = $1 AND root_clip_id = $2")
            .bind(user_id)
            .bind(root_clip_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM seen WHERE user_id = $1 AND (message_id = $2 OR message_id IN ( \
                             SELECT COALESCE(clip_id, id) FROM replies WHERE root_clip_id = $2))",
        )
        .bind(user_id)
        .bind(root_clip_id)
        .execute(&mut *tx)
        .await?;
        Ok(tx.commit().await?)
    }

    async fn unheard_threads(&self, workspace_id: &str, user_id: &str) -> crate::Result<Vec<Unheard>> {
        Ok(sqlx::query_as(&format!(
                        "WITH messages AS ( \
                             SELECT clips.id AS root, clips.id AS message, clips.owner_id AS author, clips.created_at AS at \
                             FROM clips WHERE clips.workspace_id = $1 AND clips.status = 'ready' \
                                 AND clips.id NOT IN (SELECT clip_id FROM replies WHERE clip_id IS NOT NULL) \
                             UNION ALL \
                             SELECT replies.root_clip_id, COALESCE(replies.clip_id, replies.id), replies.author_id, replies.created_at \
                             FROM replies JOIN clips AS root ON root.id = replies.root_clip_id \
                             WHERE root.workspace_id = $1 \
                                 AND (replies.clip_id IS NULL OR replies.clip_id IN (SELECT id FROM clips WHERE status = 'ready')) \
                         ) \
                         SELECT root AS root_clip_id, unheard AS messages, latest AS newest_at, authors FROM ( \
                             SELECT root, COUNT(*) AS unheard, MAX(at) AS latest, {} AS authors FROM messages \
                             WHERE (author IS NULL OR author <> $2) \
                                 AND message NOT IN (SELECT message_id FROM seen WHERE user_id = $2) \
                             GROUP BY root \
                         ) AS waiting \
                         WHERE NOT EXISTS (SELECT 1 FROM threads_done AS d \
                             WHERE d.user_id = $2 AND d.root_clip_id = waiting.root AND d.done_at >= waiting.latest) \
                         ORDER BY latest DESC",
                        dialect::EACH_DISTINCT_AUTHOR
                    ))
                    .bind(workspace_id)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?)
    }
}

impl Backend {
    async fn reply_where(&self, key: ReplyKey, value: &str) -> crate::Result<Option<Reply>> {
        let sql = match key {
            ReplyKey::Id => "SELECT * FROM replies WHERE id = $1",
            ReplyKey::ClipId => "SELECT * FROM replies WHERE clip_id = $1",
        };
        let row: Option<ReplyRow> = sqlx::query_as(sql).bind(value).fetch_optional(&self.pool).await?;
        Ok(row.map(Reply::from))
    }
}
