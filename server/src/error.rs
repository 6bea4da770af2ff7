//! One error type for every route: each variant maps to a status and a stable code in one
//! `match`, and is rendered as `{"error": {"code", "message"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(Missing),
    #[error("sign in first (or the token was revoked)")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// A condition the request set (If-Match) does not hold.
    #[error("{0}")]
    PreconditionFailed(String),
    /// It existed, and is over (an invitation used up, expired or revoked).
    #[error("{0}")]
    Gone(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("the requested range is not satisfiable (the clip has {size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    #[error("the transcript is {status}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    TranscriptNotReady {
        status: db::domain::TranscriptStatus,
        reason: Option<String>,
    },
    /// A body or query the server could not read (bad JSON, a missing field, a wrong type),
    /// with the status the reader chose (400, 413, 415 or 422).
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
    /// A member has as many of something open as they may (upload sessions).
    #[error("{0}")]
    TooManyOpen(String),
    /// A quota of bytes is used up (staged uploads, a workspace's storage).
    #[error("{0}")]
    InsufficientStorage(String),
    #[error("storage is unavailable; try again shortly")]
    StorageUnavailable(#[source] StorageError),
    /// Work the server bounds (password hashing) has no room now; try again soon.
    #[error("{0}")]
    Busy(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "precondition_failed"),
            AppError::Gone(_) => (StatusCode::GONE, "gone"),
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::UnsupportedMedia(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media"),
            AppError::RangeNotSatisfiable { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable"),
            AppError::TranscriptNotReady { .. } => (StatusCode::CONFLICT, "transcript_not_ready"),
            AppError::Rejected { status, .. } => (
                *status,
                match status.as_u16() {
                    413 => "too_large",
                    415 => "unsupported_media",
                    422 => "unprocessable",
                    _ => "bad_request",
                },
            ),
            AppError::TooManyOpen(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_open"),
            AppError::InsufficientStorage(_) => (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage"),
            AppError::StorageUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            AppError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            // The source goes to the log, never to the client.
            tracing::error!(error = ?self, "{code}");
        }
        let body = Json(json!({ "error": { "code": code, "message": self.to_string() } }));
        let mut response = (status, body).into_response();
        match self {
            AppError::StorageUnavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            AppError::Busy(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            AppError::RangeNotSatisfiable { size } => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        response
    }
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => AppError::NotFound(Missing::StoredObject),
            StorageError::Unavailable(_) => {
                crate::metrics::storage_error();
                AppError::StorageUnavailable(err)
            }
            other => {
                crate::metrics::storage_error();
                AppError::Internal(other.into())
            }
        }
    }
}

impl From<db::Error> for AppError {
    fn from(err: db::Error) -> Self {
        crate::metrics::database_error(&err);
        AppError::Internal(err.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// What a 404 did not find, so its message names the right thing. A clip that exists but may
/// not be seen is [`Missing::Clip`] too: its answer must not differ from a made-up id's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Clip,
    UploadSession,
    Token,
    Poster,
    /// A file in storage that the database says is there (media, captions).
    StoredObject,
    Page,
    Member,
    Invite,
    Reply,
    Reaction,
    Webhook,
    Checkin,
    Round,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Missing::Clip => "no such clip",
            Missing::UploadSession => "no such upload session",
            Missing::Token => "no such API token",
            Missing::Poster => "this clip has no poster",
            Missing::StoredObject => "the stored file is missing",
            Missing::Page => "no such page",
            Missing::Member => "no such member",
            Missing::Invite => "no such invitation",
            Missing::Reaction => "no such reaction of yours",
            Missing::Reply => "no such reply",
            Missing::Webhook => "no such webhook",
            Missing::Checkin => "no such check-in",
            Missing::Round => "no such round",
        })
    }
}
