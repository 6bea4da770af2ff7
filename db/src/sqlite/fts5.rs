//! Search with SQLite's FTS5: titles and transcripts in `search_index`, text replies in
//! `reply_search`, summaries and chapter titles in `summary_search`.

use super::SqliteDatabase;
use crate::domain::Scope;
use crate::search::query::{SearchQuery, Term};
use crate::search::{SearchHit, SearchIndex};

#[async_trait::async_trait]
impl SearchIndex for SqliteDatabase {
    async fn search(&self, query: &SearchQuery, scope: Scope<'_>, limit: i64) -> crate::Result<Vec<SearchHit>> {
        // Titles and transcripts in one index, text replies and summaries in others; ranked
        // together.
        Ok(sqlx::query_as(
            "SELECT clips.id AS clip_id, rounds.id AS round_id, hits.start_ms, hits.reply_id, hits.summary, hits.snippet FROM ( \
                 SELECT search_index.clip_id AS clip_id, search_index.start_ms AS start_ms, NULL AS reply_id, \
                     FALSE AS summary, \
                     snippet(search_index, 2, char(57344), char(57345), '…', 16) AS snippet, bm25(search_index) AS rank \
                 FROM search_index WHERE search_index MATCH ?1 \
                 UNION ALL \
                 SELECT reply_search.clip_id, NULL, reply_search.reply_id, FALSE, \
                     snippet(reply_search, 2, char(57344), char(57345), '…', 16), bm25(reply_search) \
                 FROM reply_search WHERE reply_search MATCH ?1 \
                 UNION ALL \
                 SELECT summary_search.clip_id, summary_search.start_ms, NULL, TRUE, \
                     snippet(summary_search, 2, char(57344), char(57345), '…', 16), bm25(summary_search) \
                 FROM summary_search WHERE summary_search MATCH ?1 \
             ) AS hits LEFT JOIN clips ON clips.id = hits.clip_id \
             LEFT JOIN checkin_rounds AS rounds ON rounds.id = hits.clip_id \
             LEFT JOIN checkins ON checkins.id = rounds.checkin_id \
             WHERE clips.workspace_id = ?2 OR (?3 AND clips.id IS NOT NULL AND clips.workspace_id IS NULL) \
                 OR checkins.workspace_id = ?2 \
             ORDER BY hits.rank, hits.start_ms LIMIT ?4",
        )
        .bind(fts5(query))
        .bind(scope.workspace_id)
        .bind(scope.with_ownerless)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The query in FTS5's syntax: every term a quoted string (inner quotes doubled), so nothing
/// typed is an operator; a prefix keeps its `*`; terms side by side are ANDed.
pub fn fts5(query: &SearchQuery) -> String {
    let quoted = |term: &Term| {
        let text = format!("\"{}\"", term.text().replace('"', "\"\""));
        match term {
            Term::Prefix(_) => text + "*",
            Term::Word(_) | Term::Phrase(_) => text,
        }
    };
    query.terms.iter().map(quoted).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(input: &str) -> Option<String> {
        SearchQuery::parse(input).as_ref().map(fts5)
    }

    #[test]
    fn terms_are_quoted_and_anded() {
        assert_eq!(fts("budget Friday").as_deref(), Some(r#""budget" "Friday""#));
        assert_eq!(
            fts(r#""quarterly budget" thurs*"#).as_deref(),
            Some(r#""quarterly budget" "thurs"*"#)
        );
    }

    #[test]
    fn syntax_stays_inside_quotes() {
        assert_eq!(fts("a NEAR b").as_deref(), Some(r#""a" "NEAR" "b""#));
        assert_eq!(fts(r#"say"hi"#).as_deref(), Some(r#""say" "hi""#));
        assert_eq!(fts(r#"it's "x""y"#).as_deref(), Some(r#""it's" "x" "y""#));
        assert_eq!(fts("title:x ^y").as_deref(), Some(r#""title:x" "^y""#));
    }
}
