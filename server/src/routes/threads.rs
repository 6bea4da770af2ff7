//! Threads: `GET /api/v1/threads/{clip}` (the whole tree, from any clip in it),
//! `POST /api/v1/threads/{clip}/replies` (answer the clip, or `parent_id`, with text or a clip,
//! optionally at a moment), `POST /api/v1/clips/{id}/seen`, `GET /api/v1/inbox`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Offset, SecondsFormat, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::auth::policy::{Action, Relation};
use crate::db::clips::{self, ClipRow};
use crate::db::threads::{self, ReplyRow};
use crate::db::transcripts::{self, timestamp};
use crate::db::users::{self, UserRow};
use crate::error::{AppError, AppResult};
use crate::routes::clips::{ClipView, find};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct NewReply {
    /// The reply this answers; absent: the clip in the URL.
    parent_id: Option<String>,
    text: Option<String>,
    /// A clip the replier uploaded, as a voice or video reply.
    clip_id: Option<String>,
    /// A moment of the clip answered, in milliseconds.
    at_ms: Option<i64>,
    /// A guest's name (replying through a link, when the owner allows it).
    guest_name: Option<String>,
}

/// The thread a clip belongs to: its root clip id, and the reply the clip was posted as.
async fn locate(state: &AppState, clip_id: &str) -> AppResult<(String, Option<ReplyRow>)> {
    Ok(match threads::by_clip(&state.db, clip_id).await? {
        Some(reply) => (reply.root_clip_id.clone(), Some(reply)),
        None => (clip_id.to_owned(), None),
    })
}

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(clip_id): Path<String>,
    Json(new): Json<NewReply>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let (target, relation) = find(&state, &viewer, &clip_id, Action::Reply).await?;
    let (root_id, as_reply) = locate(&state, &target.id).await?;
    // What is answered: the parent reply if named, else the clip in the URL.
    let (parent_id, answered_clip) = match &new.parent_id {
        Some(parent_id) => {
            let parent = threads::by_id(&state.db, parent_id)
                .await?
                .filter(|p| p.root_clip_id == root_id)
                .ok_or_else(|| AppError::BadRequest("parent_id is not a reply in this thread".into()))?;
            let clip = match &parent.clip_id {
                Some(id) => Some(clips::get(&state.db, id).await?),
                None => None,
            };
            (Some(parent.id), clip)
        }
        None => (as_reply.map(|r| r.id), Some(target.clone())),
    };
    if let Some(at) = new.at_ms {
        let Some(clip) = &answered_clip else {
            return Err(AppError::BadRequest(
                "a moment (at_ms) can only point into a clip".into(),
            ));
        };
        if at < 0 || at > clip.duration_ms {
            return Err(AppError::BadRequest(format!(
                "the moment {} is outside the clip answered (0:00–{})",
                clock(at),
                clock(clip.duration_ms)
            )));
        }
    }
    let text = new.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match (text, &new.clip_id) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(AppError::BadRequest("a reply is either text or a clip_id".into()));
        }
        (Some(text), None) if text.len() > 10_000 => {
            return Err(AppError::BadRequest("the text is longer than 10000 bytes".into()));
        }
        _ => {}
    }
    let (author_id, guest_name) = match (&viewer.user, relation) {
        (Some(user), Relation::Owner | Relation::Member) => (Some(user.id.clone()), None),
        _ => {
            // Through the link: a guest, under a name, in text.
            let name = new
                .guest_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty() && n.len() <= 80);
            let Some(name) = name else {
                return Err(AppError::BadRequest(
                    "guests reply under a name (guest_name, 1–80 bytes)".into(),
                ));
            };
            if new.clip_id.is_some() {
                return Err(AppError::BadRequest("guests reply in text".into()));
            }
            (None, Some(name.to_owned()))
        }
    };
    if let Some(reply_clip) = &new.clip_id {
        let user = viewer.require_user()?;
        let clip = clips::get(&state.db, reply_clip)
            .await
            .map_err(|_| AppError::NotFound)?;
        if clip.owner_id.as_deref() != Some(user.id.as_str()) || clip.status != "ready" {
            return Err(AppError::NotFound);
        }
        if clip.id == root_id {
            return Err(AppError::BadRequest("a clip cannot answer itself".into()));
        }
        // A conflict, not a mistake: clients resending a reply after a failure see 409.
        if threads::by_clip(&state.db, &clip.id).await?.is_some() || threads::has_replies(&state.db, &clip.id).await? {
            return Err(AppError::Conflict("that clip is already part of a thread".into()));
        }
    }
    let row = ReplyRow {
        id: crate::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        root_clip_id: root_id,
        parent_id,
        clip_id: new.clip_id.clone(),
        body: text.map(str::to_owned),
        anchor_ms: new.at_ms,
        author_id,
        guest_name,
        created_at: timestamp(Utc::now()),
    };
    threads::insert(&state.db, &row).await?;
    let authors = authors(&state, std::slice::from_ref(&row), None).await?;
    let tree = Tree {
        state: &state,
        viewer: &viewer,
        authors: &authors,
        seen: &HashMap::new(),
    };
    let node = tree.reply_node(&row).await?;
    Ok((StatusCode::CREATED, Json(node)))
}

