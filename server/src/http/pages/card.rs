//! `/c/{token}/card.png`: the picture a chat app shows when a link is pasted (`og:image`,
//! oEmbed's `thumbnail_url`). A video's poster is its own picture; a voice message gets this
//! card: its waveform, drawn from the peaks the player draws, in the page's colours. Only for
//! clips anyone with the link may open, like the previews that point at it.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, AppResult, Missing};
use crate::services::links;
use crate::state::AppState;

/// Open Graph's recommended size (1.91:1).
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;
const BARS: usize = 96;
const BACKGROUND: [u8; 3] = [0xf5, 0xf5, 0xf7];
const ACCENT: [u8; 3] = [0x3b, 0x5b, 0xdb];

pub async fn card(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<Response> {
    let (clip, _) = links::public_clip(&state, &token).await?;
    let peaks = state
        .db
        .clips()
        .get_with_peaks(&clip.id)
        .await?
        .ok_or(AppError::NotFound(Missing::Clip))?
        .peaks;
    let png = tokio::task::spawn_blocking(move || render(&peaks))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut response = (StatusCode::OK, png).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    if let Ok(tag) = HeaderValue::from_str(&format!("\"card-{}\"", clip.media.sha256)) {
        headers.insert(header::ETAG, tag);
    }
    Ok(response)
}

/// The waveform as bars centred on a line, on the page's light card colour.
pub fn render(peaks: &[u8]) -> AppResult<Vec<u8>> {
    let (width, height) = (WIDTH as usize, HEIGHT as usize);
    let mut pixels = BACKGROUND.repeat(width * height);
    let margin = 80;
    let slot = (width - 2 * margin) / BARS;
    let bar = slot * 3 / 5;
    let middle = height / 2;
    let tallest = height / 2 - margin;
    for i in 0..BARS {
        // Each bar the loudest of its share of the peaks (silence still shows a sliver).
        let from = i * peaks.len() / BARS;
        let to = ((i + 1) * peaks.len() / BARS).max(from + 1).min(peaks.len());
        let peak = peaks.get(from..to).and_then(|p| p.iter().max()).copied().unwrap_or(0);
        let half = (usize::from(peak) * tallest / 255).max(4);
        let x0 = (width - BARS * slot) / 2 + i * slot;
        for y in middle - half..middle + half {
            for x in x0..x0 + bar {
                let at = (y * width + x) * 3;
                pixels[at..at + 3].copy_from_slice(&ACCENT);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let failed = |e: png::EncodingError| AppError::Internal(anyhow::anyhow!("cannot draw the link card: {e}"));
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_is_a_png_of_the_right_size_with_the_waveform_on_it() {
        let peaks: Vec<u8> = (0..400).map(|i| ((i * 7) % 256) as u8).collect();
        let png = render(&peaks).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        let accent = pixels.chunks(3).filter(|p| *p == ACCENT).count();
        assert!(accent > 10_000, "{accent} pixels of waveform");
        assert!(render(&[]).is_ok(), "no peaks at all still draws a card");
    }
}
