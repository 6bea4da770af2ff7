//! The signed-in person's own profile: `GET`/`PATCH /api/v1/me`, `POST /api/v1/me/password`,
//! `GET`/`PATCH /api/v1/me/notifications`.

use super::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::domain::EmailChoice;
use crate::error::AppResult;
use crate::services::accounts::UserView;
use crate::services::notifications;
use crate::services::team::{self, ProfileChange};
use crate::state::AppState;

pub async fn me(viewer: Viewer) -> AppResult<Json<UserView>> {
    Ok(Json(UserView::from(viewer.require_user()?)))
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(change): Json<ProfileChange>,
) -> AppResult<Json<UserView>> {
    Ok(Json(UserView::from(
        &team::update_profile(&state, &viewer, change).await?,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

pub async fn password(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(change): Json<PasswordChange>,
) -> AppResult<StatusCode> {
    team::change_password(&state, &viewer, change.current, change.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How the viewer hears by email that it is their turn.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationChoice {
    email: EmailChoice,
}

pub async fn notifications(viewer: Viewer) -> AppResult<Json<NotificationChoice>> {
    Ok(Json(NotificationChoice {
        email: viewer.require_user()?.email_notifications,
    }))
}

pub async fn set_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(choice): Json<NotificationChoice>,
) -> AppResult<Json<NotificationChoice>> {
    notifications::set_choice(&state, viewer.require_user()?, choice.email).await?;
    Ok(Json(choice))
}
