//! The search index over titles, transcripts and text replies.

use crate::domain::Scope;
pub mod query;

use query::SearchQuery;

/// One search hit: a title, a transcript segment (`start_ms`) or a text reply (`reply_id`, in
/// the thread of `clip_id`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    pub clip_id: String,
    pub start_ms: Option<i64>,
    pub reply_id: Option<String>,
    /// The matching text, with the matched terms between U+E000 and U+E001.
    pub snippet: String,
}

pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Full-text search.
#[async_trait::async_trait]
pub trait SearchIndex: Send + Sync {
    /// Best matches first (bm25), among one workspace's clips (and, for admins, the ownerless
    /// ones).
    async fn search(&self, query: &SearchQuery, scope: Scope<'_>, limit: i64) -> crate::Result<Vec<SearchHit>>;
}