/// The whole thread as a tree, from any clip in it. Reading it marks its text replies read.
pub async fn thread(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(clip_id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(thread_tree(&state, &viewer, &clip_id).await?))
}

/// The thread of `clip_id` as the API shows it (the playback page renders the same).
pub async fn thread_tree(state: &AppState, viewer: &Viewer, clip_id: &str) -> AppResult<Value> {
    let (clip, _) = find(state, viewer, clip_id, Action::View).await?;
    let (root_id, _) = locate(state, &clip.id).await?;
    let (root, _) = find(state, viewer, &root_id, Action::View).await?;
    let replies = threads::of_thread(&state.db, &root_id).await?;
    if let Some(user) = &viewer.user {
        for reply in replies.iter().filter(|r| r.clip_id.is_none()) {
            threads::mark_seen(&state.db, &reply.id, &user.id).await?;
        }
    }
    let message_ids: Vec<String> = std::iter::once(root.id.clone())
        .chain(
            replies
                .iter()
                .map(|r| r.clip_id.clone().unwrap_or_else(|| r.id.clone())),
        )
        .collect();
    let mut seen: HashMap<String, Vec<Value>> = HashMap::new();
    for (message, user_id, name, at) in threads::seen_by(&state.db, &message_ids).await? {
        seen.entry(message)
            .or_default()
            .push(json!({ "user_id": user_id, "display_name": name, "seen_at": at }));
    }
    let authors = authors(state, &replies, root.owner_id.as_deref()).await?;
    let tree = Tree {
        state,
        viewer,
        authors: &authors,
        seen: &seen,
    };
    let mut nodes: HashMap<Option<String>, Vec<Value>> = HashMap::new();
    for reply in &replies {
        let node = tree.reply_node(reply).await?;
        nodes.entry(reply.parent_id.clone()).or_default().push(node);
    }
    let mut root_node = tree.clip_node(&root).await?;
    root_node["replies"] = json!(attach(None, &mut nodes));
    Ok(json!({ "root": root_node, "reply_count": replies.len() }))
}

/// Children of `parent`, each with its own children, oldest first.
fn attach(parent: Option<String>, nodes: &mut HashMap<Option<String>, Vec<Value>>) -> Vec<Value> {
    let mut children = nodes.remove(&parent).unwrap_or_default();
    for child in &mut children {
        let id = child["reply_id"].as_str().map(str::to_owned);
        child["replies"] = json!(attach(id, nodes));
    }
    children
}

async fn authors(
    state: &AppState,
    replies: &[ReplyRow],
    root_owner: Option<&str>,
) -> AppResult<HashMap<String, UserRow>> {
    let mut found = HashMap::new();
    let ids = replies.iter().filter_map(|r| r.author_id.as_deref()).chain(root_owner);
    for id in ids {
        if !found.contains_key(id)
            && let Some(user) = users::by_id(&state.db, id).await?
        {
            found.insert(id.to_owned(), user);
        }
    }
    Ok(found)
}

