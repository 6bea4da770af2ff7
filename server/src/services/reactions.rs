//! Reactions: "heard it 👍" without typing a reply. A member puts an emoji on a message — the
//! thread's root, a voice or text reply, a check-in answer — maybe at a moment of a recording;
//! one of each emoji per person per message. A reaction never mails on its own (the next mail
//! about the thread mentions it); it is a webhook event, `reaction.created`.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::auth::Viewer;
use crate::auth::policy::{Action, Relation};
use crate::error::{AppError, AppResult, Missing};
use crate::services::clips::find;
use crate::services::threads::locate;
use crate::state::AppState;
use db::Timestamp;
use db::domain::clock;
use db::reactions::{Reacted, Reaction};
use db::threads::ThreadRoot;

/// `POST /api/v1/clips/{id}/reactions`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReaction {
    /// One emoji (a single grapheme, skin tones and sequences included).
    pub emoji: String,
    /// A moment of the recording reacted to, in milliseconds.
    #[schema(value_type = Option<i64>)]
    pub at_ms: Option<crate::services::whole_numbers::WholeNumber>,
}

/// `DELETE /api/v1/clips/{id}/reactions`'s body: which of one's own to take back.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakenBack {
    pub emoji: String,
}

/// A reaction as a thread shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReactionView {
    pub emoji: String,
    pub at_ms: Option<i64>,
    /// The moment as people say it ("0:12").
    pub at: Option<String>,
    /// Who reacted: to the team, by name and id; people outside it see the emoji only.
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub created_at: Timestamp,
}

impl ReactionView {
    /// `reacted` as `readers` may see it: `team` sees who.
    pub fn of(reacted: Reacted, team: bool) -> Self {
        Self {
            at: reacted.at_ms.map(clock),
            at_ms: reacted.at_ms,
            user_id: team.then_some(reacted.user_id),
            display_name: team.then_some(reacted.display_name),
            emoji: reacted.emoji,
            created_at: reacted.created_at,
        }
    }
}

/// A message someone may react to: where it lives, and how long its recording is.
struct Target {
    message_id: String,
    root: ThreadRoot,
    /// Its recording's length; `None` for a text reply (no moments in it).
    duration_ms: Option<i64>,
    /// Its recording's trim: moments are kept in the original's time.
    trim: db::clips::Trim,
}

/// Puts the viewer's `emoji` on message `id` (a clip's id or a text reply's). `Ok(None)` when
/// they had already: nothing changes, and no event is written twice.
pub async fn react(state: &AppState, viewer: &Viewer, id: &str, new: NewReaction) -> AppResult<Option<ReactionView>> {
    let user = viewer.require_user()?;
    let emoji = checked_emoji(&new.emoji)?;
    let target = target(state, viewer, id).await?;
    if let Some(at) = crate::services::whole_numbers::value(new.at_ms) {
        match target.duration_ms {
            None => {
                return Err(AppError::BadRequest(
                    "a moment (at_ms) can only point into a recording".into(),
                ));
            }
            Some(length) if !(0..=length).contains(&at) => {
                return Err(AppError::BadRequest(format!(
                    "the moment {} is outside the recording (0:00–{})",
                    clock(at.max(0)),
                    clock(length)
                )));
            }
            Some(_) => {}
        }
    }
    let reaction = Reaction {
        id: db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        message_id: target.message_id,
        user_id: user.id.clone(),
        emoji,
        at_ms: crate::services::whole_numbers::value(new.at_ms).map(|at| target.trim.original_ms(at)),
        created_at: Timestamp::now(),
    };
    if !state.db.reactions().add(&reaction, &target.root).await? {
        return Ok(None);
    }
    state.wakes.events().notify_one();
    let reacted = Reacted {
        id: reaction.id,
        message_id: reaction.message_id,
        user_id: reaction.user_id,
        display_name: user.display_name.clone(),
        emoji: reaction.emoji,
        at_ms: crate::services::whole_numbers::value(new.at_ms),
        created_at: reaction.created_at,
    };
    Ok(Some(ReactionView::of(reacted, true)))
}

