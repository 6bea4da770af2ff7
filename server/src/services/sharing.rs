//! Who may open a clip through its link: visibility, the link's expiry, whether guests may
//! reply, what they see of the thread, and the link itself (rotated or revoked). Owner only.

use chrono::{DateTime, Utc};
use db::Timestamp;

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::auth::secrets::new_secret;
use crate::error::{AppError, AppResult};
use crate::services::clips::{ClipView, find};
use crate::state::AppState;
use db::domain::{OutsidersSee, Visibility};

/// A change of sharing settings; what is `None` stays as it is.
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub visibility: Option<Visibility>,
    /// `Some(None)` removes the expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub guests_may_reply: Option<bool>,
    pub outsiders_see: Option<OutsidersSee>,
}

/// What becomes of the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChange {
    /// A new link; the old one stops working.
    Rotate,
    /// No link at all.
    Revoke,
}

pub async fn change_settings(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    change: SettingsChange,
) -> AppResult<ClipView> {
    let (mut clip, relation) = find(state, viewer, id, Action::ChangeSharing).await?;
    if let Some(visibility) = change.visibility {
        clip.visibility = visibility;
    }
    if let Some(expiry) = change.expires_at {
        clip.share_expires_at = expiry.map(Timestamp::from);
    }
    if let Some(guests) = change.guests_may_reply {
        clip.guests_may_reply = guests;
    }
    if let Some(outsiders_see) = change.outsiders_see {
        clip.outsiders_see = outsiders_see;
    }
    state.db.clips().update_sharing(&clip).await?;
    ClipView::load(state, clip, viewer.audience(relation)).await
}

pub async fn change_link(state: &AppState, viewer: &Viewer, id: &str, change: LinkChange) -> AppResult<ClipView> {
    let (mut clip, relation) = find(state, viewer, id, Action::ChangeSharing).await?;
    clip.share_token = match change {
        LinkChange::Rotate => {
            Some(new_secret().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?)
        }
        LinkChange::Revoke => None,
    };
    state.db.clips().update_sharing(&clip).await?;
    ClipView::load(state, clip, viewer.audience(relation)).await
}
