//! Search over titles, transcripts, summaries and replies, as the API answers it and the dashboard shows it: the
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
use db::search::{MARK_END, MARK_START, SearchHit};

/// How many index rows to rank before grouping them by clip.
const CANDIDATES: i64 = 500;
/// Longest query, in bytes.
pub const MAX_QUERY: usize = 1000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub query: String,
    pub results: Vec<SearchResult>,
    /// Check-in answers (and replies under them) written in text that match, best first.
    pub answers: Vec<AnswerHit>,
}

/// A check-in's text answer, or a reply under one, that matched.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnswerHit {
    pub checkin_id: String,
    /// The check-in's title.
    pub title: String,
    pub round_id: String,
    /// The round's date, `YYYY-MM-DD`.
    pub date: String,
    pub reply_id: String,
    /// The round's page, opened at it.
    pub url: String,
    pub snippet: String,
    pub snippet_html: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub clip: ClipView,
    pub matched: Matched,
    /// The matching segment's start (for a transcript hit), or the chapter's.
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
    /// The clip's summary.
    Summary,
    /// A chapter's title: `start_ms` is where the chapter begins.
    Chapter,
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
            answers: Vec::new(),
        });
    };
    let hits = state.db.search().search(&parsed, Scope::of(user), CANDIDATES).await?;
    let (round_hits, clip_hits): (Vec<SearchHit>, Vec<SearchHit>) =
        hits.into_iter().partition(|hit| hit.round_id.is_some());
    let answers = answer_hits(state, viewer, round_hits, limit).await?;
    // The best hit of each clip, in rank order.
    let mut seen = HashSet::new();
    let best: Vec<(String, SearchHit)> = clip_hits
        .into_iter()
        .filter_map(|hit| Some((hit.clip_id.clone()?, hit)))
        .filter(|(clip, _)| seen.insert(clip.clone()))
        .collect();
    let ids: Vec<&str> = best.iter().map(|(clip, _)| clip.as_str()).collect();
    let mut rows = rows_by_id(state, &ids).await?;
    // Only what this user may see (their workspace's clips), best first, `limit` of them.
    let (hits, rows): (Vec<_>, Vec<_>) = best
        .into_iter()
        .filter_map(|(clip, hit)| Some((rows.remove(&clip)?, hit)))
        .filter_map(|(row, hit)| visible_to_member(user, [row]).pop().map(|visible| (hit, visible)))
        .take(limit)
        .unzip();
    let views = views(state, viewer, rows).await?;
    let results = hits
        .into_iter()
        .zip(views)
        .map(|(hit, clip)| SearchResult {
            clip,
            matched: match (&hit.reply_id, hit.start_ms, hit.summary) {
                (Some(_), _, _) => Matched::Reply,
                (None, Some(_), true) => Matched::Chapter,
                (None, None, true) => Matched::Summary,
                (None, Some(_), false) => Matched::Transcript,
                (None, None, false) => Matched::Title,
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
        answers,
    })
}

/// Hits in check-in rounds (the index kept them to the asker's workspace), each reply once,
/// with its round's check-in.
async fn answer_hits(
    state: &AppState,
    viewer: &Viewer,
    hits: Vec<SearchHit>,
    limit: usize,
) -> AppResult<Vec<AnswerHit>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for hit in hits {
        let (Some(round_id), Some(reply_id)) = (hit.round_id.clone(), hit.reply_id.clone()) else {
            continue;
        };
        if out.len() >= limit || !seen.insert(reply_id.clone()) {
            continue;
        }
        let Ok((checkin, round)) = crate::services::checkins::find_round(state, viewer, &round_id).await else {
            continue;
        };
        out.push(AnswerHit {
            url: format!("{}/checkins/rounds/{round_id}#r-{reply_id}", state.public_url),
            checkin_id: checkin.id,
            title: checkin.title,
            date: round.day.format("%Y-%m-%d").to_string(),
            round_id,
            reply_id,
            snippet: hit.snippet.replace([MARK_START, MARK_END], ""),
            snippet_html: snippet_html(&hit.snippet),
        });
    }
    Ok(out)
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
