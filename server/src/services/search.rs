//! Search over titles and transcripts, as the API answers it and the dashboard shows it: the
//! best hit of each clip the asker may see, the moment to jump to, a snippet with the match
//! marked.

use std::collections::HashSet;

use serde::Serialize;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::services::clips::{ClipView, rows_by_id, views, visible_to_member};
use crate::state::AppState;
use db::domain::Scope;
use db::search::query::SearchQuery;
use db::search::{MARK_END, MARK_START};

/// How many index rows to rank before grouping them by clip.
const CANDIDATES: i64 = 500;
/// Longest query, in bytes.
pub const MAX_QUERY: usize = 1000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub query: String,
    pub results: Vec<SearchResult>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub clip: ClipView,
    pub matched: Matched,
    /// The matching segment's start (for a transcript hit).
    pub start_ms: Option<i64>,
    /// The matching text reply (for a reply hit): the thread opens at it.
    pub reply_id: Option<String>,
    pub snippet: String,
    /// The snippet as HTML: text escaped, matches in `<mark>`.
    pub snippet_html: String,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Matched {
    Title,
    Transcript,
    /// A text reply in the clip's thread (`reply_id`).
    Reply,
}

pub async fn search(state: &AppState, viewer: &Viewer, query: &str, limit: usize) -> AppResult<SearchResults> {
    let user = viewer.require_user()?;
    if query.len() > MAX_QUERY {
        return Err(AppError::BadRequest(format!(
            "the query is longer than {MAX_QUERY} bytes"
        )));
    }
    let Some(parsed) = SearchQuery::parse(query) else {
        return Ok(SearchResults {
            query: query.to_owned(),
            results: Vec::new(),
        });
    };
    let hits = state.db.search().search(&parsed, Scope::of(user), CANDIDATES).await?;
    // The best hit of each clip, in rank order.
    let mut seen = HashSet::new();
    let best: Vec<_> = hits
        .into_iter()
        .filter(|hit| seen.insert(hit.clip_id.clone()))
        .collect();
    let ids: Vec<&str> = best.iter().map(|h| h.clip_id.as_str()).collect();
    let mut rows = rows_by_id(state, &ids).await?;
    // Only what this user may see (their workspace's clips), best first, `limit` of them.
    let (hits, rows): (Vec<_>, Vec<_>) = best
        .into_iter()
        .filter_map(|hit| Some((rows.remove(&hit.clip_id)?, hit)))
        .filter_map(|(row, hit)| visible_to_member(user, [row]).pop().map(|visible| (hit, visible)))
        .take(limit)
        .unzip();
    let views = views(state, viewer, rows).await?;
    let results = hits
        .into_iter()
        .zip(views)
        .map(|(hit, clip)| SearchResult {
            clip,
            matched: match (&hit.reply_id, hit.start_ms) {
                (Some(_), _) => Matched::Reply,
                (None, Some(_)) => Matched::Transcript,
                (None, None) => Matched::Title,
            },
            start_ms: hit.start_ms,
            reply_id: hit.reply_id,
            snippet: hit.snippet.replace([MARK_START, MARK_END], ""),
            snippet_html: snippet_html(&hit.snippet),
        })
        .collect();
    Ok(SearchResults {
        query: query.to_owned(),
        results,
    })
}

/// The snippet as HTML: text escaped, matches in `<mark>`.
fn snippet_html(snippet: &str) -> String {
    let mut html = String::with_capacity(snippet.len() + 32);
    for c in snippet.chars() {
        match c {
            MARK_START => html.push_str("<mark>"),
            MARK_END => html.push_str("</mark>"),
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_and_marked() {
        let snippet = format!("a <b> & {MARK_START}budget{MARK_END}'s");
        assert_eq!(snippet_html(&snippet), "a &lt;b&gt; &amp; <mark>budget</mark>&#39;s");
    }
}
