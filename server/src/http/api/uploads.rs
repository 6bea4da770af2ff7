//! Resumable uploads, tus 1.0 (core; creation with `Upload-Defer-Length`; termination), so a
//! take can be sent while it is still being recorded and resumed after any failure:
//!
//! - `POST /api/v1/uploads` (`Upload-Length` or `Upload-Defer-Length: 1`, optional
//!   `Upload-Metadata: title <base64>,visibility <base64 of workspace|link>`) → 201 with
//!   `Location`, and the clip's share link in `Offbeat-Page-Url` at once: until the take is
//!   final its page says it is being recorded.
//! - `HEAD /api/v1/uploads/{id}` → `Upload-Offset`: how much the server has, durably.
//! - `PATCH /api/v1/uploads/{id}` (`Upload-Offset` must match; `application/offset+octet-stream`)
//!   appends, and may set the final `Upload-Length`. When the offset reaches the length the
//!   body runs the same checks as a one-shot upload and becomes a clip, atomically; the answer
//!   carries `Offbeat-Clip-Id` and `Offbeat-Clip-Url`.
//! - `GET /api/v1/uploads/{id}` → JSON: offset, length, and once done the body's sha256 (what a
//!   client compares with its take) and the clip.
//! - `DELETE /api/v1/uploads/{id}` → gone.
//!
//! This module only speaks the protocol; the sessions are [`crate::services::uploads`].

use crate::http::extract::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::services::uploads::{self, Append, DeclaredLength, NewUpload, UploadView};
use crate::state::AppState;
use db::domain::Visibility;
use db::uploads::SessionRow;

const TUS_VERSION: &str = "1.0.0";

/// The `Tus-Resumable` header's one value, for the description: without it a tus request is
/// answered 412.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // described, never built: the header is checked by `headers::tus_version`
pub enum TusResumable {
    #[schema(rename = "1.0.0")]
    V1,
}
const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");

fn tus_headers() -> [(HeaderName, HeaderValue); 1] {
    [(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION))]
}

pub(crate) fn number(headers: &HeaderMap, name: &HeaderName) -> AppResult<Option<i64>> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| AppError::BadRequest(format!("{name} is not a non-negative number")))
        })
        .transpose()
}

/// `OPTIONS /api/v1/uploads`: what this server speaks.
#[utoipa::path(
    options,
    path = "/api/v1/uploads",
    tag = "uploads",
    summary = "tus discovery",
    responses((status = 204, description = "The tus version and extensions spoken"), crate::http::api_doc::Failures)
)]
pub async fn options(State(state): State<AppState>) -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            ("tus-resumable", TUS_VERSION.to_owned()),
            ("tus-version", TUS_VERSION.to_owned()),
            (
                "tus-extension",
                "creation,creation-defer-length,creation-with-upload,termination,expiration".to_owned(),
            ),
            ("tus-max-size", state.config.max_upload_bytes.to_string()),
        ],
    )
        .into_response()
}

#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    tag = "uploads",
    summary = "Start a resumable upload (tus)",
    params(("tus-resumable" = TusResumable, Header, description = "The tus version: 1.0.0"), ("upload-length" = Option<u64>, Header, description = "The take's size, if known"), ("upload-defer-length" = Option<String>, Header, description = "1: the size comes with the last PATCH"), ("upload-metadata" = Option<String>, Header, description = "title <base64>")),
    request_body(content = Option<String>, content_type = "application/offset+octet-stream", description = "The take's first bytes (creation-with-upload), optional"),
    responses((status = 201, description = "A session; Location says where to send, Offbeat-Page-Url the link it becomes, Upload-Offset how much of a body came with it"), crate::http::api_doc::Failures)
)]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let length = match (number(&headers, &UPLOAD_LENGTH)?, headers.get(&UPLOAD_DEFER_LENGTH)) {
        (Some(length), _) => DeclaredLength::Known(length as u64),
        (None, Some(defer)) if defer == "1" => DeclaredLength::Deferred,
        (None, _) => {
            return Err(AppError::BadRequest(
                "Upload-Length or Upload-Defer-Length: 1 is required".into(),
            ));
        }
    };
    let meta = metadata(&headers)?;
    let visibility = match metadata_value(&meta, "visibility") {
        None => Visibility::Workspace,
        Some(text) => text
            .parse()
            .map_err(|_| AppError::BadRequest(format!("visibility is workspace or link, not {text:?}")))?,
    };
    let new = NewUpload {
        length,
        title: metadata_value(&meta, "title"),
        visibility,
    };
    let mut session = uploads::create(&state, &viewer, new).await?;
    // creation-with-upload: a body of the upload's own type is its first bytes (any other body
    // is not the upload's, and Upload-Offset: 0 says nothing of it was kept).
    if is_upload_body(&headers) {
        let at = Append {
            offset: 0,
            length: None,
        };
        session = uploads::append(&state, &viewer, &session.id, at, body.into_data_stream()).await?;
    }
    let location = format!("{}/api/v1/uploads/{}", state.public_url, session.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::response::AppendHeaders(offset_headers(&session, &state)),
    )
        .into_response())
}

