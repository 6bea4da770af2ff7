//! Clips' summaries: what the model made of a transcript (or what the clip's owner wrote
//! instead), their state, and their place in search.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::domain::{SummarySource, SummaryState};

/// A topic of a message, from a transcript segment's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Chapter {
    pub start_ms: i64,
    pub title: String,
}

/// A task the message asked for or promised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionItem {
    pub text: String,
    /// Whose it is, when the message says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// What a summary says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    pub summary: String,
    pub chapters: Vec<Chapter>,
    pub action_items: Vec<ActionItem>,
}

/// A clip's summary as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSummary {
    pub clip_id: String,
    pub state: SummaryState,
    pub source: SummarySource,
    pub content: Content,
    /// The model that made it (`""` before it is made).
    pub model: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub updated_at: Timestamp,
}

/// What a finished summary job stores.
#[derive(Debug)]
pub struct Generated<'a> {
    pub clip_id: &'a str,
    pub content: &'a Content,
    pub model: &'a str,
    /// The model's title for the clip, replacing `.0` — the title its transcript's first words
    /// gave it — if it still has that one (a title its owner chose stays).
    pub retitle: Option<(&'a str, &'a str)>,
}

/// What became of a finished summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Stored,
    /// Its owner edited or cleared it while the model worked: theirs stays.
    KeptTheOwners,
    /// The clip was deleted while it was summarised.
    ClipGone,
}

/// Summaries, and the jobs that make them.
#[async_trait::async_trait]
pub trait SummaryStore: Send + Sync {
    async fn get(&self, clip_id: &str) -> crate::Result<Option<StoredSummary>>;

    /// The summaries of these clips that have one, in one query.
    async fn get_many(&self, clip_ids: &[&str]) -> crate::Result<Vec<StoredSummary>>;

    /// Asks for the clip's summary (again): pending, and its job queued (or queued anew), in
    /// one transaction. A summary its owner edited becomes the model's again.
    async fn request(&self, clip_id: &str) -> crate::Result<()>;

    /// Stores a finished summary (and the model's title), indexes it for search and ends its
    /// job, in one transaction; an owner's summary written meanwhile is kept.
    async fn finish(&self, done: &Generated<'_>) -> crate::Result<Stored>;

    /// The summary could not be made: failed, with the reason.
    async fn fail(&self, clip_id: &str, error: &str) -> crate::Result<()>;

    /// The owner's own summary (or none at all: `None`, which clears it), replacing the
    /// model's; a pending job is dropped.
    async fn write(&self, clip_id: &str, content: Option<&Content>) -> crate::Result<()>;
}
