//! A clip's summary as people see it: what the model on this server made of the transcript (or
//! what the clip's owner wrote instead), whether it is still being made, and the owner's
//! changes — writing it, clearing it, asking for it again. Whoever may read a transcript may
//! read its summary, and nobody else: it goes nowhere the transcript could not.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::auth::policy::{Action, Relation, allows};
use crate::error::{AppError, AppResult};
use crate::services::clips::find;
use crate::state::AppState;
use db::clips::{ClipRow, Trim};
use db::domain::{JobKind, SummarySource, SummaryState};
use db::summaries::{ActionItem, Chapter, Content, StoredSummary};

/// The longest summary an owner may write, in characters.
const MAX_SUMMARY_CHARS: usize = 2_000;
const MAX_CHAPTERS: usize = 30;
const MAX_ACTION_ITEMS: usize = 30;
const MAX_ITEM_CHARS: usize = 300;

/// What `GET /api/v1/clips/{id}/summary` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SummaryView {
    /// `pending` until the model has written it (after the transcript), then `ready`;
    /// `failed` with a `reason`; `off` when summaries are not configured or it was cleared.
    pub state: SummaryState,
    pub summary: String,
    /// Where the message's topics begin (messages of two minutes or more), in order; each
    /// on a transcript segment's start.
    pub chapters: Vec<Chapter>,
    /// What the message asked for or promised, and whose it is when it says.
    pub action_items: Vec<ActionItem>,
    /// The model that wrote it, on this server (`null` until one has).
    pub model: Option<String>,
    /// `generated` (by the model) or `edited` (by the clip's owner).
    pub source: SummarySource,
    /// Why it failed, or why summaries are off.
    pub reason: Option<String>,
    pub updated_at: Option<db::Timestamp>,
    /// Whether the viewer may write, clear or regenerate it.
    pub can_edit: bool,
}

/// `PATCH /api/v1/clips/{id}/summary`: the owner's own summary; chapters and action items
/// stay as they are unless given.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryChange {
    pub summary: Option<String>,
    pub chapters: Option<Vec<ChapterChange>>,
    pub action_items: Option<Vec<ActionItem>>,
}

/// A chapter as its owner writes it: where it starts (a whole number of milliseconds, `126`
/// or `126.0`) and its title.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChapterChange {
    #[serde(deserialize_with = "crate::services::whole_numbers::integer")]
    pub start_ms: i64,
    pub title: String,
}

/// The clip's summary, for whoever may read its transcript.
pub async fn view(state: &AppState, viewer: &Viewer, clip_id: &str) -> AppResult<SummaryView> {
    let (row, relation) = find(state, viewer, clip_id, Action::ReadSummary).await?;
    of_clip(state, &row, relation).await
}

/// The summary of a clip found already, for a viewer in `relation` to it; whoever may not read
/// it gets a 403 (as the caller's `find` would have said).
pub async fn of_clip(state: &AppState, row: &ClipRow, relation: Relation) -> AppResult<SummaryView> {
    if !allows(relation, Action::ReadSummary, &row.access()) {
        return Err(AppError::Forbidden("not yours to read".into()));
    }
    let can_edit = allows(relation, Action::EditSummary, &row.access());
    let stored = state.db.summaries().get(&row.id).await?;
    let mut view = view_of(state, stored, can_edit);
    view.chapters = through_trim(view.chapters, row.trim);
    Ok(view)
}

/// Chapters as heard: their times are the original recording's, shown through its owner's
/// cut. A chapter begun before the cut starts the cut (at 0) when it runs into it; chapters
/// wholly cut away go.
fn through_trim(chapters: Vec<Chapter>, trim: Trim) -> Vec<Chapter> {
    let Trim::Cut(span) = trim else {
        return chapters;
    };
    let mut heard: Vec<Chapter> = Vec::new();
    let mut begun_before: Option<Chapter> = None;
    for chapter in chapters {
        match span.served_ms(chapter.start_ms) {
            Some(at) => heard.push(Chapter {
                start_ms: at,
                ..chapter
            }),
            None if chapter.start_ms < span.from_ms => begun_before = Some(chapter),
            None => {}
        }
    }
    if let Some(first) = begun_before
        && heard.first().is_none_or(|c| c.start_ms > 0)
    {
        heard.insert(0, Chapter { start_ms: 0, ..first });
    }
    heard
}

fn view_of(state: &AppState, stored: Option<StoredSummary>, can_edit: bool) -> SummaryView {
    match stored {
        Some(stored) => SummaryView {
            state: stored.state,
            reason: stored.error.clone().or_else(|| {
                (stored.state == SummaryState::Off && stored.source == SummarySource::Edited)
                    .then(|| "cleared by its owner".to_owned())
            }),
            model: Some(stored.model).filter(|m| !m.is_empty()),
            source: stored.source,
            summary: stored.content.summary,
            chapters: stored.content.chapters,
            action_items: stored.content.action_items,
            updated_at: Some(stored.updated_at),
            can_edit,
        },
        None => SummaryView {
            state: SummaryState::Off,
            summary: String::new(),
            chapters: Vec::new(),
            action_items: Vec::new(),
            model: None,
            source: SummarySource::Generated,
            reason: Some(state.summarization.off_reason().map_or_else(
                || "not summarised (yet): its transcript comes first".to_owned(),
                str::to_owned,
            )),
            updated_at: None,
            can_edit,
        },
    }
}