/// `Upload-Metadata`: comma-separated pairs of a key and, optionally, its value in base64
/// (tus 1.0 "creation"). A header that does not parse, a key twice, or a value that is not
/// base64 of single-line UTF-8 is refused (400) rather than quietly dropped.
pub(crate) fn metadata(headers: &HeaderMap) -> AppResult<Vec<(String, String)>> {
    let Some(meta) = headers.get("upload-metadata") else {
        return Ok(Vec::new());
    };
    let refuse = |why: String| AppError::BadRequest(format!("Upload-Metadata: {why}"));
    let meta = meta.to_str().map_err(|_| refuse("not ASCII".into()))?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in meta.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(refuse(format!("{key:?} is not a key")));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| refuse(format!("the value of {key} is not base64")))?;
        let text = String::from_utf8(bytes).map_err(|_| refuse(format!("the value of {key} is not UTF-8 text")))?;
        let text = crate::services::text::single_line(&text, &format!("Upload-Metadata {key}"))?;
        if pairs.iter().any(|(k, _)| k == key) {
            return Err(refuse(format!("{key} is given twice")));
        }
        pairs.push((key.to_owned(), text));
    }
    Ok(pairs)
}

/// The value of `wanted` in parsed `Upload-Metadata`.
fn metadata_value(pairs: &[(String, String)], wanted: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(key, _)| key == wanted)
        .map(|(_, value)| value.clone())
}

/// Whether the request's body is bytes of the upload (`application/offset+octet-stream`).
fn is_upload_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/offset+octet-stream")
}

fn offset_headers(session: &SessionRow, state: &AppState) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION)),
        (UPLOAD_OFFSET, HeaderValue::from(session.offset)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    // tus "expiration": an unfinished session untouched for the TTL is removed.
    if session.clip_id.is_none()
        && let Ok(ttl) =
            chrono::Duration::from_std(std::time::Duration::from_secs(state.config.upload_session_ttl_secs))
        && let Ok(expires) = HeaderValue::from_str(
            &(session.updated_at.instant() + ttl)
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
        )
    {
        headers.push((HeaderName::from_static("upload-expires"), expires));
    }
    match session.length {
        Some(length) => headers.push((UPLOAD_LENGTH, HeaderValue::from(length))),
        None => headers.push((UPLOAD_DEFER_LENGTH, HeaderValue::from_static("1"))),
    }
    if let Some(token) = &session.share_token
        && let Ok(v) = HeaderValue::from_str(&format!("{}/c/{token}", state.public_url))
    {
        headers.push((HeaderName::from_static("offbeat-page-url"), v));
    }
    if let Some(clip) = &session.clip_id {
        if let Ok(v) = HeaderValue::from_str(clip) {
            headers.push((HeaderName::from_static("offbeat-clip-id"), v));
        }
        if let Ok(v) = HeaderValue::from_str(&format!("{}/api/v1/clips/{clip}", state.public_url)) {
            headers.push((HeaderName::from_static("offbeat-clip-url"), v));
        }
    }
    headers
}

#[utoipa::path(
    head,
    path = "/api/v1/uploads/{id}",
    tag = "uploads",
    summary = "How much of an upload arrived (tus)",
    params(("id" = String, Path, description = "The session's id"), ("tus-resumable" = TusResumable, Header, description = "The tus version: 1.0.0")),
    responses((status = 200, description = "Upload-Offset says how much arrived"), crate::http::api_doc::Failures)
)]
pub async fn head(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Response> {
    let session = uploads::get(&state, &viewer, &id).await?;
    Ok((
        StatusCode::OK,
        axum::response::AppendHeaders(offset_headers(&session, &state)),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/uploads/{id}",
    tag = "uploads",
    summary = "An upload session",
    params(("id" = String, Path, description = "The session's id")),
    responses((status = 200, body = UploadView), crate::http::api_doc::Failures)
)]
pub async fn show(State(state): State<AppState>, viewer: Viewer, id: Path<String>) -> AppResult<Json<UploadView>> {
    Ok(Json(uploads::view(&state, &viewer, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/uploads/{id}",
    tag = "uploads",
    summary = "Send more of an upload (tus)",
    params(("id" = String, Path, description = "The session's id"), ("tus-resumable" = TusResumable, Header, description = "The tus version: 1.0.0"), ("upload-offset" = u64, Header, description = "Where these bytes go"), ("upload-length" = Option<u64>, Header, description = "The whole size, on the last PATCH of a deferred one")),
    request_body(content = String, content_type = "application/offset+octet-stream", description = "The next bytes of the take"),
    responses((status = 204, description = "Stored; Upload-Offset says how far; Offbeat-Clip-Id once whole"), crate::http::api_doc::Failures)
)]
pub async fn patch(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    if !is_upload_body(&headers) {
        return Err(AppError::UnsupportedMedia(
            "PATCH bodies are application/offset+octet-stream".into(),
        ));
    }
    let Some(offset) = number(&headers, &UPLOAD_OFFSET)? else {
        return Err(AppError::BadRequest("Upload-Offset is required".into()));
    };
    let at = Append {
        offset,
        length: number(&headers, &UPLOAD_LENGTH)?,
    };
    let session = uploads::append(&state, &viewer, &id, at, body.into_data_stream()).await?;
    Ok((
        StatusCode::NO_CONTENT,
        axum::response::AppendHeaders(offset_headers(&session, &state)),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/uploads/{id}",
    tag = "uploads",
    summary = "Abandon an upload (tus)",
    params(("id" = String, Path, description = "The session's id"), ("tus-resumable" = TusResumable, Header, description = "The tus version: 1.0.0")),
    responses((status = 204, description = "Removed with its bytes"), crate::http::api_doc::Failures)
)]
pub async fn terminate(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Response> {
    uploads::abandon(&state, &viewer, &id).await?;
    Ok((StatusCode::NO_CONTENT, tus_headers()).into_response())
}
