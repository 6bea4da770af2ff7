//! Reactions: the SQL both backends run.

use super::{Backend, begin_write, dialect};
use crate::reactions::{Reacted, Reaction, ReactionStore};
use crate::threads::ThreadRoot;

const REACTED: &str = "SELECT reactions.id, reactions.message_id, reactions.user_id, users.display_name, \
     reactions.emoji, reactions.at_ms, reactions.created_at FROM reactions JOIN users ON users.id = reactions.user_id";

#[async_trait::async_trait]
impl ReactionStore for Backend {
    async fn add(&self, reaction: &Reaction, root: &ThreadRoot) -> crate::Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let inserted = sqlx::query(
            "INSERT INTO reactions (id, message_id, user_id, emoji, at_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (message_id, user_id, emoji) DO NOTHING",
        )
        .bind(&reaction.id)
        .bind(&reaction.message_id)
        .bind(&reaction.user_id)
        .bind(&reaction.emoji)
        .bind(reaction.at_ms)
        .bind(reaction.created_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO events (kind, clip_id, reply_id, actor_id, created_at, subject) VALUES ('reaction.created', $1, $2, $3, $4, $5)",
        )
        .bind(root.clip_id().unwrap_or_default())
        .bind(&reaction.id)
        .bind(&reaction.user_id)
        .bind(reaction.created_at)
        .bind(root.round_id().unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn remove(&self, message_id: &str, user_id: &str, emoji: &str) -> crate::Result<bool> {
        let removed = sqlx::query("DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3")
            .bind(message_id)
            .bind(user_id)
            .bind(emoji)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed > 0)
    }

    async fn by_id(&self, id: &str) -> crate::Result<Option<Reacted>> {
        Ok(sqlx::query_as(&format!("{REACTED} WHERE reactions.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn on_messages(&self, message_ids: &[&str]) -> crate::Result<Vec<Reacted>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(&format!(
            "{REACTED} WHERE reactions.message_id {} ORDER BY reactions.created_at, reactions.id",
            dialect::IN_ID_LIST
        ))
        .bind(dialect::id_list(message_ids)?)
        .fetch_all(&self.pool)
        .await?)
    }
}
