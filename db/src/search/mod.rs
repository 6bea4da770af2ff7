//! The search index over titles, transcripts, summaries and text replies.

use crate::domain::Scope;
pub mod query;

use query::SearchQuery;

/// One search hit: a title, a transcript segment (`start_ms`), a summary or a chapter title
/// (`summary`), or a text reply (`reply_id`, in the thread of `clip_id`, or of the check-in round
/// `round_id`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    /// The clip, or the root of the thread the reply is in; `None` for a round's reply.
    pub clip_id: Option<String>,
    /// The check-in round whose answer (or reply under one) matched.
    pub round_id: Option<String>,
    pub start_ms: Option<i64>,
    pub reply_id: Option<String>,
    /// Whether the clip's summary matched (with `start_ms`: a chapter's title).
    pub summary: bool,
    /// The matching text, with the matched terms between U+E000 and U+E001.
    pub snippet: String,
}

pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Full-text search.
#[async_trait::async_trait]
pub trait SearchIndex: Send + Sync {
    /// Best matches first (bm25), among one workspace's clips and check-in rounds (and, for
    /// admins, the ownerless clips).
    async fn search(&self, query: &SearchQuery, scope: Scope<'_>, limit: i64) -> crate::Result<Vec<SearchHit>>;
}
