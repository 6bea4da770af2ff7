//! Messages as the dashboard shows them: each clip with its summary or the opening of its
//! transcript, how
//! many replies it has, and how much of it the viewer has not heard — loaded for every list
//! on the page at once, in one query each.

use std::collections::HashMap;

use crate::error::AppResult;
use crate::services::clips::ClipView;
use crate::state::AppState;

/// Characters of the transcript a card shows.
const OPENING_CHARS: usize = 140;

#[derive(Debug)]
pub struct Card {
    pub clip: ClipView,
    pub opening: Option<String>,
    /// Its summary, once written: shown instead of the transcript's opening.
    pub summary: Option<String>,
    pub replies: i64,
    /// Messages in its thread the viewer has not heard or read.
    pub unheard: i64,
    /// Who wrote them.
    pub unheard_from: Vec<String>,
}

/// What waits for the viewer in a thread: how many messages, by whom.
#[derive(Debug, Clone, Default)]
pub struct Waiting {
    pub messages: i64,
    pub from: Vec<String>,
}

/// Cards for each of `lists` (kept apart, in their order), given what the viewer has not
/// heard (by root clip id, from their inbox).
pub async fn cards<const N: usize>(
    state: &AppState,
    lists: [Vec<ClipView>; N],
    unheard: &HashMap<String, Waiting>,
) -> AppResult<[Vec<Card>; N]> {
    let ids: Vec<&str> = lists.iter().flatten().map(|c| c.id.as_str()).collect();
    let openings = state.db.transcripts().openings(&ids, OPENING_CHARS).await?;
    let summaries = crate::services::summaries::ready_lines(state, &ids).await?;
    let replies: HashMap<String, i64> = state.db.threads().reply_counts(&ids).await?.into_iter().collect();
    Ok(lists.map(|clips| {
        clips
            .into_iter()
            .map(|clip| Card {
                opening: openings.get(&clip.id).cloned(),
                summary: summaries.get(&clip.id).cloned(),
                replies: replies.get(&clip.id).copied().unwrap_or(0),
                unheard: unheard.get(&clip.id).map_or(0, |w| w.messages),
                unheard_from: unheard.get(&clip.id).map(|w| w.from.clone()).unwrap_or_default(),
                clip,
            })
            .collect()
    }))
}
