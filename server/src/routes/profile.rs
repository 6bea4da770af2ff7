//! The signed-in person's own profile: `GET`/`PATCH /api/v1/me`, `POST /api/v1/me/password`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::accounts::UserView;
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
