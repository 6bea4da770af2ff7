//! Clip metadata: create (upload), show, list, delete, peaks.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::auth::policy::{Action, Relation, allows, relation};
use crate::db::clips::{self, ClipRow, Cursor, Scope};
use crate::db::{threads, transcripts};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::ingest::UploadInfo;
use crate::state::AppState;
use crate::transcription::Status;

/// A clip as the API shows it.
#[derive(Debug, Serialize)]
pub struct ClipView {
    id: String,
    title: String,
    author: Option<String>,
    status: String,
    url: String,
    media_url: String,
    peaks_url: String,
    thread_url: String,
    created_at: String,
    /// When recording started, in the recorder's local time (its UTC offset included).
    recorded_at: Option<String>,
    recorded_utc_offset_minutes: Option<i64>,
    duration_ms: i64,
    media: MediaView,
    transcript: TranscriptSummary,
    /// 'workspace' (members only) or 'link' (anyone with the link).
    visibility: String,
    /// The playback page, for whoever may view the clip.
    page_url: Option<String>,
    /// The sharing settings and link: shown to the owner only.
    #[serde(skip_serializing_if = "Option::is_none")]
    sharing: Option<SharingView>,
}

#[derive(Debug, Serialize)]
struct SharingView {
    /// The link to hand out (works while visibility is 'link', not revoked, not expired).
    url: Option<String>,
    token: Option<String>,
    expires_at: Option<String>,
    guests_may_reply: bool,
}

/// Where a clip's transcript stands, and where to get it.
#[derive(Debug, Serialize)]
struct TranscriptSummary {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    url: String,
}

#[derive(Debug, Serialize)]
struct MediaView {
    container: String,
    content_type: String,
    audio_codec: String,
    video_codec: Option<String>,
    has_video: bool,
    width: Option<i64>,
    height: Option<i64>,
    channels: i64,
    sample_rate: i64,
    byte_size: i64,
    sha256: String,
}

/// Who the view is for: the owner sees the sharing settings; someone who came through the link
/// gets links that carry it.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub relation: Relation,
    pub share_token: Option<&'a str>,
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
        let job = transcripts::job(&state.db, &row.id).await?;
        Ok(Self::new(
            row,
            &state.public_url,
            state.transcription.status(job.as_ref()),
            audience,
        ))
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
            expires_at: row.share_expires_at.clone(),
            guests_may_reply: row.guests_may_reply,
        });
        let recorded_at = row.recorded_at.as_deref().and_then(|utc| {
            let offset = FixedOffset::east_opt(i32::try_from(row.recorded_utc_offset? * 60).ok()?)?;
            let instant = DateTime::parse_from_rfc3339(utc).ok()?;
            Some(
                instant
                    .with_timezone(&offset)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            )
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
            url: format!("{url}{share_query}"),
            page_url: match audience.relation {
                Relation::Stranger => None,
                _ => row.share_token.as_ref().map(|t| share_url(base, t)),
            },
            visibility: row.visibility,
            sharing,
            id: row.id,
            title: row.title,
            author: row.author,
            status: row.status,
            created_at: row.created_at,
            recorded_at,
            recorded_utc_offset_minutes: row.recorded_utc_offset,
            duration_ms: row.duration_ms,
            media: MediaView {
                container: row.container,
                content_type: row.content_type,
                audio_codec: row.audio_codec,
                video_codec: row.video_codec,
                has_video: row.has_video,
                width: row.width,
                height: row.height,
                channels: row.channels,
                sample_rate: row.sample_rate,
                byte_size: row.byte_size,
                sha256: row.sha256,
            },
        }
    }
}

/// Where a share token leads: the clip's playback page.
pub fn share_url(base: &str, token: &str) -> String {
    format!("{base}/c/{token}")
}

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    title: Option<String>,
    /// Display name to show [default: the uploader's].
    author: Option<String>,
}

/// `POST /api/v1/clips`: the body is the media stream itself.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<CreateParams>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<impl IntoResponse> {
    let user = viewer.require_user()?.clone();
    // Refuse a declared oversize body before reading a byte of it.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared
        && len > state.config.max_upload_bytes
    {
        return Err(AppError::TooLarge {
            limit: state.config.max_upload_bytes,
        });
    }
    for (name, value) in [("title", &params.title), ("author", &params.author)] {
        if value.as_ref().is_some_and(|v| v.len() > 500) {
            return Err(AppError::BadRequest(format!("the {name} is longer than 500 bytes")));
        }
    }
    let row = crate::ingest::ingest(
        &state,
        body,
        UploadInfo {
            title: params.title,
            author: params.author.or_else(|| Some(user.display_name.clone())),
            owner: user,
            reserved: None,
        },
        declared,
    )
    .await?;
    let owner = Audience {
        relation: Relation::Owner,
        share_token: None,
    };
    let view = ClipView::load(&state, row, owner).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, view.url.clone())], Json(view)))
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Json<ClipView>> {
    let (row, relation) = find(&state, &viewer, &id, Action::View).await?;
    Ok(Json(ClipView::load(&state, row, viewer.audience(relation)).await?))
}

