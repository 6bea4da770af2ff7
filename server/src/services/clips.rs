//! Clips as people may see them: the access check every clip route goes through, the view the
//! API and the pages show, listings.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::auth::Viewer;
use crate::auth::policy::{Action, Relation, allows, outsiders_may_see, relation, through_thread};
use crate::error::{AppError, AppResult, Missing};
use crate::state::AppState;
use crate::storage::keys::{Object, object_key};
use crate::transcription::Status;
use db::Timestamp;
use db::clips::{ClipRow, Cursor, Listed, StoredMedia};
use db::domain::{ClipStatus, JobKind, OutsidersSee, Scope, TranscriptStatus, User, Visibility};
use db::ids;

/// A clip as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClipView {
    pub id: String,
    pub title: String,
    pub author: Option<String>,
    /// Who owns it: for the pages (which list "yours" apart), never sent.
    #[serde(skip)]
    pub owner_id: Option<String>,
    pub status: ClipStatus,
    pub url: String,
    pub media_url: String,
    pub peaks_url: String,
    pub thread_url: String,
    pub created_at: Timestamp,
    /// When recording started, in the recorder's local time (its UTC offset included).
    #[serde(serialize_with = "crate::services::maybe_in_seconds")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recorded_at: Option<DateTime<FixedOffset>>,
    pub recorded_utc_offset_minutes: Option<i64>,
    pub duration_ms: i64,
    pub media: StoredMedia,
    pub transcript: TranscriptSummary,
    pub visibility: Visibility,
    /// The playback page, for whoever may view the clip.
    pub page_url: Option<String>,
    /// A frame of a video message, when it has one.
    pub poster_url: Option<String>,
    /// The sharing settings and link: shown to the owner only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing: Option<SharingView>,
    /// Where the owner's cut lies in the original recording, when the message is trimmed
    /// (its media, length and transcript are then the cut's).
    pub trim: Option<CutView>,
}

/// Where a cut lies in the original, in the original's milliseconds.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct CutView {
    /// The cut's time 0 (a video's picture starts at the keyframe here).
    pub zero_ms: i64,
    /// Where its sound starts.
    pub start_ms: i64,
    pub end_ms: i64,
}

impl CutView {
    pub fn of(trim: db::clips::Trim) -> Option<Self> {
        match trim {
            db::clips::Trim::Whole => None,
            db::clips::Trim::Cut(span) => Some(Self {
                zero_ms: span.zero_ms,
                start_ms: span.from_ms,
                end_ms: span.end_ms,
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SharingView {
    /// The link to hand out (works while visibility is 'link', not revoked, not expired).
    pub url: Option<String>,
    pub token: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub guests_may_reply: bool,
    /// What people who come through the link see of the thread.
    pub outsiders_see: OutsidersSee,
}

/// Where a clip's transcript stands, and where to get it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TranscriptSummary {
    pub status: TranscriptStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub url: String,
}

/// Who the view is for: the owner sees the sharing settings; someone who came through the link
/// gets links that carry it.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub relation: Relation,
    pub share_token: Option<&'a str>,
}

impl Audience<'_> {
    /// The uploader, right after the upload.
    pub const OWNER: Audience<'static> = Audience {
        relation: Relation::Owner,
        share_token: None,
    };
}

impl Viewer {
    /// How a clip view is shaped for this viewer, given their relation to the clip.
    pub fn audience(&self, relation: Relation) -> Audience<'_> {
        Audience {
            relation,
            share_token: self.share_token.as_deref(),
        }
    }
}

impl ClipView {
    /// The view of `row`, its transcript's status read from the database.
    pub async fn load(state: &AppState, row: ClipRow, audience: Audience<'_>) -> AppResult<Self> {
        let status = crate::services::transcripts::status_of(state, &row.id).await?;
        Ok(Self::new(row, &state.public_url, status, audience))
    }

