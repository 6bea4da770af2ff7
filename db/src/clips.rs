//! Clip rows.

use crate::Timestamp;
use serde::Serialize;

pub use crate::domain::Scope;
use crate::domain::{ClipAccess, ClipStatus, OutsidersSee, Visibility};

/// A stored clip, as the database holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClipRow {
    pub id: String,
    pub title: String,
    pub author: Option<String>,
    pub created_at: Timestamp,
    pub recorded_at: Option<Timestamp>,
    pub recorded_utc_offset: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: ClipStatus,
    /// What the stored file is.
    #[sqlx(flatten)]
    pub media: StoredMedia,
    pub duration_ms: i64,
    /// The object holding the media, or (see `layout`) the body its tail is read from.
    pub storage_key: String,
    #[sqlx(flatten)]
    pub layout: MediaLayout,
    /// Whether the media is the owner's cut of the recording.
    #[sqlx(flatten)]
    pub trim: Trim,
    pub peaks_per_second: i64,
    pub peaks: Vec<u8>,
    pub silences: String,
    pub owner_id: Option<String>,
    pub workspace_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    pub share_token: Option<String>,
    pub share_expires_at: Option<Timestamp>,
    pub guests_may_reply: bool,
    #[sqlx(try_from = "String")]
    pub outsiders_see: OutsidersSee,
    pub poster_key: Option<String>,
}

impl ClipRow {
    /// The title people see: "Untitled clip" while it has none (until its transcript names it).
    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            "Untitled clip"
        } else {
            &self.title
        }
    }
}

/// The facts of a stored clip's file, as the database keeps them and the API shows them.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct StoredMedia {
    pub container: String,
    pub content_type: String,
    pub audio_codec: String,
    pub video_codec: Option<String>,
    pub has_video: bool,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub channels: i64,
    pub sample_rate: i64,
    pub byte_size: i64,
    pub sha256: String,
}

/// How a clip's media is made from its stored objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaLayout {
    /// The object at `storage_key` is the media.
    Whole,
    /// The object at `head_key`, then bytes `tail` of the object at `storage_key`: a video
    /// WebM stored as it arrived, made seekable by a head (Duration, Cues) of its own, so that
    /// finishing a long take never copies its clusters.
    HeadBeforeTail {
        head_key: String,
        tail: std::ops::Range<u64>,
    },
}

/// Read from the columns `head_key`, `tail_start` and `tail_end`: all three set, or none.
impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for MediaLayout
where
    &'static str: sqlx::ColumnIndex<R>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let head_key: Option<String> = row.try_get("head_key")?;
        let tail_start: Option<i64> = row.try_get("tail_start")?;
        let tail_end: Option<i64> = row.try_get("tail_end")?;
        match (head_key, tail_start, tail_end) {
            (None, None, None) => Ok(Self::Whole),
            (Some(head_key), Some(start), Some(end)) if 0 <= start && start <= end => Ok(Self::HeadBeforeTail {
                head_key,
                tail: start as u64..end as u64,
            }),
            _ => Err(sqlx::Error::ColumnDecode {
                index: "head_key".into(),
                source: "a clip's head_key, tail_start and tail_end are set together".into(),
            }),
        }
    }
}

/// What of the recording a clip's media is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// All of it, as recorded.
    Whole,
    /// The owner's cut of it.
    Cut(TrimSpan),
}

/// Where a cut lies in the original, in the original's milliseconds: the cut's time 0, where
/// its sound starts (later than `zero_ms` only in a video whose picture starts at a keyframe
/// before the cut), and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimSpan {
    pub zero_ms: i64,
    pub from_ms: i64,
    pub end_ms: i64,
}

impl TrimSpan {
    /// Where a moment of the original is in the cut; `None` when it was cut away.
    pub fn served_ms(&self, original_ms: i64) -> Option<i64> {
        (self.from_ms <= original_ms && original_ms < self.end_ms).then_some(original_ms - self.zero_ms)
    }

    /// Where a moment of the cut is in the original.
    pub fn original_ms(&self, served_ms: i64) -> i64 {
        served_ms + self.zero_ms
    }

