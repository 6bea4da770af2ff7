//! `PATCH /api/v1/clips/{id}/sharing` — visibility, link expiry, whether guests may reply;
//! `POST …/sharing/rotate` — a new link (the old one stops working);
//! `DELETE …/sharing/link` — no link at all. Owner only.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::auth::secrets::new_secret;
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::services::clips::{ClipView, find};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct SharingChange {
    /// "workspace" or "link".
    visibility: Option<String>,
    /// RFC 3339; `null` removes the expiry. Absent leaves it as it is.
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<String>>,
    guests_may_reply: Option<bool>,
}

/// A field that is there, even as `null`, is `Some`; one left out stays `None` (the default).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<SharingChange>,
) -> AppResult<Json<ClipView>> {
    let (mut clip, relation) = find(&state, &viewer, &id, Action::ChangeSharing).await?;
    if let Some(visibility) = change.visibility {
        clip.visibility = visibility
            .parse::<Visibility>()
            .map_err(|_| AppError::BadRequest("visibility is \"workspace\" or \"link\"".into()))?;
    }
    if let Some(expiry) = change.expires_at {
        clip.share_expires_at = match expiry {
            None => None,
            Some(text) => Some(
                DateTime::parse_from_rfc3339(&text)
                    .map_err(|_| AppError::BadRequest("expires_at is not an RFC 3339 time".into()))?
                    .with_timezone(&Utc)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
        };
    }
    if let Some(guests) = change.guests_may_reply {
        clip.guests_may_reply = guests;
    }
    state.db.clips().update_sharing(&clip).await?;
    Ok(Json(ClipView::load(&state, clip, viewer.audience(relation)).await?))
}

pub async fn rotate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<ClipView>> {
    let (mut clip, relation) = find(&state, &viewer, &id, Action::ChangeSharing).await?;
    clip.share_token = Some(new_secret().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?);
    state.db.clips().update_sharing(&clip).await?;
    Ok(Json(ClipView::load(&state, clip, viewer.audience(relation)).await?))
}

pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> AppResult<Json<ClipView>> {
    let (mut clip, relation) = find(&state, &viewer, &id, Action::ChangeSharing).await?;
    clip.share_token = None;
    state.db.clips().update_sharing(&clip).await?;
    Ok(Json(ClipView::load(&state, clip, viewer.audience(relation)).await?))
}
