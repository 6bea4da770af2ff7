//! The signed-in person's own profile: `GET`/`PATCH /api/v1/me`, `POST /api/v1/me/password`,
//! `GET`/`PATCH /api/v1/me/notifications`.

use crate::http::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::services::accounts::UserView;
use crate::services::notifications;
use crate::services::team::{self, ProfileChange};
use crate::state::AppState;
use db::domain::EmailChoice;

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    summary = "Who I am",
    responses((status = 200, body = UserView), crate::http::api_doc::Failures)
)]
pub async fn me(viewer: Viewer) -> AppResult<Json<UserView>> {
    Ok(Json(UserView::from(viewer.require_user()?)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "accounts",
    summary = "Change my name, time zone or working hours",
    request_body = crate::services::team::ProfileChange,
    responses((status = 200, body = UserView), crate::http::api_doc::Failures)
)]
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(change): Json<ProfileChange>,
) -> AppResult<Json<UserView>> {
    Ok(Json(UserView::from(
        &team::update_profile(&state, &viewer, change).await?,
    )))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "accounts",
    summary = "Change my password",
    request_body = PasswordChange,
    responses((status = 204, description = "Changed; my other sessions and tokens end"), crate::http::api_doc::Failures)
)]
pub async fn password(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(change): Json<PasswordChange>,
) -> AppResult<StatusCode> {
    team::change_password(&state, &viewer, change.current, change.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How the viewer hears by email that it is their turn.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationChoice {
    email: EmailChoice,
}

#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    summary = "How email tells me it is my turn",
    responses((status = 200, body = NotificationChoice), crate::http::api_doc::Failures)
)]
pub async fn notifications(viewer: Viewer) -> AppResult<Json<NotificationChoice>> {
    Ok(Json(NotificationChoice {
        email: viewer.require_user()?.email_notifications,
    }))
}

#[utoipa::path(
    patch,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    summary = "Choose how email tells me",
    request_body = NotificationChoice,
    responses((status = 200, body = NotificationChoice), crate::http::api_doc::Failures)
)]
pub async fn set_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(choice): Json<NotificationChoice>,
) -> AppResult<Json<NotificationChoice>> {
    notifications::set_choice(&state, viewer.require_user()?, choice.email).await?;
    Ok(Json(choice))
}
