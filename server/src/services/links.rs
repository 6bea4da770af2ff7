//! Share links: what `/c/{token}` leads to. A link exists from the moment recording starts, so
//! it leads either to a clip or to a take still being recorded; both are seen by the same rule.

use chrono::{DateTime, Utc};

use crate::auth::Viewer;
use crate::auth::policy::{Action, ClipAccess, Relation, relation};
use crate::error::{AppError, AppResult, Missing};
use crate::services::clips::find;
use crate::state::AppState;
use db::clips::ClipRow;
use db::domain::User;

/// What a link leads to, as the viewer may see it.
#[derive(Debug)]
pub enum Opened {
    Clip {
        row: Box<ClipRow>,
        relation: Relation,
    },
    Recording(Box<Recording>),
    /// A take its recorder cancelled while recording: nothing of it is kept.
    Cancelled(Box<Cancelled>),
}

/// What the link of a cancelled take says.
#[derive(Debug)]
pub struct Cancelled {
    /// Who recorded it, to their team (others are not told whose link it was).
    pub recorder: Option<String>,
    pub cancelled_at: DateTime<Utc>,
    pub reason: db::domain::TakeEnding,
}

/// A take still being recorded behind its link.
#[derive(Debug)]
pub struct Recording {
    pub title: Option<String>,
    pub recorder: User,
    pub started_at: DateTime<Utc>,
}

/// What `token` leads to for `viewer` (who holds the token); 404 when nothing, or nothing the
/// viewer may see — the same answer either way.
pub async fn open(state: &AppState, viewer: &Viewer, token: &str) -> AppResult<Opened> {
    if let Some(row) = state.db.clips().by_share_token(token).await? {
        let viewer = Viewer {
            share_token: Some(token.to_owned()),
            ..viewer.clone()
        };
        let (row, relation) = find(state, &viewer, &row.id, Action::View).await?;
        return Ok(Opened::Clip {
            row: Box::new(row),
            relation,
        });
    }
    let missing = || AppError::NotFound(Missing::Clip);
    let Some(session) = state.db.uploads().recording_by_share_token(token).await? else {
        let cancelled = state
            .db
            .uploads()
            .cancelled_by_share_token(token)
            .await?
            .ok_or_else(missing)?;
        let recorder = match (&viewer.user, state.db.users().by_id(&cancelled.owner_id).await?) {
            (Some(me), Some(them)) if me.workspace_id == them.workspace_id => Some(them.display_name),
            _ => None,
        };
        return Ok(Opened::Cancelled(Box::new(Cancelled {
            recorder,
            cancelled_at: cancelled.cancelled_at.instant(),
            reason: cancelled.reason,
        })));
    };
    let recorder = state
        .db
        .users()
        .by_id(&session.owner_id)
        .await?
        .ok_or_else(missing)?
        .user();
    // The take is seen by the rule of the clip it becomes.
    let access = ClipAccess {
        owner_id: Some(&recorder.id),
        workspace_id: Some(&recorder.workspace_id),
        visibility: session.visibility,
        share_token: session.share_token.as_deref(),
        share_expires_at: None,
        guests_may_reply: false,
        outsiders_see: db::domain::OutsidersSee::Message,
    };
    if relation(viewer.user.as_ref(), Some(token), &access, Utc::now()) == Relation::Stranger {
        return Err(missing());
    }
    Ok(Opened::Recording(Box::new(Recording {
        title: session.title,
        started_at: session.created_at.instant(),
        recorder,
    })))
}

/// The clip behind `token` if anyone holding the link may open it (no sign-in), with its
/// author: what may unfurl in chat and embed in other sites.
pub async fn public_clip(state: &AppState, token: &str) -> AppResult<(ClipRow, Option<User>)> {
    let Some(clip) = state.db.clips().by_share_token(token).await? else {
        return Err(AppError::NotFound(Missing::Clip));
    };
    if relation(None, Some(token), &clip.access(), Utc::now()) != Relation::LinkHolder {
        return Err(AppError::NotFound(Missing::Clip));
    }
    let author = author(state, &clip).await?;
    Ok((clip, author))
}

/// Who made a clip, if a member did.
pub async fn author(state: &AppState, clip: &ClipRow) -> AppResult<Option<User>> {
    Ok(match &clip.owner_id {
        Some(id) => state.db.users().by_id(id).await?.map(|row| row.user()),
        None => None,
    })
}
