//! `/oembed?url=…/c/{token}`: how chat apps embed a link-shared clip. Workspace-only clips (and
//! dead links) get 404, exactly like links that never existed.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::error::{AppError, AppResult, Missing};
use crate::services::links;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct OembedQuery {
    url: String,
    format: Option<String>,
    maxwidth: Option<u32>,
    maxheight: Option<u32>,
}

/// The player's default width, and the room its controls take below a video's picture.
const DEFAULT_WIDTH: u32 = 560;
const CONTROLS: u32 = 120;
const AUDIO_HEIGHT: u32 = 180;

/// oEmbed 1.0 (json only: another `format` is 501, as the spec says). The embed fits inside
/// `maxwidth` × `maxheight`: a video is scaled down to fit, a voice message's player narrowed
/// or shortened.
pub async fn oembed(State(state): State<AppState>, Query(query): Query<OembedQuery>) -> AppResult<Response> {
    if let Some(format) = query.format.as_deref().filter(|f| *f != "json") {
        return Ok((
            StatusCode::NOT_IMPLEMENTED,
            Json(
                json!({ "error": { "code": "not_implemented", "message": format!("only format=json, not {format}") } }),
            ),
        )
            .into_response());
    }
    let token = query
        .url
        .split_once("/c/")
        .map(|(_, rest)| rest.split(['?', '#', '/']).next().unwrap_or(rest))
        .ok_or(AppError::NotFound(Missing::Clip))?;
    let (clip, author) = links::public_clip(&state, token).await?;
    let mut width = query.maxwidth.unwrap_or(DEFAULT_WIDTH).clamp(1, 1280);
    let mut height = if clip.media.has_video {
        width * 9 / 16 + CONTROLS
    } else {
        AUDIO_HEIGHT
    };
    if let Some(most) = query.maxheight.filter(|&most| most < height) {
        if clip.media.has_video && most > CONTROLS {
            width = width.min((most - CONTROLS) * 16 / 9).max(1);
        }
        height = most.max(1);
    }
    let page = format!("{}/c/{token}", state.public_url);
    let src = format!("{page}?embed=1");
    let (thumbnail, thumbnail_width, thumbnail_height) = match clip.poster_key {
        Some(_) => (
            format!("{}/api/v1/clips/{}/poster?share={token}", state.public_url, clip.id),
            None,
            None,
        ),
        None => (
            format!("{page}/card.png"),
            Some(super::card::WIDTH),
            Some(super::card::HEIGHT),
        ),
    };
    Ok(Json(json!({
        "version": "1.0",
        "type": if clip.media.has_video { "video" } else { "rich" },
        "provider_name": "Offbeat",
        "provider_url": state.public_url,
        "title": clip.display_title(),
        "author_name": author.map(|a| a.display_name),
        "width": width,
        "height": height,
        "thumbnail_url": thumbnail,
        "thumbnail_width": thumbnail_width,
        "thumbnail_height": thumbnail_height,
        "html": format!(
            "<iframe src=\"{src}\" width=\"{width}\" height=\"{height}\" frameborder=\"0\" allow=\"autoplay; fullscreen\" title=\"{}\"></iframe>",
            escape_attribute(clip.display_title())
        ),
    }))
    .into_response())
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