/// A message's author and time: UTC, and the same instant in the author's zone then.
fn byline(author: Option<&UserRow>, guest: Option<&str>, created_at: &str) -> Value {
    let utc = DateTime::parse_from_rfc3339(created_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let zone: chrono_tz::Tz = author.and_then(|a| a.time_zone.parse().ok()).unwrap_or(chrono_tz::UTC);
    let local = zone.from_utc_datetime(&utc.naive_utc());
    let offset_minutes = local.offset().fix().local_minus_utc() / 60;
    json!({
        "author": match author {
            Some(user) => json!({ "id": user.id, "display_name": user.display_name, "time_zone": user.time_zone }),
            None => json!({ "guest_name": guest, "display_name": guest.map(|g| format!("{g} (guest)")) }),
        },
        "created_at": utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        "created_at_local": local.to_rfc3339_opts(SecondsFormat::Secs, true),
        "utc_offset_minutes": offset_minutes,
    })
}

/// What rendering a thread's messages needs: who asks, who wrote, who has seen what.
struct Tree<'a> {
    state: &'a AppState,
    viewer: &'a Viewer,
    authors: &'a HashMap<String, UserRow>,
    seen: &'a HashMap<String, Vec<Value>>,
}

impl Tree<'_> {
    async fn clip_node(&self, clip: &ClipRow) -> AppResult<Value> {
        let Self {
            state,
            viewer,
            authors,
            seen,
        } = *self;
        let mut node = byline(
            clip.owner_id.as_ref().and_then(|id| authors.get(id)),
            None,
            &clip.created_at,
        );
        node["message_id"] = json!(clip.id);
        node["seen_by"] = json!(seen.get(&clip.id).cloned().unwrap_or_default());
        if clip.status == "deleted" {
            node["kind"] = json!("deleted");
            return Ok(node);
        }
        node["kind"] = json!("clip");
        let relation = match find(state, viewer, &clip.id, Action::View).await {
            Ok((_, relation)) => relation,
            Err(_) => Relation::Stranger,
        };
        let view = ClipView::load(state, clip.clone(), viewer.audience(relation)).await?;
        node["clip"] = serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?;
        node["duration_ms"] = json!(clip.duration_ms);
        node["transcript_snippet"] = json!(transcripts::opening(&state.db, &clip.id, 200).await?);
        Ok(node)
    }

    async fn reply_node(&self, reply: &ReplyRow) -> AppResult<Value> {
        let Self {
            state, authors, seen, ..
        } = *self;
        let mut node = match &reply.clip_id {
            Some(clip_id) => {
                let clip = clips::get(&state.db, clip_id).await?;
                self.clip_node(&clip).await?
            }
            None => {
                let author = reply.author_id.as_ref().and_then(|id| authors.get(id));
                let mut node = byline(author, reply.guest_name.as_deref(), &reply.created_at);
                node["kind"] = json!("text");
                node["message_id"] = json!(reply.id);
                node["text"] = json!(reply.body);
                node["seen_by"] = json!(seen.get(&reply.id).cloned().unwrap_or_default());
                node
            }
        };
        node["reply_id"] = json!(reply.id);
        node["parent_id"] = json!(reply.parent_id);
        node["anchor_ms"] = json!(reply.anchor_ms);
        node["anchor"] = json!(reply.anchor_ms.map(clock));
        Ok(node)
    }
}

/// `POST /api/v1/clips/{id}/seen`: the player started it (the first time counts).
pub async fn seen(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> AppResult<StatusCode> {
    let user = viewer.require_user()?.clone();
    let (clip, _) = find(&state, &viewer, &id, Action::PlayMedia).await?;
    threads::mark_seen(&state.db, &clip.id, &user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/inbox`: threads with messages I have not heard (or read) yet, newest first.
pub async fn inbox(State(state): State<AppState>, viewer: Viewer) -> AppResult<Json<Value>> {
    Ok(Json(inbox_json(&state, &viewer).await?))
}

/// The inbox as the API answers it (the dashboard renders the same).
pub async fn inbox_json(state: &AppState, viewer: &Viewer) -> AppResult<Value> {
    let user = viewer.require_user()?;
    let mut threads_out = Vec::new();
    for (root_id, unheard, latest) in threads::unheard_threads(&state.db, &user.workspace_id, &user.id).await? {
        let Ok((root, relation)) = find(state, viewer, &root_id, Action::View).await else {
            continue;
        };
        let view = ClipView::load(state, root, viewer.audience(relation)).await?;
        threads_out.push(json!({
            "thread_url": format!("{}/api/v1/threads/{root_id}", state.public_url),
            "root": view,
            "unheard": unheard,
            "latest_at": latest,
        }));
    }
    Ok(json!({ "threads": threads_out }))
}

/// `M:SS`, as people say moments.
pub fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}
