//! Replies and seen receipts.

use crate::Timestamp;
use crate::domain::{Author, ReplyBody};

/// Where a thread starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThreadRoot {
    /// A message: its clip, by id.
    Clip(String),
    /// A check-in round, by id: its answers are its top-level replies.
    Round(String),
}

impl ThreadRoot {
    /// The root's id, whichever it is.
    pub fn id(&self) -> &str {
        match self {
            Self::Clip(id) | Self::Round(id) => id,
        }
    }

    pub fn clip_id(&self) -> Option<&str> {
        match self {
            Self::Clip(id) => Some(id),
            Self::Round(_) => None,
        }
    }

    pub fn round_id(&self) -> Option<&str> {
        match self {
            Self::Round(id) => Some(id),
            Self::Clip(_) => None,
        }
    }
}

/// A reply: what it says, who said it, where in the thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub id: String,
    pub root: ThreadRoot,
    /// The reply it answers; `None`: the thread's root clip.
    pub parent_id: Option<String>,
    pub body: ReplyBody,
    /// "at 1:23" in the clip answered.
    pub anchor_ms: Option<i64>,
    pub author: Author,
    pub created_at: Timestamp,
}

impl Reply {
    /// The clip it is, if it is a voice or video reply.
    pub fn clip_id(&self) -> Option<&str> {
        match &self.body {
            ReplyBody::Clip(id) => Some(id),
            ReplyBody::Text(_) | ReplyBody::Deleted => None,
        }
    }

    pub fn author_id(&self) -> Option<&str> {
        match &self.author {
            Author::Member(id) => Some(id),
            Author::Guest(_) => None,
        }
    }
}

/// Someone who heard or read a message, and when they first did.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Seen {
    pub message_id: String,
    pub user_id: String,
    pub display_name: String,
    pub seen_at: Timestamp,
}

/// A thread with messages someone has not heard.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unheard {
    pub root_clip_id: String,
    /// How many of its messages they have not heard.
    pub messages: i64,
    /// When the newest of them came.
    pub newest_at: Timestamp,
    /// Who wrote them: member ids, comma-separated (`None`: only guests).
    pub authors: Option<String>,
}

impl Unheard {
    /// The members who wrote what waits.
    pub fn author_ids(&self) -> impl Iterator<Item = &str> {
        self.authors
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|id| !id.is_empty())
    }
}

/// Replies, and who has heard or read which message.
#[async_trait::async_trait]
pub trait ThreadStore: Send + Sync {
    /// Stores a reply; `false` if its clip is already a reply (a resent reply that lost a race with
    /// its twin: the unique key decided).
    async fn insert(&self, reply: &Reply) -> crate::Result<bool>;

    /// Every reply of the thread, oldest first.
    async fn of_thread(&self, root: &ThreadRoot) -> crate::Result<Vec<Reply>>;

    async fn by_id(&self, id: &str) -> crate::Result<Option<Reply>>;

    /// Deletes a text reply: gone with its receipts, or, when others answered it, kept as
    /// "(deleted)" without its words so their answers keep their place.
    async fn delete_text(&self, id: &str) -> crate::Result<()>;

    /// The reply a clip was posted as, if it was one.
    async fn by_clip(&self, clip_id: &str) -> crate::Result<Option<Reply>>;

    /// Whether a clip has replies (to it as a thread's root, or to it as a reply).
    async fn has_replies(&self, clip_id: &str) -> crate::Result<bool>;

    /// Records the first time `user_id` heard or read each of these messages; later calls change
    /// nothing, and nobody is ever a listener of their own message.
    async fn mark_seen(&self, message_ids: &[&str], user_id: &str) -> crate::Result<()>;

    /// Who has seen which of these messages.
    async fn seen_by(&self, message_ids: &[&str]) -> crate::Result<Vec<Seen>>;

    /// Threads (root clip ids) of a workspace with a message the user did not write and has not
    /// seen: the root clip itself, a voice reply, or a text reply. Newest activity first.
    async fn unheard_threads(&self, workspace_id: &str, user_id: &str) -> crate::Result<Vec<Unheard>>;

    /// How many replies each of these threads (by root clip id) has; threads without any are
    /// left out.
    async fn reply_counts(&self, root_clip_ids: &[&str]) -> crate::Result<Vec<(String, i64)>>;

    /// The user is done with the thread rooted at `root_clip_id` as of `at`: it leaves their
    /// inbox until something newer arrives in it.
    async fn mark_done(&self, root_clip_id: &str, user_id: &str, at: Timestamp) -> crate::Result<()>;

    /// The thread is in the user's inbox again (not done; its messages unheard by them).
    async fn mark_unheard(&self, root_clip_id: &str, user_id: &str) -> crate::Result<()>;
}
