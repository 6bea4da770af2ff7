//! Reactions: a member's emoji on a message, maybe at a moment of it.

use crate::Timestamp;
use crate::threads::ThreadRoot;

/// One member's emoji on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub id: String,
    /// A clip's id (the message, a voice reply, a check-in answer) or a text reply's.
    pub message_id: String,
    pub user_id: String,
    /// One emoji, fully qualified.
    pub emoji: String,
    /// "at 0:12" in the recording reacted to.
    pub at_ms: Option<i64>,
    pub created_at: Timestamp,
}

/// A reaction with its author's name, as threads show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Reacted {
    pub id: String,
    pub message_id: String,
    pub user_id: String,
    pub display_name: String,
    pub emoji: String,
    pub at_ms: Option<i64>,
    pub created_at: Timestamp,
}

#[async_trait::async_trait]
pub trait ReactionStore: Send + Sync {
    /// Stores a reaction on a message of the thread `root`, with its `reaction.created` event;
    /// `false` if that person has reacted with that emoji to that message already.
    async fn add(&self, reaction: &Reaction, root: &ThreadRoot) -> crate::Result<bool>;

    /// Takes one back; `false` if there was none.
    async fn remove(&self, message_id: &str, user_id: &str, emoji: &str) -> crate::Result<bool>;

    async fn by_id(&self, id: &str) -> crate::Result<Option<Reacted>>;

    /// Every reaction on these messages, oldest first.
    async fn on_messages(&self, message_ids: &[&str]) -> crate::Result<Vec<Reacted>>;
}
