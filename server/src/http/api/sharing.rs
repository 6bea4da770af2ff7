//! `PATCH /api/v1/clips/{id}/sharing` — visibility, link expiry, whether guests may reply, what
//! outsiders see of the thread;
//! `POST …/sharing/rotate` — a new link (the old one stops working);
//! `DELETE …/sharing/link` — no link at all. Owner only.

use crate::http::api_doc::ClipId;
use crate::http::extract::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::services::clips::ClipView;
use crate::services::sharing::{self, LinkChange, SettingsChange};
use crate::state::AppState;
use db::domain::{OutsidersSee, Visibility};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SharingChange {
    /// "workspace" or "link".
    #[schema(value_type = Option<VisibilityName>)]
    visibility: Option<String>,
    /// RFC 3339; `null` removes the expiry. Absent leaves it as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<crate::services::formats::Instant>)]
    expires_at: Option<Option<String>>,
    guests_may_reply: Option<bool>,
    /// What people who come through the link see of the thread: "message" (the message, the
    /// owner's replies and guests' replies; the default) or "thread" (every reply).
    #[schema(value_type = Option<OutsidersSeeName>)]
    outsiders_see: Option<String>,
}

/// The values `visibility` takes, for the description (the field is read as text, so a wrong
/// one gets a message that names the right ones).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum VisibilityName {
    Workspace,
    Link,
}

/// The values `outsiders_see` takes, for the description.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum OutsidersSeeName {
    Message,
    Thread,
}

/// A field that is there, even as `null`, is `Some`; one left out stays `None` (the default).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/clips/{id}/sharing",
    tag = "sharing",
    summary = "Who may open a clip (its owner)",
    params(ClipId),
    request_body = SharingChange,
    responses((status = 200, body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(change): Json<SharingChange>,
) -> AppResult<Json<ClipView>> {
    let visibility = change
        .visibility
        .map(|v| v.parse::<Visibility>())
        .transpose()
        .map_err(|_| AppError::BadRequest("visibility is \"workspace\" or \"link\"".into()))?;
    let expires_at = change
        .expires_at
        .map(|expiry| expiry.map(|text| DateTime::parse_from_rfc3339(&text)).transpose())
        .transpose()
        .map_err(|_| AppError::BadRequest("expires_at is not an RFC 3339 time".into()))?
        .map(|expiry| expiry.map(|at| at.with_timezone(&Utc)));
    let outsiders_see = change
        .outsiders_see
        .map(|v| v.parse::<OutsidersSee>())
        .transpose()
        .map_err(|_| AppError::BadRequest("outsiders_see is \"message\" or \"thread\"".into()))?;
    let change = SettingsChange {
        visibility,
        expires_at,
        guests_may_reply: change.guests_may_reply,
        outsiders_see,
    };
    Ok(Json(sharing::change_settings(&state, &viewer, &id, change).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/clips/{id}/sharing/rotate",
    tag = "sharing",
    summary = "A new share link; the old one stops working",
    params(ClipId),
    responses((status = 200, body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn rotate(State(state): State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Json<ClipView>> {
    Ok(Json(
        sharing::change_link(&state, &viewer, &id, LinkChange::Rotate).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/clips/{id}/sharing/link",
    tag = "sharing",
    summary = "Revoke the share link",
    params(ClipId),
    responses((status = 200, body = ClipView), crate::http::api_doc::Failures)
)]
pub async fn revoke(State(state): State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Json<ClipView>> {
    Ok(Json(
        sharing::change_link(&state, &viewer, &id, LinkChange::Revoke).await?,
    ))
}