    /// This cut, cut again by `inner` (whose times are this cut's).
    pub fn then(&self, inner: TrimSpan) -> TrimSpan {
        TrimSpan {
            zero_ms: self.zero_ms + inner.zero_ms,
            from_ms: self.zero_ms + inner.from_ms,
            end_ms: self.zero_ms + inner.end_ms,
        }
    }
}

impl Trim {
    /// Where a moment of the original is in what is served (`None`: cut away).
    pub fn served_ms(&self, original_ms: i64) -> Option<i64> {
        match self {
            Self::Whole => Some(original_ms),
            Self::Cut(span) => span.served_ms(original_ms),
        }
    }

    /// Where a moment of what is served is in the original.
    pub fn original_ms(&self, served_ms: i64) -> i64 {
        match self {
            Self::Whole => served_ms,
            Self::Cut(span) => span.original_ms(served_ms),
        }
    }

    /// The values of `trim_zero_ms`, `trim_from_ms` and `trim_end_ms`.
    pub fn columns(&self) -> (Option<i64>, Option<i64>, Option<i64>) {
        match self {
            Self::Whole => (None, None, None),
            Self::Cut(span) => (Some(span.zero_ms), Some(span.from_ms), Some(span.end_ms)),
        }
    }
}

/// Read from the columns `trim_zero_ms`, `trim_from_ms` and `trim_end_ms`: all three, or none.
impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for Trim
where
    &'static str: sqlx::ColumnIndex<R>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let zero: Option<i64> = row.try_get("trim_zero_ms")?;
        let from: Option<i64> = row.try_get("trim_from_ms")?;
        let end: Option<i64> = row.try_get("trim_end_ms")?;
        match (zero, from, end) {
            (None, None, None) => Ok(Self::Whole),
            (Some(zero_ms), Some(from_ms), Some(end_ms)) => Ok(Self::Cut(TrimSpan {
                zero_ms,
                from_ms,
                end_ms,
            })),
            _ => Err(sqlx::Error::ColumnDecode {
                index: "trim_zero_ms".into(),
                source: "a clip's trim_zero_ms, trim_from_ms and trim_end_ms are set together".into(),
            }),
        }
    }
}

/// A trimmed clip's original media, kept until the owner keeps the cut or undoes it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OriginalMedia {
    pub storage_key: String,
    #[sqlx(flatten)]
    pub layout: MediaLayout,
    pub byte_size: i64,
    pub sha256: String,
    pub duration_ms: i64,
    pub peaks: Vec<u8>,
    pub silences: String,
}

/// The media a cut made: one object, with what the clip's row says of its media.
#[derive(Debug, Clone)]
pub struct CutMedia {
    pub storage_key: String,
    pub byte_size: i64,
    pub sha256: String,
    pub duration_ms: i64,
    pub peaks: Vec<u8>,
    pub silences: String,
    pub span: TrimSpan,
}

impl MediaLayout {
    /// The values of `head_key`, `tail_start` and `tail_end`.
    pub fn columns(&self) -> (Option<&str>, Option<i64>, Option<i64>) {
        match self {
            Self::Whole => (None, None, None),
            Self::HeadBeforeTail { head_key, tail } => (
                Some(head_key),
                i64::try_from(tail.start).ok(),
                i64::try_from(tail.end).ok(),
            ),
        }
    }
}

impl ClipRow {
    /// What the access policy looks at.
    pub fn access(&self) -> ClipAccess<'_> {
        ClipAccess {
            owner_id: self.owner_id.as_deref(),
            workspace_id: self.workspace_id.as_deref(),
            visibility: self.visibility,
            share_token: self.share_token.as_deref(),
            share_expires_at: self.share_expires_at.map(Timestamp::instant),
            guests_may_reply: self.guests_may_reply,
            outsiders_see: self.outsiders_see,
        }
    }
}

/// An object noted as being stored for a clip whose row is not there yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BeingStored {
    pub clip_id: String,
    pub key: String,
    /// The process storing it.
    pub holder: String,
    pub created_at: Timestamp,
}

/// Which clips a listing holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Every clip, voice and video replies included (the API's listing).
    Clips,
    /// Messages: the clips that start a thread. Replies are read in their threads.
    Messages,
}

/// Where a page of the newest-first listing starts: after this clip.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cursor {
    pub created_at: Timestamp,
    pub id: String,
}

/// What becomes of a clip stored as a head before its body once its row is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Composing {
    /// A job makes it one object (so browsers can be sent to the storage for it).
    InBackground,
    /// It stays as stored; the server streams it.
    Never,
}