/// `GET /api/v1/shared/{token}`: the clip a share link leads to.
pub async fn shared(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> AppResult<Json<ClipView>> {
    let row = clips::by_share_token(&state.db, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let viewer = Viewer {
        share_token: Some(token),
        ..viewer
    };
    let (row, relation) = find(&state, &viewer, &row.id, Action::View).await?;
    Ok(Json(ClipView::load(&state, row, viewer.audience(relation)).await?))
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    limit: Option<i64>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// `GET /api/v1/clips`: newest first, `limit` per page (default 20, at most 100).
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> AppResult<Json<Value>> {
    let user = viewer.require_user()?;
    let limit = params.limit.unwrap_or(20).clamp(1, 100);
    let after = params.after.as_deref().map(decode_cursor).transpose()?;
    let scope = Scope::of(user);
    let rows = clips::list(&state.db, scope, limit + 1, after.as_ref()).await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<ClipRow> = rows.into_iter().take(limit as usize).collect();
    let next = if more {
        rows.last().map(|r| {
            encode_cursor(&Cursor {
                created_at: r.created_at.clone(),
                id: r.id.clone(),
            })
        })
    } else {
        None
    };
    let mut clips = Vec::with_capacity(rows.len());
    for row in rows {
        let relation = relation(Some(user), None, &row.access(), Utc::now());
        clips.push(ClipView::load(&state, row, viewer.audience(relation)).await?);
    }
    Ok(Json(json!({ "clips": clips, "next": next })))
}

/// `DELETE /api/v1/clips/{id}`: the objects (media, captions), then the row (its transcript and
/// search entries go with it). If storage is down the row stays (and the call fails with 503),
/// so nothing points at a missing object.
pub async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    let (row, _) = find(&state, &viewer, &id, Action::Delete).await?;
    // Part of a conversation: the thread must stay readable, so the row stays as a tombstone.
    let in_thread =
        threads::has_replies(&state.db, &row.id).await? || threads::by_clip(&state.db, &row.id).await?.is_some();
    if let Some(poster) = &row.poster_key {
        state.storage.delete(poster).await?;
    }
    if let Some(transcript) = transcripts::transcript_row(&state.db, &row.id).await? {
        match state.storage.delete(&transcript.vtt_key).await {
            Ok(()) | Err(crate::storage::StorageError::NotFound) => {}
            Err(err) => return Err(err.into()),
        }
    }
    state.storage.delete(&row.storage_key).await?;
    if in_thread {
        transcripts::forget(&state.db, &row.id).await?;
        clips::tombstone(&state.db, &row.id).await?;
    } else {
        clips::delete(&state.db, &row.id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/clips/{id}/peaks`: the waveform (0–255 per window) and the silent ranges.
pub async fn peaks(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<Json<Value>> {
    find(&state, &viewer, &id, Action::PlayMedia).await?;
    let row = clips::get_with_peaks(&state.db, &id).await?;
    let silences: Value = serde_json::from_str(&row.silences).unwrap_or_else(|_| json!([]));
    Ok(Json(json!({
        "peaks_per_second": row.peaks_per_second,
        "duration_ms": row.duration_ms,
        "peaks": row.peaks,
        "silences_ms": silences,
    })))
}

/// The clip, if `viewer` may do `action` with it. Whoever may not even view it gets the same
/// 404 as for an id that does not exist; whoever may view it but not do this gets 403. A reply
/// is open to whoever may view its thread (but only its own owner may delete it). A deleted
/// clip (a tombstone in a thread) can be viewed, nothing more.
pub(crate) async fn find(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    action: Action,
) -> AppResult<(ClipRow, Relation)> {
    if !ids::is_well_formed(id) {
        return Err(AppError::NotFound);
    }
    let row = match clips::get(&state.db, id).await {
        Ok(row) => row,
        Err(sqlx::Error::RowNotFound) => return Err(AppError::NotFound),
        Err(err) => return Err(err.into()),
    };
    let now = Utc::now();
    let access = row.access();
    let mut relation = relation(viewer.user.as_ref(), viewer.share_token.as_deref(), &access, now);
    // Only outsiders can gain through the thread (members already have all a thread gives),
    // so only they cost the extra lookup.
    if matches!(relation, Relation::Stranger | Relation::LinkHolder)
        && let Some(reply) = threads::by_clip(&state.db, &row.id).await?
        && let Ok(root) = clips::get(&state.db, &reply.root_clip_id).await
    {
        let through_thread =
            match self::relation(viewer.user.as_ref(), viewer.share_token.as_deref(), &root.access(), now) {
                Relation::Owner => Relation::Member,
                other => other,
            };
        if relation == Relation::Stranger || through_thread == Relation::Member {
            relation = through_thread;
        }
    }
    if !allows(relation, Action::View, &access) {
        return Err(AppError::NotFound);
    }
    if row.status == "deleted" && action != Action::View {
        return Err(AppError::NotFound);
    }
    if !allows(relation, action, &access) {
        return Err(AppError::Forbidden(format!("only the owner may do that ({action:?})")));
    }
    Ok((row, relation))
}

fn encode_cursor(cursor: &Cursor) -> String {
    format!("{}_{}", cursor.created_at, cursor.id)
}

fn decode_cursor(text: &str) -> AppResult<Cursor> {
    let bad = || AppError::BadRequest("malformed `after` cursor".into());
    let (created_at, id) = text.rsplit_once('_').ok_or_else(bad)?;
    if !ids::is_well_formed(id) || DateTime::parse_from_rfc3339(created_at).is_err() {
        return Err(bad());
    }
    Ok(Cursor {
        created_at: created_at.to_owned(),
        id: id.to_owned(),
    })
}
