//! `GET /api/v1/clips/{id}/media`: the bytes, streamed from storage, with HTTP Range (206/416),
//! ETag/If-None-Match (304) — or a redirect to a short-lived presigned URL when so configured.

use crate::http::api_doc::{ClipId, ShareToken};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::io::ReaderStream;

use crate::auth::Viewer;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};
use crate::services::clips::find;
use crate::state::AppState;
use crate::storage::ByteRange;

const PRESIGNED_TTL: Duration = Duration::from_secs(300);

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}/media",
    tag = "clips",
    summary = "A clip's media (ranges, ETag)",
    params(ClipId, ShareToken, ("range" = Option<String>, Header, description = "bytes=first-last")),
    responses((status = 200, description = "The media: Ogg Opus, or WebM for a video", content((String = "audio/ogg"), (String = "video/webm"))), (status = 206, description = "A range of it", content((String = "audio/ogg"), (String = "video/webm"))), (status = 302, description = "A presigned URL for it"), (status = 304, description = "Not modified"), crate::http::api_doc::Failures)
)]
pub async fn media(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (clip, _) = find(&state, &viewer, &id, Action::PlayMedia).await?;
    // Fetching is not hearing (browsers preload): the player reports a play through
    // `POST …/seen`.
    let etag = format!("\"{}\"", clip.media.sha256);
    // If-Match that names another version: the client's copy is not this one (a trim changed
    // the bytes).
    if let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
        && !crate::http::headers::tag_list_names(wanted, &etag)
    {
        return Err(AppError::PreconditionFailed(
            "the media is not the version asked for (If-Match)".into(),
        ));
    }
    if if_none_match(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, "private, no-cache".into()),
            ],
        )
            .into_response());
    }
    if state.config.s3_presign_media
        && crate::storage::clip_media::is_one_object(&clip)
        && let Some(url) = state
            .storage
            .presigned_get(&clip.storage_key, PRESIGNED_TTL, &clip.media.content_type)
            .await?
    {
        return Ok((
            StatusCode::FOUND,
            [(header::LOCATION, url), (header::CACHE_CONTROL, "no-store".into())],
        )
            .into_response());
    }
    let size = u64::try_from(clip.media.byte_size).unwrap_or(0);
    // A Range under If-Range holds only for the version named; for any other (or a date: no
    // Last-Modified is given) the whole body is sent.
    let same_version = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == etag));
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) if same_version => parse_range(value, size)?,
        _ => None,
    };
    let reader = crate::storage::clip_media::open(&state.storage, &clip, range).await?;
    let body = Body::from_stream(ReaderStream::with_capacity(reader, 64 * 1024));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Revalidated on every use (a 304 costs nothing): its owner may trim it, or undo a trim.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    insert(h, header::CONTENT_TYPE, &clip.media.content_type);
    insert(h, header::ETAG, &etag);
    match range {
        Some(r) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = response.headers_mut();
            insert(
                h,
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{size}", r.first, r.last),
            );
            insert(h, header::CONTENT_LENGTH, &(r.last - r.first + 1).to_string());
        }
        None => insert(response.headers_mut(), header::CONTENT_LENGTH, &size.to_string()),
    }
    Ok(response)
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| crate::http::headers::tag_list_names(v, etag))
}

/// One `bytes=` range (RFC 9110 §14.1.2). Multiple ranges and syntax we do not understand are
/// ignored, which the RFC allows (the whole body is sent); a range past the end is 416.
pub(crate) fn parse_range(value: &str, size: u64) -> AppResult<Option<ByteRange>> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let unsatisfiable = AppError::RangeNotSatisfiable { size };
    let range = match (first.trim(), last.trim()) {
        ("", "") => return Ok(None),
        ("", suffix) => {
            let Ok(n) = suffix.parse::<u64>() else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(unsatisfiable);
            }
            ByteRange {
                first: size.saturating_sub(n),
                last: size - 1,
            }
        }
        (first, last) => {
            let Ok(first) = first.parse::<u64>() else {
                return Ok(None);
            };
            let last = if last.is_empty() {
                size.saturating_sub(1)
            } else {
                let Ok(last) = last.parse::<u64>() else {
                    return Ok(None);
                };
                if last < first {
                    return Ok(None);
                }
                last.min(size.saturating_sub(1))
            };
            if first >= size {
                return Err(unsatisfiable);
            }
            ByteRange { first, last }
        }
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> Option<ByteRange> {
        Some(ByteRange { first, last })
    }

    #[test]
    fn ranges_parse_per_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), r(0, 9));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), r(90, 99));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), r(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100).unwrap(), r(0, 99));
        assert_eq!(parse_range("bytes=50-1000", 100).unwrap(), r(50, 99));
        assert_eq!(parse_range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 100).unwrap(), None);
        assert_eq!(parse_range("bytes=5-2", 100).unwrap(), None);
        assert!(parse_range("bytes=100-", 100).is_err());
        assert!(parse_range("bytes=-0", 100).is_err());
    }
}
