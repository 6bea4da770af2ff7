//! `GET /api/v1/search?q=`: clips whose transcript or title matches, best first, each with
//! the moment to jump to and a snippet with the match marked.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::clips::{self, Scope};
use chrono::Utc;

use crate::auth::Viewer;
use crate::auth::policy::{Action, allows, relation};
use crate::db::transcripts::{self, MARK_END, MARK_START};
use crate::error::{AppError, AppResult};
use crate::routes::clips::ClipView;
use crate::search::fts_query;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<i64>,
}

/// How many index rows to rank before grouping them by clip.
const CANDIDATES: i64 = 500;

pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> AppResult<Json<Value>> {
    let query = params.q.unwrap_or_default();
    let limit = params.limit.unwrap_or(20).clamp(1, 100) as usize;
    Ok(Json(results(&state, &viewer, &query, limit).await?))
}

/// The search as the API answers it (the dashboard renders the same).
pub async fn results(state: &AppState, viewer: &Viewer, query: &str, limit: usize) -> AppResult<Value> {
    let user = viewer.require_user()?;
    if query.len() > 1000 {
        return Err(AppError::BadRequest("the query is longer than 1000 bytes".into()));
    }
    let Some(fts) = fts_query(query) else {
        return Ok(json!({ "query": query, "results": [] }));
    };
    let scope = Scope::of(user);
    let hits = transcripts::search(&state.db, &fts, scope, CANDIDATES).await?;
    // The best hit of each clip, in rank order.
    let mut seen = HashSet::new();
    let mut results = Vec::new();
    for hit in hits {
        if results.len() == limit {
            break;
        }
        if !seen.insert(hit.clip_id.clone()) {
            continue;
        }
        let row = match clips::get(&state.db, &hit.clip_id).await {
            Ok(row) => row,
            Err(sqlx::Error::RowNotFound) => continue,
            Err(err) => return Err(err.into()),
        };
        // Only what this user may see: their workspace's clips.
        let relation = relation(Some(user), None, &row.access(), Utc::now());
        if !allows(relation, Action::View, &row.access()) {
            continue;
        }
        let clip = ClipView::load(state, row, viewer.audience(relation)).await?;
        results.push(json!({
            "clip": clip,
            "matched": if hit.start_ms.is_some() { "transcript" } else { "title" },
            "start_ms": hit.start_ms,
            "snippet": hit.snippet.replace([MARK_START, MARK_END], ""),
            "snippet_html": snippet_html(&hit.snippet),
        }));
    }
    Ok(json!({ "query": query, "results": results }))
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