/// Clips: stored, listed, shared, tombstoned.
#[async_trait::async_trait]
pub trait ClipStore: Send + Sync {
    /// Inserts the clip with its pending transcript job (and, stored as a head before its body,
    /// its compose job when `composing` says so), in one transaction: no clip is ever without
    /// its jobs. The objects noted as being stored for it are no longer stray.
    async fn insert(&self, clip: &ClipRow, composing: Composing) -> crate::Result<()>;

    /// Makes the object `key` the clip's whole media in place of the head `was_head` before
    /// the body `was_key`, if it is still stored so: those two are then noted as being stored
    /// by `holder`, for the janitor to remove once nobody can still be reading them. Whether
    /// the clip was switched (not: deleted, trimmed or switched already).
    async fn composed(&self, id: &str, was_key: &str, was_head: &str, key: &str, holder: &str) -> crate::Result<bool>;

    /// Every object key a row names (media, heads, posters, captions): what a backup copies.
    async fn object_keys(&self) -> crate::Result<Vec<String>>;

    /// The bytes a workspace holds: its live clips' media, and its members' unfinished uploads.
    async fn workspace_usage(&self, workspace_id: &str) -> crate::Result<(i64, i64)>;

    /// Notes that `holder` is about to store `keys` for the clip `clip_id` (before its row).
    async fn storing(&self, clip_id: &str, keys: &[&str], holder: &str) -> crate::Result<()>;

    /// Every object noted as being stored, oldest first.
    async fn being_stored(&self) -> crate::Result<Vec<BeingStored>>;

    /// Forgets that the object was being stored (it is gone, or its clip's row is there).
    async fn not_storing(&self, clip_id: &str, key: &str) -> crate::Result<()>;

    /// One clip without its peaks.
    async fn get(&self, id: &str) -> crate::Result<Option<ClipRow>>;

    /// The clips with these ids, without their peaks, in one query (unknown ids are left out).
    async fn get_many(&self, ids: &[&str]) -> crate::Result<Vec<ClipRow>>;

    /// One clip with its peaks.
    async fn get_with_peaks(&self, id: &str) -> crate::Result<Option<ClipRow>>;

    /// Newest first, after `after` (a previous page's last), only `author`'s if given.
    async fn list(
        &self,
        scope: Scope<'_>,
        listed: Listed,
        limit: i64,
        after: Option<&Cursor>,
        author: Option<&str>,
    ) -> crate::Result<Vec<ClipRow>>;

    /// The clip a share token belongs to.
    async fn by_share_token(&self, token: &str) -> crate::Result<Option<ClipRow>>;

    /// The sharing settings as a whole (the caller merged what changed).
    async fn update_sharing(&self, clip: &ClipRow) -> crate::Result<()>;

    async fn set_poster(&self, id: &str, key: &str) -> crate::Result<()>;

    async fn rename(&self, id: &str, title: &str) -> crate::Result<()>;

    /// Makes `cut` the clip's media, the original kept aside (unless an earlier cut, still
    /// undoable, already keeps it). Returns the keys no row names any more (an earlier cut's
    /// object); `None` when there is no such clip.
    async fn trim(&self, id: &str, cut: &CutMedia) -> crate::Result<Option<Vec<String>>>;

    /// The original media kept aside for a trimmed clip, if it still is.
    async fn original(&self, id: &str) -> crate::Result<Option<OriginalMedia>>;

    /// Puts the original media back (undoing the trim); returns the keys no row names any
    /// more (the cut's). `None` when no original is kept.
    async fn untrim(&self, id: &str) -> crate::Result<Option<Vec<String>>>;

    /// Keeps the cut for good: forgets the original and returns its keys (`None`: none kept).
    async fn keep_trim(&self, id: &str) -> crate::Result<Option<Vec<String>>>;

    /// Whether any row names the object `key` (a clip's media, head or poster, an original).
    async fn names_object(&self, key: &str) -> crate::Result<bool>;

    /// Keeps the row as a tombstone: a deleted clip that a thread still points at.
    async fn tombstone(&self, id: &str) -> crate::Result<()>;

    /// Removes the row; returns whether there was one.
    async fn delete(&self, id: &str) -> crate::Result<bool>;
}