    pub fn new(row: ClipRow, base: &str, transcript: Status, audience: Audience<'_>) -> Self {
        let url = format!("{base}/api/v1/clips/{}", row.id);
        // Links followed by a guest must carry the share token, or they would not open.
        let share_query = match (audience.relation, audience.share_token) {
            (Relation::LinkHolder, Some(token)) => format!("?share={token}"),
            _ => String::new(),
        };
        let sharing = (audience.relation == Relation::Owner).then(|| SharingView {
            url: row.share_token.as_ref().map(|t| share_url(base, t)),
            token: row.share_token.clone(),
            expires_at: row.share_expires_at,
            guests_may_reply: row.guests_may_reply,
            outsiders_see: row.outsiders_see,
        });
        let recorded_at = row.recorded_at.and_then(|instant| {
            let offset = FixedOffset::east_opt(i32::try_from(row.recorded_utc_offset? * 60).ok()?)?;
            Some(instant.with_timezone(&offset))
        });
        Self {
            transcript: TranscriptSummary {
                status: transcript.status,
                reason: transcript.reason,
                url: format!("{url}/transcript{share_query}"),
            },
            media_url: format!("{url}/media{share_query}"),
            thread_url: format!("{base}/api/v1/threads/{}{share_query}", row.id),
            peaks_url: format!("{url}/peaks{share_query}"),
            poster_url: row.poster_key.as_ref().map(|_| format!("{url}/poster{share_query}")),
            url: format!("{url}{share_query}"),
            // A guest gets the page of the link they hold, never another clip's link: a reply
            // reached through its thread's link stays reachable only through that link.
            page_url: match audience.relation {
                Relation::Stranger => None,
                Relation::LinkHolder if audience.share_token != row.share_token.as_deref() => None,
                Relation::LinkHolder => row.share_token.as_ref().map(|t| share_url(base, t)),
                // The team opens a message whose link was turned off by its id.
                Relation::Owner | Relation::Member => Some(match &row.share_token {
                    Some(token) => share_url(base, token),
                    None => format!("{base}/m/{}", row.id),
                }),
            },
            visibility: row.visibility,
            sharing,
            trim: CutView::of(row.trim),
            id: row.id,
            title: row.title,
            author: row.author,
            owner_id: row.owner_id,
            status: row.status,
            created_at: row.created_at,
            recorded_at,
            recorded_utc_offset_minutes: row.recorded_utc_offset,
            duration_ms: row.duration_ms,
            media: row.media,
        }
    }

    /// The title people see: "Untitled clip" when there is none.
    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            "Untitled clip"
        } else {
            &self.title
        }
    }
}

/// Views of many clips, each shaped for `viewer` in the relation it comes with; their
/// transcript states are read in one query.
pub async fn views(state: &AppState, viewer: &Viewer, rows: Vec<(ClipRow, Relation)>) -> AppResult<Vec<ClipView>> {
    let ids: Vec<&str> = rows.iter().map(|(row, _)| row.id.as_str()).collect();
    let mut jobs = state.db.jobs().of_clips(JobKind::Transcript, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|(row, relation)| {
            let status = state.transcription.status(jobs.remove(&row.id).as_ref());
            ClipView::new(row, &state.public_url, status, viewer.audience(relation))
        })
        .collect())
}

/// The clips among `rows` that `user` may see as a member (no share link involved), each with
/// the user's relation to it, in the order given.
pub fn visible_to_member(user: &User, rows: impl IntoIterator<Item = ClipRow>) -> Vec<(ClipRow, Relation)> {
    let now = Utc::now();
    rows.into_iter()
        .filter_map(|row| {
            let relation = relation(Some(user), None, &row.access(), now);
            check(&row, relation, Action::View).ok()?;
            Some((row, relation))
        })
        .collect()
}

/// Where a share token leads: the clip's playback page.
pub fn share_url(base: &str, token: &str) -> String {
    format!("{base}/c/{token}")
}

/// A page of the newest-first listing, and where the next one starts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClipPage {
    pub clips: Vec<ClipView>,
    pub next: Option<String>,
}

/// The clips `user` may list, newest first, `limit` per page.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    listed: Listed,
    limit: i64,
    after: Option<&str>,
    author: Option<&str>,
) -> AppResult<ClipPage> {
    // `after=` with nothing is the first page, as no `after` is.
    let after = after.filter(|a| !a.is_empty()).map(decode_cursor).transpose()?;
    let rows = state
        .db
        .clips()
        .list(Scope::of(user), listed, limit + 1, after.as_ref(), author)
        .await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<ClipRow> = rows.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| {
            rows.last()
                .map(|r| format!("{}_{}", r.created_at.timestamp_micros(), r.id))
        })
        .flatten();
    let clips = views(state, viewer, visible_to_member(user, rows)).await?;
    Ok(ClipPage { clips, next })
}

/// A page's cursor, `<microseconds since 1970>_<id>` of its last clip: whatever has that shape
/// is read, so the API's description can say exactly what is accepted.
fn decode_cursor(text: &str) -> AppResult<Cursor> {
    let bad = || AppError::BadRequest("malformed `after` cursor: pass the `next` of the previous page".into());
    let (micros, id) = text.split_once('_').ok_or_else(bad)?;
    if micros.is_empty() || micros.len() > 18 || !micros.bytes().all(|b| b.is_ascii_digit()) || !ids::is_well_formed(id)
    {
        return Err(bad());
    }
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let created_at = chrono::DateTime::from_timestamp_micros(micros)
        .map(Timestamp::from)
        .ok_or_else(bad)?;
    Ok(Cursor {
        created_at,
        id: id.to_owned(),
    })
}

