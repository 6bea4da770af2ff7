//! `/oembed?url=…/c/{token}`: how chat apps embed a link-shared clip. Workspace-only clips (and
//! dead links) get 404, exactly like links that never existed.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{AppError, AppResult, Missing};
use crate::services::links;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct OembedQuery {
    url: String,
    format: Option<String>,
    maxwidth: Option<u32>,
}

pub async fn oembed(State(state): State<AppState>, Query(query): Query<OembedQuery>) -> AppResult<Json<Value>> {
    if query.format.as_deref().is_some_and(|f| f != "json") {
        return Err(AppError::BadRequest("only format=json".into()));
    }
    let token = query
        .url
        .split_once("/c/")
        .map(|(_, rest)| rest.split(['?', '#', '/']).next().unwrap_or(rest))
        .ok_or(AppError::NotFound(Missing::Clip))?;
    let (clip, author) = links::public_clip(&state, token).await?;
    let width = query.maxwidth.unwrap_or(560).clamp(200, 1280);
    let height = if clip.media.has_video {
        width * 9 / 16 + 120
    } else {
        180
    };
    let src = format!("{}/c/{token}?embed=1", state.public_url);
    Ok(Json(json!({
        "version": "1.0",
        "type": if clip.media.has_video { "video" } else { "rich" },
        "provider_name": "Offbeat",
        "provider_url": state.public_url,
        "title": clip.display_title(),
        "author_name": author.map(|a| a.display_name),
        "width": width,
        "height": height,
        "html": format!(
            "<iframe src=\"{src}\" width=\"{width}\" height=\"{height}\" frameborder=\"0\" allow=\"autoplay; fullscreen\" title=\"{}\"></iframe>",
            escape_attribute(clip.display_title())
        ),
    })))
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
