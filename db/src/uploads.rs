//! Upload sessions.

use crate::Timestamp;
use crate::domain::{TakeEnding, Visibility};

/// A session as the database keeps it; serialised, what its owner is shown of it (see
/// `services::uploads::UploadView`).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SessionRow {
    pub id: String,
    #[serde(skip)]
    pub owner_id: String,
    pub length: Option<i64>,
    pub offset: i64,
    #[serde(skip)]
    pub title: Option<String>,
    #[serde(skip)]
    pub clip_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The clip this session becomes, and its share link: known from the start.
    #[serde(skip)]
    pub reserved_clip_id: Option<String>,
    #[serde(skip)]
    pub share_token: Option<String>,
    #[sqlx(try_from = "String")]
    #[serde(skip)]
    pub visibility: Visibility,
    /// The S3 multipart upload its parts go to, once one is started.
    #[serde(skip)]
    pub multipart_key: Option<String>,
    #[serde(skip)]
    pub multipart_id: Option<String>,
    /// Its parts' size (all but the last), fixed when the multipart upload started.
    #[serde(skip)]
    pub multipart_part_size: Option<i64>,
    /// The sha256 of the whole body, once finished: a client confirms its take by this.
    #[serde(rename = "sha256")]
    pub body_sha256: Option<String>,
    /// The process holding its bytes (see `ProcessRegistry`).
    #[serde(skip)]
    pub holder: Option<String>,
}

/// What a process taking a session over has of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takeover {
    /// All of them, on its own disk (a restart on the same data directory).
    KeepBytes,
    /// None (they were on the gone process's disk): the session starts again from nothing — no
    /// bytes, no multipart upload, no parts — and the client resends from offset 0.
    StartOver,
}

/// A new session: whose, how long (if known), and what the clip it becomes will be.
#[derive(Debug)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub length: Option<i64>,
    pub title: Option<&'a str>,
    pub reserved_clip_id: &'a str,
    pub share_token: &'a str,
    pub visibility: Visibility,
    /// The process that will hold its bytes.
    pub holder: &'a str,
}

/// A take its recorder cancelled while recording: what its link says from then on.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CancelledTake {
    pub share_token: String,
    pub owner_id: String,
    pub title: Option<String>,
    #[sqlx(try_from = "String")]
    pub reason: TakeEnding,
    pub started_at: Timestamp,
    pub cancelled_at: Timestamp,
}

/// Whether a new session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Opened,
    /// Its owner has this many unfinished already, as many as they may.
    TooMany(i64),
}

/// Resumable upload sessions and the S3 parts they have sent.
#[async_trait::async_trait]
pub trait UploadStore: Send + Sync {
    /// Inserts the session unless its owner already has `most_open` unfinished ones: counted
    /// and inserted in one transaction (the owner's row locked where the database can), so
    /// requests at once cannot all pass the count.
    async fn insert(&self, session: &NewSession<'_>, most_open: i64) -> crate::Result<Opened>;

    async fn get(&self, id: &str) -> crate::Result<Option<SessionRow>>;

    /// Makes `holder` the session's holder in place of `from` (a process that is gone);
    /// `false` if someone else took it over first.
    async fn take_over(&self, id: &str, from: Option<&str>, holder: &str, bytes: Takeover) -> crate::Result<bool>;

    /// How many sessions are still open (not finished).
    async fn open_count(&self) -> crate::Result<i64>;

    /// How many sessions `owner_id` has open, and the bytes they hold together.
    async fn open_of(&self, owner_id: &str) -> crate::Result<(i64, i64)>;

    /// The owner's unfinished sessions.
    async fn unfinished_of(&self, owner_id: &str) -> crate::Result<Vec<SessionRow>>;

    /// The unfinished session behind a share link, if the link is one reserved for a take still
    /// being recorded.
    async fn recording_by_share_token(&self, token: &str) -> crate::Result<Option<SessionRow>>;

    /// Records how many bytes are durably on disk, and the final length once known.
    async fn advance(&self, id: &str, offset: i64, length: Option<i64>) -> crate::Result<()>;

    async fn finished(&self, id: &str, clip_id: &str, body_sha256: &str) -> crate::Result<()>;

    async fn delete(&self, id: &str) -> crate::Result<()>;

    /// Deletes an unfinished session that ended without a clip; its link (if it had one) is
    /// remembered, with how it ended.
    async fn cancel(&self, id: &str, at: Timestamp, reason: TakeEnding) -> crate::Result<()>;

    /// Takes still being recorded (a link, no length yet) whose bytes stopped arriving before
    /// `before`.
    async fn stalled(&self, before: Timestamp) -> crate::Result<Vec<SessionRow>>;

    /// Notes that `clip_id` is what arrived of a take that stopped arriving.
    async fn mark_stopped(&self, clip_id: &str, at: Timestamp) -> crate::Result<()>;

    /// Whether `clip_id` is what arrived of a take that stopped arriving.
    async fn stopped(&self, clip_id: &str) -> crate::Result<bool>;

    /// The cancelled take behind a share link, if it was one.
    async fn cancelled_by_share_token(&self, token: &str) -> crate::Result<Option<CancelledTake>>;

    /// Unfinished sessions untouched since `before`.
    async fn abandoned(&self, before: Timestamp) -> crate::Result<Vec<SessionRow>>;

    async fn set_multipart(&self, id: &str, key: &str, upload_id: &str, part_size: i64) -> crate::Result<()>;

    /// The parts sent so far, by number: always 1…n (a part is recorded only after the ones before).
    async fn parts(&self, id: &str) -> crate::Result<Vec<(i32, String)>>;

    async fn add_part(&self, id: &str, number: i32, etag: &str) -> crate::Result<()>;
}