/// Takes back the viewer's `emoji` on message `id`; taking back what is not there is a 404.
pub async fn take_back(state: &AppState, viewer: &Viewer, id: &str, emoji: &str) -> AppResult<()> {
    let user = viewer.require_user()?;
    let emoji = checked_emoji(emoji)?;
    let target = target(state, viewer, id).await?;
    if state
        .db
        .reactions()
        .remove(&target.message_id, &user.id, &emoji)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound(Missing::Reaction))
    }
}

/// The viewer's own reaction with `emoji` on message `id`.
pub async fn mine(state: &AppState, viewer: &Viewer, id: &str, emoji: &str) -> AppResult<ReactionView> {
    let user = viewer.require_user()?;
    let emoji = checked_emoji(emoji)?;
    let target = target(state, viewer, id).await?;
    state
        .db
        .reactions()
        .on_messages(&[target.message_id.as_str()])
        .await?
        .into_iter()
        .find(|r| r.user_id == user.id && r.emoji == emoji)
        .map(|r| ReactionView::of(r, true))
        .ok_or(AppError::NotFound(Missing::Reaction))
}

/// Message `id`, if the viewer is on the team that may react to it.
async fn target(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<Target> {
    if let Some(reply) = state.db.threads().by_id(id).await?
        && reply.clip_id().is_none()
    {
        // A text reply: whoever is on the team of its thread may react to it.
        match &reply.root {
            ThreadRoot::Clip(root) => {
                find(state, viewer, root, Action::React)
                    .await
                    .map_err(|_| AppError::NotFound(Missing::Reply))?;
            }
            ThreadRoot::Round(round) => {
                crate::services::checkins::find_round(state, viewer, round).await?;
            }
        }
        return Ok(Target {
            message_id: reply.id,
            root: reply.root,
            duration_ms: None,
            trim: db::clips::Trim::Whole,
        });
    }
    let (clip, relation) = find(state, viewer, id, Action::React).await?;
    if !matches!(relation, Relation::Owner | Relation::Member) {
        return Err(AppError::Forbidden("only the team reacts".into()));
    }
    let (root, _) = locate(state, &clip.id).await?;
    if let ThreadRoot::Round(round) = &root {
        crate::services::checkins::find_round(state, viewer, round).await?;
    }
    Ok(Target {
        message_id: clip.id,
        root,
        duration_ms: Some(clip.duration_ms),
        trim: clip.trim,
    })
}

/// Exactly one emoji — a single grapheme the Unicode emoji list knows, skin tones and ZWJ
/// sequences included — in its fully qualified form, so 👍 and 👍︎ are one reaction.
fn checked_emoji(text: &str) -> AppResult<String> {
    let text = text.trim();
    let mut graphemes = text.graphemes(true);
    let single = graphemes.next().is_some() && graphemes.next().is_none();
    match emojis::get(text) {
        Some(emoji) if single => Ok(emoji.as_str().to_owned()),
        _ => Err(AppError::BadRequest(
            "emoji must be exactly one emoji, like 👍 or 🎉".into(),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_emoji_is_a_reaction_and_anything_else_is_not() {
        assert_eq!(checked_emoji("👍").unwrap(), "👍");
        assert_eq!(checked_emoji(" 🎉 ").unwrap(), "🎉");
        // Skin tones and ZWJ sequences are one emoji each.
        assert_eq!(checked_emoji("👍🏽").unwrap(), "👍🏽");
        assert_eq!(checked_emoji("👩‍💻").unwrap(), "👩‍💻");
        // The unqualified heart is the same reaction as the qualified one.
        assert_eq!(checked_emoji("\u{2764}").unwrap(), "\u{2764}\u{fe0f}");
        for bad in ["", "a", "👍👍", "👍 ok", "<script>", "1", "\u{200d}"] {
            assert!(checked_emoji(bad).is_err(), "{bad:?} is not one emoji");
        }
    }
}