/// The owner writes the summary (or changes what they wrote); it is theirs from now on.
pub async fn change(state: &AppState, viewer: &Viewer, clip_id: &str, change: SummaryChange) -> AppResult<SummaryView> {
    let (row, _) = find(state, viewer, clip_id, Action::EditSummary).await?;
    let current = state
        .db
        .summaries()
        .get(&row.id)
        .await?
        .map(|s| s.content)
        .unwrap_or_default();
    let content = Content {
        summary: match change.summary {
            Some(summary) => checked_summary(&summary)?,
            None => current.summary,
        },
        // The owner writes times as they hear them; they are kept in the original's.
        chapters: match change.chapters {
            Some(chapters) => checked_chapters(chapters, row.duration_ms)?
                .into_iter()
                .map(|c| Chapter {
                    start_ms: row.trim.original_ms(c.start_ms),
                    ..c
                })
                .collect(),
            None => current.chapters,
        },
        action_items: match change.action_items {
            Some(items) => checked_items(items)?,
            None => current.action_items,
        },
    };
    state.db.summaries().write(&row.id, Some(&content)).await?;
    view(state, viewer, clip_id).await
}

/// The owner clears the summary: none is shown, and none is made again unless asked for.
pub async fn clear(state: &AppState, viewer: &Viewer, clip_id: &str) -> AppResult<()> {
    let (row, _) = find(state, viewer, clip_id, Action::EditSummary).await?;
    state.db.summaries().write(&row.id, None).await?;
    Ok(())
}

/// The owner asks for the model's summary (again), replacing theirs.
pub async fn regenerate(state: &AppState, viewer: &Viewer, clip_id: &str) -> AppResult<SummaryView> {
    let (row, _) = find(state, viewer, clip_id, Action::EditSummary).await?;
    if let Some(why) = state.summarization.off_reason() {
        return Err(AppError::Conflict(format!("summaries are off on this server ({why})")));
    }
    if state.db.transcripts().transcript_row(&row.id).await?.is_none() {
        return Err(AppError::Conflict(
            "the clip has no transcript yet: its summary follows it".into(),
        ));
    }
    state.db.summaries().request(&row.id).await?;
    state.wakes.job(JobKind::Summary).notify_one();
    view(state, viewer, clip_id).await
}

/// The ready summaries of these clips, by clip (for cards, the inbox, mail): one query.
pub async fn ready_lines(state: &AppState, clip_ids: &[&str]) -> AppResult<HashMap<String, String>> {
    Ok(state
        .db
        .summaries()
        .get_many(clip_ids)
        .await?
        .into_iter()
        .filter(|s| s.state == SummaryState::Ready && !s.content.summary.is_empty())
        .map(|s| (s.clip_id, s.content.summary))
        .collect())
}

fn checked_summary(summary: &str) -> AppResult<String> {
    let summary = summary.trim();
    if summary.chars().count() > MAX_SUMMARY_CHARS || summary.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::BadRequest(format!(
            "a summary is at most {MAX_SUMMARY_CHARS} characters of text"
        )));
    }
    Ok(summary.to_owned())
}

fn checked_chapters(chapters: Vec<ChapterChange>, duration_ms: i64) -> AppResult<Vec<Chapter>> {
    let mut chapters: Vec<Chapter> = chapters
        .into_iter()
        .map(|ChapterChange { start_ms, title }| Chapter { start_ms, title })
        .collect();
    if chapters.len() > MAX_CHAPTERS {
        return Err(AppError::BadRequest(format!("at most {MAX_CHAPTERS} chapters")));
    }
    for chapter in &mut chapters {
        chapter.title = crate::services::text::single_line(chapter.title.trim(), "chapter title")?;
        if chapter.title.is_empty() || chapter.title.chars().count() > 120 {
            return Err(AppError::BadRequest("a chapter's title is 1 to 120 characters".into()));
        }
        if chapter.start_ms < 0 || chapter.start_ms >= duration_ms.max(1) {
            return Err(AppError::BadRequest(format!(
                "a chapter starts inside the clip (0 to {duration_ms} ms)"
            )));
        }
    }
    chapters.sort_by_key(|c| c.start_ms);
    chapters.dedup_by_key(|c| c.start_ms);
    Ok(chapters)
}

fn checked_items(mut items: Vec<ActionItem>) -> AppResult<Vec<ActionItem>> {
    if items.len() > MAX_ACTION_ITEMS {
        return Err(AppError::BadRequest(format!("at most {MAX_ACTION_ITEMS} action items")));
    }
    for item in &mut items {
        item.text = crate::services::text::single_line(item.text.trim(), "action item")?;
        if item.text.is_empty() || item.text.chars().count() > MAX_ITEM_CHARS {
            return Err(AppError::BadRequest(format!(
                "an action item is 1 to {MAX_ITEM_CHARS} characters"
            )));
        }
        if let Some(owner) = &item.owner {
            let owner = crate::services::text::single_line(owner.trim(), "action item's owner")?;
            item.owner = Some(owner).filter(|o| !o.is_empty() && o.chars().count() <= 100);
        }
    }
    Ok(items)
}