/// The clip, if `viewer` may do `action` with it. Whoever is neither signed in nor holding a
/// link is asked to sign in (401). Whoever may not even view it gets the same
/// 404 as for an id that does not exist; whoever may view it but not do this gets 403. A reply
/// is open to whoever may view its thread (but only its own owner may delete it). A deleted
/// clip (a tombstone in a thread) can be viewed, nothing more.
pub async fn find(state: &AppState, viewer: &Viewer, id: &str, action: Action) -> AppResult<(ClipRow, Relation)> {
    // Neither signed in nor holding a link: nothing can be opened, so the answer is to sign in
    // (whether the clip exists is not told).
    if viewer.user.is_none() && viewer.share_token.is_none() {
        return Err(AppError::Unauthorized);
    }
    if !ids::is_well_formed(id) {
        return Err(AppError::NotFound(Missing::Clip));
    }
    let Some(row) = state.db.clips().get(id).await? else {
        return Err(AppError::NotFound(Missing::Clip));
    };
    let now = Utc::now();
    let mut relation = relation(viewer.user.as_ref(), viewer.share_token.as_deref(), &row.access(), now);
    // Only outsiders can gain through the thread (members already have all a thread gives),
    // so only they cost the extra lookup.
    if matches!(relation, Relation::Stranger | Relation::LinkHolder)
        && let Some(reply) = state.db.threads().by_clip(&row.id).await?
        && let Some(root_id) = reply.root.clip_id()
        && let Some(root) = state.db.clips().get(root_id).await?
    {
        let mut to_root = self::relation(viewer.user.as_ref(), viewer.share_token.as_deref(), &root.access(), now);
        // A reply the owner keeps inside the team is not reached through the link.
        if to_root == Relation::LinkHolder && !outsiders_may_see(&root.access(), &reply.author) {
            to_root = Relation::Stranger;
        }
        relation = through_thread(relation, to_root);
    }
    check(&row, relation, action)?;
    Ok((row, relation))
}

/// Whether `relation` allows `action` on `row`, as the error the routes answer with.
pub fn check(row: &ClipRow, relation: Relation, action: Action) -> AppResult<()> {
    let access = row.access();
    if !allows(relation, Action::View, &access) {
        return Err(AppError::NotFound(Missing::Clip));
    }
    if row.status == ClipStatus::Deleted && action != Action::View {
        return Err(AppError::NotFound(Missing::Clip));
    }
    if !allows(relation, action, &access) {
        return Err(AppError::Forbidden(format!("only the owner may do that ({action:?})")));
    }
    Ok(())
}

/// The clips with these ids, by id, in one query.
pub async fn rows_by_id(state: &AppState, ids: &[&str]) -> AppResult<HashMap<String, ClipRow>> {
    Ok(state
        .db
        .clips()
        .get_many(ids)
        .await?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect())
}

/// Deletes a clip (its owner): the objects (media, poster, captions), then the row with its
/// transcript and search entries. If storage is down the row stays (and the call fails with
/// 503), so nothing points at a missing object. A clip that is part of a conversation stays as a
/// tombstone, so the thread stays readable.
pub async fn delete(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let (row, _) = find(state, viewer, id, Action::Delete).await?;
    let threads = state.db.threads();
    let in_thread = threads.has_replies(&row.id).await? || threads.by_clip(&row.id).await?.is_some();
    if let Some(poster) = &row.poster_key {
        state.storage.delete(poster).await?;
    }
    if let Some(transcript) = state.db.transcripts().transcript_row(&row.id).await? {
        match state.storage.delete(&transcript.vtt_key).await {
            Ok(()) | Err(crate::storage::StorageError::NotFound) => {}
            Err(err) => return Err(err.into()),
        }
    }
    for key in crate::storage::clip_media::objects(&row) {
        state.storage.delete(key).await?;
    }
    for key in crate::services::trims::originals(state, &row.id).await? {
        match state.storage.delete(&key).await {
            Ok(()) | Err(crate::storage::StorageError::NotFound) => {}
            Err(err) => return Err(err.into()),
        }
    }
    if in_thread {
        state.db.transcripts().forget(&row.id).await?;
        state.db.clips().tombstone(&row.id).await?;
    } else {
        state.db.clips().delete(&row.id).await?;
    }
    Ok(())
}

/// Gives the viewer's clip a new title (1–200 characters, one line); returns it as it now is.
pub async fn rename(state: &AppState, viewer: &Viewer, id: &str, title: &str) -> AppResult<ClipView> {
    let (row, relation) = find(state, viewer, id, Action::Rename).await?;
    let title = crate::services::text::line(title, "title", 200)?;
    state.db.clips().rename(&row.id, &title).await?;
    let row = ClipRow { title, ..row };
    ClipView::load(state, row, viewer.audience(relation)).await
}

/// Stores `jpeg` as the clip's poster (the caller found the clip for changing it).
pub async fn set_poster(state: &AppState, clip: &ClipRow, jpeg: &[u8]) -> AppResult<()> {
    if !jpeg.starts_with(&[0xff, 0xd8, 0xff]) {
        return Err(AppError::UnsupportedMedia("a poster is a JPEG image".into()));
    }
    let (staged, mut file) = crate::pipeline::files::temp_file(&state.staging_dir, "poster-")
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    file.write_all(jpeg).await.map_err(|e| AppError::Internal(e.into()))?;
    file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
    let key = object_key(&clip.id, Object::Poster);
    state
        .storage
        .put_file(&key, staged.path(), jpeg.len() as u64, "image/jpeg")
        .await?;
    state.db.clips().set_poster(&clip.id, &key).await?;
    Ok(())
}
