//! `POST /api/v1/clips/{id}/reactions` (an emoji on a message, maybe at a moment) and `DELETE`
//! the same (take one's own back). `{id}` is any message of a thread: a clip's id or a text
//! reply's. See [`crate::services::reactions`].

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::http::extract::Json;
use crate::services::reactions::{self, NewReaction, ReactionView, TakenBack};
use crate::state::AppState;

/// A message's id: a clip's (the message, a voice reply, a check-in answer) or a text reply's.
#[derive(utoipa::IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
#[allow(dead_code)]
struct MessageId(String);

/// 201 with the reaction; 200 with it when the viewer had reacted so already.
#[utoipa::path(
    post,
    path = "/api/v1/clips/{id}/reactions",
    tag = "threads",
    summary = "React to a message with an emoji, maybe at a moment",
    params(MessageId),
    request_body = NewReaction,
    responses(
        (status = 201, body = ReactionView),
        (status = 200, body = ReactionView, description = "Reacted so already"),
        crate::http::api_doc::Failures
    )
)]
pub async fn react(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Json(new): Json<NewReaction>,
) -> AppResult<(StatusCode, Json<ReactionView>)> {
    let emoji = new.emoji.clone();
    match reactions::react(&state, &viewer, &id, new).await? {
        Some(view) => Ok((StatusCode::CREATED, Json(view))),
        None => Ok((
            StatusCode::OK,
            Json(reactions::mine(&state, &viewer, &id, &emoji).await?),
        )),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WhichEmoji {
    /// The emoji to take back (or send `{"emoji": …}` as the body).
    emoji: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/api/v1/clips/{id}/reactions",
    tag = "threads",
    summary = "Take back my reaction",
    params(MessageId, WhichEmoji),
    request_body(content = Option<TakenBack>, description = "Which emoji, unless `?emoji=` says"),
    responses((status = 204, description = "Taken back"), crate::http::api_doc::Failures)
)]
pub async fn take_back(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<WhichEmoji>,
    body: Bytes,
) -> AppResult<StatusCode> {
    let emoji = match query.emoji {
        Some(emoji) => emoji,
        None if body.is_empty() => return Err(AppError::BadRequest("which emoji? (?emoji= or {\"emoji\": …})".into())),
        None => {
            serde_json::from_slice::<TakenBack>(&body)
                .map_err(|e| AppError::BadRequest(format!("the body is not {{\"emoji\": …}}: {e}")))?
                .emoji
        }
    };
    reactions::take_back(&state, &viewer, &id, &emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}
