//! Threads: the conversation around a clip as a typed tree, answering it, receipts, the inbox.
//! A thread is read in a fixed number of queries however long it is.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::auth::policy::{Action, ClipAccess, Relation, outsiders_may_see, relation, through_thread};
use crate::error::{AppError, AppResult, Missing};
use crate::services::clips::{ClipView, find, rows_by_id, views, visible_to_member};
use crate::services::reactions::ReactionView;
use crate::state::AppState;
use db::Timestamp;
use db::clips::ClipRow;
use db::clips::Trim;
use db::domain::{Author, ClipStatus, ReplyBody, User, clock};
use db::threads::Reply;
use db::threads::{Seen, ThreadRoot, Unheard};

/// Characters of a clip's transcript shown under it in a thread.
const SNIPPET_CHARS: usize = 200;

/// A whole thread, from its root clip.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Thread {
    pub root: Message,
    pub reply_count: usize,
}

impl Thread {
    /// The message with this id (a clip's id or a text reply's), anywhere in the tree.
    pub fn message(&self, message_id: &str) -> Option<&Message> {
        self.root.find(message_id)
    }
}

/// One message of a thread (the root clip or a reply) with its answers, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    #[schema(value_type = AuthorFields)]
    pub author: AuthorView,
    /// UTC.
    #[serde(serialize_with = "crate::services::in_seconds")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// The same instant in the author's zone at the time.
    #[serde(serialize_with = "crate::services::in_seconds")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at_local: DateTime<FixedOffset>,
    pub utc_offset_minutes: i32,
    pub message_id: String,
    pub seen_by: Vec<Receipt>,
    /// Emoji on it, oldest first; who reacted only to the team.
    pub reactions: Vec<ReactionView>,
    #[serde(flatten)]
    pub content: Content,
    /// Where it sits in the thread: absent for the root.
    #[serde(flatten)]
    #[schema(value_type = PlaceFields)]
    pub place: Option<Place>,
    #[schema(no_recursion)]
    pub replies: Vec<Message>,
}

impl Message {
    fn find(&self, message_id: &str) -> Option<&Message> {
        if self.message_id == message_id {
            return Some(self);
        }
        self.replies.iter().find_map(|m| m.find(message_id))
    }

    /// The display name of its author.
    pub fn author_name(&self) -> &str {
        match &self.author {
            AuthorView::Member { display_name, .. } | AuthorView::Teammate { display_name } => display_name,
            AuthorView::Guest { display_name, .. } => display_name.as_deref().unwrap_or("someone"),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AuthorView {
    Member {
        id: String,
        display_name: String,
        time_zone: String,
    },
    /// A member as people outside the workspace see them: a name, nothing that identifies
    /// their account or says where they live.
    Teammate { display_name: String },
    /// A guest (or, for clips stored before accounts, nobody known).
    Guest {
        guest_name: Option<String>,
        display_name: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub user_id: String,
    pub display_name: String,
    pub seen_at: Timestamp,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Content {
    Clip {
        clip: Box<ClipView>,
        duration_ms: i64,
        transcript_snippet: Option<String>,
        /// Its summary, once the model (or its owner) has written one.
        summary: Option<String>,
    },
    Text {
        text: String,
    },
    /// A clip deleted by its owner after others answered it.
    Deleted,
}

/// How a message's author is written: a member (to the team: `id`, `display_name`,
/// `time_zone`; to outsiders: `display_name` only), a guest (`guest_name` and `display_name`),
/// or nobody known (neither).
#[derive(utoipa::ToSchema)]
#[schema(as = MessageAuthor)]
#[allow(dead_code)]
struct AuthorFields {
    id: Option<String>,
    display_name: Option<String>,
    time_zone: Option<String>,
    guest_name: Option<String>,
}

/// How a message's place is written into it: every field absent for the thread's root.
#[derive(utoipa::ToSchema)]
#[schema(as = MessagePlace)]
#[allow(dead_code)]
struct PlaceFields {
    reply_id: Option<String>,
    /// The reply it answers; absent: the root.
    parent_id: Option<String>,
    anchor_ms: Option<i64>,
    /// The anchor as people say it ("1:23").
    anchor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Place {
    pub reply_id: String,
    /// The reply it answers; `None`: the root.
    pub parent_id: Option<String>,
    pub anchor_ms: Option<i64>,
    /// The anchor as people say it ("1:23").
    pub anchor: Option<String>,
}

/// The thread a clip belongs to: its root, and the reply the clip was posted as.
pub(crate) async fn locate(state: &AppState, clip_id: &str) -> AppResult<(ThreadRoot, Option<Reply>)> {
    Ok(match state.db.threads().by_clip(clip_id).await? {
        Some(reply) => (reply.root.clone(), Some(reply)),
        None => (ThreadRoot::Clip(clip_id.to_owned()), None),
    })
}

/// The whole thread of `clip_id` — or, for an answer to a check-in, the answer with its own
/// replies. Reading it marks its text replies read.
pub async fn thread(state: &AppState, viewer: &Viewer, clip_id: &str) -> AppResult<Thread> {
    let (clip, relation) = find(state, viewer, clip_id, Action::View).await?;
    let (root, root_relation) = match locate(state, &clip.id).await? {
        (_, None) => (clip, relation),
        (ThreadRoot::Clip(root_id), Some(_)) => find(state, viewer, &root_id, Action::View).await?,
        (ThreadRoot::Round(round_id), Some(answer)) => {
            return answer_thread(state, viewer, &round_id, clip, &answer, relation).await;
        }
    };
    let replies = state.db.threads().of_thread(&ThreadRoot::Clip(root.id.clone())).await?;
    let replies = match Readers::of(root_relation) {
        Readers::Team => replies,
        Readers::Outsiders => shown_to_outsiders(replies, &root.access()),
    };
    let reply_clip_ids: Vec<&str> = replies.iter().filter_map(Reply::clip_id).collect();
    let mut clip_rows = rows_by_id(state, &reply_clip_ids).await?;
    clip_rows.insert(root.id.clone(), root.clone());
    let mut context = Context::load(state, viewer, &replies, &clip_rows, root_relation).await?;
    if let Some(user) = &viewer.user {
        context.read_by(state, user, &replies).await?;
    }
    let mut children: HashMap<Option<&str>, Vec<&Reply>> = HashMap::new();
    for reply in &replies {
        children.entry(reply.parent_id.as_deref()).or_default().push(reply);
    }
    let mut root_message = context.clip_message(&root)?;
    root_message.replies = context.answers(None, root.trim, &children, &clip_rows)?;
    Ok(Thread {
        root: root_message,
        reply_count: replies.len(),
    })
}

/// A check-in answer (`clip`, posted as `answer` in round `round_id`) as a thread of its own:
/// it and the replies under it.
async fn answer_thread(
    state: &AppState,
    viewer: &Viewer,
    round_id: &str,
    clip: ClipRow,
    answer: &Reply,
    relation: Relation,
) -> AppResult<Thread> {
    crate::services::checkins::find_round(state, viewer, round_id).await?;
    let replies = state
        .db
        .threads()
        .of_thread(&ThreadRoot::Round(round_id.to_owned()))
        .await?;
    let mut under: Vec<Reply> = Vec::new();
    let mut ancestors = HashSet::from([answer.id.clone()]);
    for reply in &replies {
        if reply.parent_id.as_ref().is_some_and(|p| ancestors.contains(p)) {
            ancestors.insert(reply.id.clone());
            under.push(reply.clone());
        }
    }
    let reply_clip_ids: Vec<&str> = under.iter().filter_map(Reply::clip_id).collect();
    let mut clip_rows = rows_by_id(state, &reply_clip_ids).await?;
    clip_rows.insert(clip.id.clone(), clip.clone());
    let mut context = Context::load(state, viewer, &under, &clip_rows, relation).await?;
    if let Some(user) = &viewer.user {
        context.read_by(state, user, &under).await?;
    }
    let mut children: HashMap<Option<&str>, Vec<&Reply>> = HashMap::new();
    for reply in &under {
        children.entry(reply.parent_id.as_deref()).or_default().push(reply);
    }
    let mut root = context.clip_message(&clip)?;
    root.replies = context.answers(Some(&answer.id), clip.trim, &children, &clip_rows)?;
    Ok(Thread {
        reply_count: under.len(),
        root,
    })
}

/// A check-in round's answers (its top-level replies), each with the replies under it, in the
/// order they came, as a member of its team reads them. Reading them marks the text read.
/// The caller checked that the viewer may see the round.
pub async fn round_answers(state: &AppState, viewer: &Viewer, round_id: &str) -> AppResult<Vec<Message>> {
    let replies = state
        .db
        .threads()
        .of_thread(&ThreadRoot::Round(round_id.to_owned()))
        .await?;
    let reply_clip_ids: Vec<&str> = replies.iter().filter_map(Reply::clip_id).collect();
    let clip_rows = rows_by_id(state, &reply_clip_ids).await?;
    let mut context = Context::load(state, viewer, &replies, &clip_rows, Relation::Member).await?;
    if let Some(user) = &viewer.user {
        context.read_by(state, user, &replies).await?;
    }
    let mut children: HashMap<Option<&str>, Vec<&Reply>> = HashMap::new();
    for reply in &replies {
        children.entry(reply.parent_id.as_deref()).or_default().push(reply);
    }
    context.answers(None, Trim::Whole, &children, &clip_rows)
}

/// The replies outsiders may see (see [`outsiders_may_see`]) — and only where all they answer
/// is shown too: the owner's answer to a teammate's hidden reply would read as an answer to
/// nothing (or to the message, which it is not), so it stays in the team with what it answers.
fn shown_to_outsiders(replies: Vec<Reply>, root: &ClipAccess<'_>) -> Vec<Reply> {
    // Oldest first, so a parent is decided before its answers.
    let mut shown: HashSet<String> = HashSet::new();
    for reply in &replies {
        let context_shown = reply.parent_id.as_ref().is_none_or(|p| shown.contains(p));
        if context_shown && outsiders_may_see(root, &reply.author) {
            shown.insert(reply.id.clone());
        }
    }
    replies.into_iter().filter(|r| shown.contains(&r.id)).collect()
}

/// Who reads a thread: its workspace's members, or people who came through its link (who see
/// members' names only — no account ids, time zones or who listened when).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readers {
    Team,
    Outsiders,
}

impl Readers {
    fn of(root_relation: Relation) -> Self {
        match root_relation {
            Relation::Owner | Relation::Member => Self::Team,
            Relation::LinkHolder | Relation::Stranger => Self::Outsiders,
        }
    }
}

/// What rendering a thread's messages needs, loaded in one query each: who asks, who wrote,
/// who has seen what, the clips' views and transcript openings.
struct Context {
    readers: Readers,
    authors: HashMap<String, User>,
    seen: HashMap<String, Vec<Receipt>>,
    reactions: HashMap<String, Vec<ReactionView>>,
    views: HashMap<String, ClipView>,
    openings: HashMap<String, String>,
    /// Ready summaries, by clip.
    summaries: HashMap<String, String>,
}

impl Context {
    async fn load(
        state: &AppState,
        viewer: &Viewer,
        replies: &[Reply],
        clip_rows: &HashMap<String, ClipRow>,
        root_relation: Relation,
    ) -> AppResult<Self> {
        let author_ids: Vec<&str> = replies
            .iter()
            .filter_map(Reply::author_id)
            .chain(clip_rows.values().filter_map(|c| c.owner_id.as_deref()))
            .collect();
        let authors = state
            .db
            .users()
            .by_ids(&author_ids)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let message_ids: Vec<&str> = clip_rows
            .keys()
            .map(String::as_str)
            .chain(replies.iter().filter(|r| r.clip_id().is_none()).map(|r| r.id.as_str()))
            .collect();
        let mut seen: HashMap<String, Vec<Receipt>> = HashMap::new();
        for Seen {
            message_id,
            user_id,
            display_name,
            seen_at,
        } in state.db.threads().seen_by(&message_ids).await?
        {
            seen.entry(message_id).or_default().push(Receipt {
                user_id,
                display_name,
                seen_at,
            });
        }
        let readers = Readers::of(root_relation);
        let mut reactions: HashMap<String, Vec<ReactionView>> = HashMap::new();
        for mut reacted in state.db.reactions().on_messages(&message_ids).await? {
            // Moments are kept in the original's time: shown through its owner's cut (a
            // moment cut away is no moment any more).
            if let Some(clip) = clip_rows.get(&reacted.message_id) {
                reacted.at_ms = reacted.at_ms.and_then(|ms| clip.trim.served_ms(ms));
            }
            reactions
                .entry(reacted.message_id.clone())
                .or_default()
                .push(ReactionView::of(reacted, readers == Readers::Team));
        }
        let live: Vec<ClipRow> = clip_rows
            .values()
            .filter(|c| c.status != ClipStatus::Deleted)
            .cloned()
            .collect();
        let live_ids: Vec<&str> = live.iter().map(|c| c.id.as_str()).collect();
        let openings = state.db.transcripts().openings(&live_ids, SNIPPET_CHARS).await?;
        let summaries = crate::services::summaries::ready_lines(state, &live_ids).await?;
        let now = Utc::now();
        let live = live
            .into_iter()
            .map(|clip| {
                let own = relation(viewer.user.as_ref(), viewer.share_token.as_deref(), &clip.access(), now);
                (clip, through_thread(own, root_relation))
            })
            .collect();
        let views = views(state, viewer, live)
            .await?
            .into_iter()
            .map(|v| (v.id.clone(), v))
            .collect();
        Ok(Self {
            readers,
            authors,
            seen,
            reactions,
            views,
            openings,
            summaries,
        })
    }

    /// Marks the text replies `user` has not read yet (and did not write) read, receipts
    /// included. Pages that keep themselves current read a thread every few seconds: only
    /// something new to them is a write.
    async fn read_by(&mut self, state: &AppState, user: &User, replies: &[Reply]) -> AppResult<()> {
        let unread: Vec<&str> = replies
            .iter()
            .filter(|r| r.clip_id().is_none() && r.author_id() != Some(user.id.as_str()))
            .filter(|r| {
                self.seen
                    .get(&r.id)
                    .is_none_or(|receipts| receipts.iter().all(|s| s.user_id != user.id))
            })
            .map(|r| r.id.as_str())
            .collect();
        if unread.is_empty() {
            return Ok(());
        }
        state.db.threads().mark_seen(&unread, &user.id).await?;
        let now = Timestamp::now();
        for id in unread {
            self.seen.entry(id.to_owned()).or_default().push(Receipt {
                user_id: user.id.clone(),
                display_name: user.display_name.clone(),
                seen_at: now,
            });
        }
        Ok(())
    }

    /// `author`: `None` for clips stored before accounts, which nobody known wrote.
    fn byline(&self, author: Option<&Author>, created_at: Timestamp, message_id: &str) -> Message {
        let member = match author {
            Some(Author::Member(id)) => self.authors.get(id),
            Some(Author::Guest(_)) | None => None,
        };
        let utc = created_at.instant();
        let zone = match (self.readers, member) {
            (Readers::Team, Some(user)) => user.zone(),
            _ => chrono_tz::UTC,
        };
        let local = zone.from_utc_datetime(&utc.naive_utc());
        Message {
            author: match (member, author) {
                (Some(user), _) if self.readers == Readers::Outsiders => AuthorView::Teammate {
                    display_name: user.display_name.clone(),
                },
                (Some(user), _) => AuthorView::Member {
                    id: user.id.clone(),
                    display_name: user.display_name.clone(),
                    time_zone: user.time_zone.clone(),
                },
                (None, Some(Author::Guest(name))) => AuthorView::Guest {
                    guest_name: Some(name.clone()),
                    display_name: Some(format!("{name} (guest)")),
                },
                (None, Some(Author::Member(_)) | None) => AuthorView::Guest {
                    guest_name: None,
                    display_name: None,
                },
            },
            created_at: utc,
            created_at_local: local.fixed_offset(),
            utc_offset_minutes: local.offset().fix().local_minus_utc() / 60,
            message_id: message_id.to_owned(),
            seen_by: match self.readers {
                Readers::Team => self.seen.get(message_id).cloned().unwrap_or_default(),
                Readers::Outsiders => Vec::new(),
            },
            reactions: self.reactions.get(message_id).cloned().unwrap_or_default(),
            content: Content::Deleted,
            place: None,
            replies: Vec::new(),
        }
    }

    /// A clip's author is its owner (a voice reply is always its replier's own clip).
    fn clip_message(&self, clip: &ClipRow) -> AppResult<Message> {
        let author = clip.owner_id.clone().map(Author::Member);
        let mut message = self.byline(author.as_ref(), clip.created_at, &clip.id);
        if clip.status == ClipStatus::Deleted {
            return Ok(message);
        }
        let view = self
            .views
            .get(&clip.id)
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no view of clip {}", clip.id)))?;
        message.content = Content::Clip {
            clip: Box::new(view),
            duration_ms: clip.duration_ms,
            transcript_snippet: self.openings.get(&clip.id).cloned(),
            summary: self.summaries.get(&clip.id).cloned(),
        };
        Ok(message)
    }

    fn reply_message(&self, reply: &Reply, clip_rows: &HashMap<String, ClipRow>) -> AppResult<Message> {
        let mut message = match &reply.body {
            ReplyBody::Clip(clip_id) => {
                let clip = clip_rows.get(clip_id).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("reply {} points at a missing clip", reply.id))
                })?;
                self.clip_message(clip)?
            }
            ReplyBody::Text(text) => {
                let mut message = self.byline(Some(&reply.author), reply.created_at, &reply.id);
                message.content = Content::Text { text: text.clone() };
                message
            }
            ReplyBody::Deleted => {
                let mut message = self.byline(Some(&reply.author), reply.created_at, &reply.id);
                message.content = Content::Deleted;
                message
            }
        };
        message.place = Some(Place {
            reply_id: reply.id.clone(),
            parent_id: reply.parent_id.clone(),
            anchor_ms: reply.anchor_ms,
            anchor: reply.anchor_ms.map(clock),
        });
        Ok(message)
    }

    /// The answers to `parent` (`None`: the root), each with its own, oldest first. `answered`
    /// is the parent's recording's trim: the moments answers point at are kept in the
    /// original's time and shown through it.
    fn answers(
        &self,
        parent: Option<&str>,
        answered: Trim,
        children: &HashMap<Option<&str>, Vec<&Reply>>,
        clip_rows: &HashMap<String, ClipRow>,
    ) -> AppResult<Vec<Message>> {
        let mut out = Vec::new();
        for reply in children.get(&parent).into_iter().flatten() {
            let mut message = self.reply_message(reply, clip_rows)?;
            if let Some(place) = &mut message.place {
                place.anchor_ms = place.anchor_ms.and_then(|ms| answered.served_ms(ms));
                place.anchor = place.anchor_ms.map(clock);
            }
            let trim = reply
                .clip_id()
                .and_then(|id| clip_rows.get(id))
                .map_or(Trim::Whole, |clip| clip.trim);
            message.replies = self.answers(Some(&reply.id), trim, children, clip_rows)?;
            out.push(message);
        }
        Ok(out)
    }
}

/// `POST /api/v1/threads/{clip}/replies`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewReply {
    /// The reply this answers; absent: the clip in the URL.
    pub parent_id: Option<String>,
    pub text: Option<String>,
    /// A clip the replier uploaded, as a voice or video reply.
    pub clip_id: Option<String>,
    /// A moment of the clip answered, in milliseconds.
    #[schema(value_type = Option<i64>)]
    pub at_ms: Option<crate::services::whole_numbers::WholeNumber>,
    /// A guest's name (replying through a link, when the owner allows it).
    #[schema(schema_with = crate::services::text::line_or_null_schema::<80>)]
    pub guest_name: Option<String>,
}

/// Answers `clip_id` (or the reply `new.parent_id` in its thread) with text or a clip.
pub async fn reply(state: &AppState, viewer: &Viewer, clip_id: &str, new: NewReply) -> AppResult<Message> {
    let (target, relation) = find(state, viewer, clip_id, Action::Reply).await?;
    let (root, as_reply) = locate(state, &target.id).await?;
    if let ThreadRoot::Round(round_id) = &root {
        crate::services::checkins::find_round(state, viewer, round_id).await?;
    }
    let (parent_id, answered_clip) = answered(state, &new, &root, Some(target), as_reply, relation).await?;
    post(state, viewer, root, parent_id, answered_clip, new, relation).await
}

/// Replies in a check-in round's thread: to an answer, or to a reply under one (`parent_id`).
pub async fn reply_in_round(state: &AppState, viewer: &Viewer, round_id: &str, new: NewReply) -> AppResult<Message> {
    crate::services::checkins::find_round(state, viewer, round_id).await?;
    if new.parent_id.is_none() {
        return Err(AppError::BadRequest(
            "a reply in a check-in answers an answer or a reply (parent_id); answers go to …/answers".into(),
        ));
    }
    let root = ThreadRoot::Round(round_id.to_owned());
    let (parent_id, answered_clip) = answered(state, &new, &root, None, None, Relation::Member).await?;
    post(state, viewer, root, parent_id, answered_clip, new, Relation::Member).await
}

/// Stores a checked reply in the thread of `root`.
async fn post(
    state: &AppState,
    viewer: &Viewer,
    root: ThreadRoot,
    parent_id: Option<String>,
    answered_clip: Option<ClipRow>,
    new: NewReply,
    relation: Relation,
) -> AppResult<Message> {
    if let Some(at) = crate::services::whole_numbers::value(new.at_ms) {
        check_moment(at, answered_clip.as_ref())?;
    }
    let body = body_of(&new)?;
    let author = author_of(viewer, relation, &new, &body)?;
    if let ReplyBody::Clip(reply_clip) = &body {
        check_reply_clip(state, viewer.require_user()?, reply_clip, root.clip_id()).await?;
    }
    let reply = Reply {
        id: db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        root,
        parent_id,
        body,
        // Kept in the original's time, whatever the answered recording's trim.
        anchor_ms: crate::services::whole_numbers::value(new.at_ms)
            .map(|at| answered_clip.as_ref().map_or(at, |clip| clip.trim.original_ms(at))),
        author,
        created_at: Timestamp::now(),
    };
    // Two copies of one reply sent at once both pass the checks above; the unique key lets one
    // in and the other gets the same answer as a resend.
    if !state.db.threads().insert(&reply).await? {
        return Err(already_in_thread());
    }
    state.wakes.events().notify_one();
    let clip_rows = rows_by_id(state, reply.clip_id().as_slice()).await?;
    let context = Context::load(state, viewer, std::slice::from_ref(&reply), &clip_rows, relation).await?;
    context.reply_message(&reply, &clip_rows)
}

/// What a new reply answers: the parent reply if it names one (with its clip, if a voice
/// reply), else the clip it was posted to (`target`, itself a reply or the root).
async fn answered(
    state: &AppState,
    new: &NewReply,
    root: &ThreadRoot,
    target: Option<ClipRow>,
    target_as_reply: Option<Reply>,
    relation: Relation,
) -> AppResult<(Option<String>, Option<ClipRow>)> {
    let not_in_thread = || AppError::BadRequest("parent_id is not a reply in this thread".into());
    let Some(parent_id) = &new.parent_id else {
        return Ok((target_as_reply.map(|r| r.id), target));
    };
    let parent = state
        .db
        .threads()
        .by_id(parent_id)
        .await?
        .filter(|p| p.root == *root)
        .ok_or_else(not_in_thread)?;
    // Outsiders answer only what they are shown.
    if let (Readers::Outsiders, Some(root_id)) = (Readers::of(relation), root.clip_id()) {
        let root = state.db.clips().get(root_id).await?.ok_or_else(not_in_thread)?;
        if !outsiders_may_see(&root.access(), &parent.author) {
            return Err(not_in_thread());
        }
    }
    let clip = match parent.clip_id() {
        Some(id) => Some(
            state
                .db
                .clips()
                .get(id)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("reply {} lost its clip", parent.id)))?,
        ),
        None => None,
    };
    Ok((Some(parent.id), clip))
}

/// A moment points into the clip answered, inside its length.
fn check_moment(at: i64, answered_clip: Option<&ClipRow>) -> AppResult<()> {
    let Some(clip) = answered_clip else {
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
    Ok(())
}

/// Text or a clip, never both or neither.
fn body_of(new: &NewReply) -> AppResult<ReplyBody> {
    /// Longest text reply, in bytes.
    const MAX_TEXT: usize = 10_000;
    let text = new.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match (text, &new.clip_id) {
        (Some(_), Some(_)) | (None, None) => Err(AppError::BadRequest("a reply is either text or a clip_id".into())),
        (Some(text), None) if text.len() > MAX_TEXT => Err(AppError::BadRequest(format!(
            "the text is longer than {MAX_TEXT} bytes"
        ))),
        (Some(text), None) => Ok(ReplyBody::Text(text.to_owned())),
        (None, Some(clip)) => Ok(ReplyBody::Clip(clip.clone())),
    }
}

/// A member replies as themselves; anyone through the link is a guest, under a name, in text.
fn author_of(viewer: &Viewer, relation: Relation, new: &NewReply, body: &ReplyBody) -> AppResult<Author> {
    if let (Some(user), Relation::Owner | Relation::Member) = (&viewer.user, relation) {
        return Ok(Author::Member(user.id.clone()));
    }
    let Some(name) = new.guest_name.as_deref() else {
        return Err(AppError::BadRequest(
            "guests reply under a name (guest_name, 1–80 characters)".into(),
        ));
    };
    let name = crate::services::text::line(name, "guest name", 80)?;
    if matches!(body, ReplyBody::Clip(_)) {
        return Err(AppError::BadRequest("guests reply in text".into()));
    }
    Ok(Author::Guest(name))
}

/// A voice reply is one of the user's own ready clips, not the root, and in no thread yet.
pub(crate) async fn check_reply_clip(
    state: &AppState,
    user: &User,
    clip_id: &str,
    root_id: Option<&str>,
) -> AppResult<()> {
    let Some(clip) = state.db.clips().get(clip_id).await? else {
        return Err(AppError::NotFound(Missing::Clip));
    };
    if clip.owner_id.as_deref() != Some(user.id.as_str()) || clip.status != ClipStatus::Ready {
        return Err(AppError::NotFound(Missing::Clip));
    }
    if Some(clip.id.as_str()) == root_id {
        return Err(AppError::BadRequest("a clip cannot answer itself".into()));
    }
    // A conflict, not a mistake: clients resending a reply after a failure see 409.
    let threads = state.db.threads();
    if threads.by_clip(&clip.id).await?.is_some() || threads.has_replies(&clip.id).await? {
        return Err(already_in_thread());
    }
    Ok(())
}

fn already_in_thread() -> AppError {
    AppError::Conflict("that clip is already part of a thread".into())
}

/// Deletes one of the viewer's own text replies (see `ThreadStore::delete_text`). Whoever may
/// not see its thread gets the same 404 as for no reply; another member's reply is 403.
pub async fn delete_reply(state: &AppState, viewer: &Viewer, reply_id: &str) -> AppResult<()> {
    let user = viewer.require_user()?;
    let reply = state
        .db
        .threads()
        .by_id(reply_id)
        .await?
        .ok_or(AppError::NotFound(Missing::Reply))?;
    let visible = match &reply.root {
        ThreadRoot::Clip(root) => find(state, viewer, root, Action::View).await.map(|_| ()),
        ThreadRoot::Round(round) => crate::services::checkins::find_round(state, viewer, round)
            .await
            .map(|_| ()),
    };
    visible.map_err(|_| AppError::NotFound(Missing::Reply))?;
    if reply.author_id() != Some(user.id.as_str()) {
        return Err(AppError::Forbidden("only its author may delete a reply".into()));
    }
    match reply.body {
        ReplyBody::Text(_) => Ok(state.db.threads().delete_text(&reply.id).await?),
        ReplyBody::Deleted => Ok(()),
        ReplyBody::Clip(_) => Err(AppError::BadRequest(
            "a voice or video reply is deleted as its clip (DELETE /api/v1/clips/{id})".into(),
        )),
    }
}

/// The player started `id`: the first time counts as hearing it (never for its author).
pub async fn heard(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let user = viewer.require_user()?;
    let (clip, _) = find(state, viewer, id, Action::PlayMedia).await?;
    state.db.threads().mark_seen(&[clip.id.as_str()], &user.id).await?;
    Ok(())
}

/// The viewer is done with the thread `id` belongs to: it leaves their inbox until something
/// newer arrives in it.
pub async fn done(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let user = viewer.require_user()?;
    let root = thread_root(state, viewer, id).await?;
    Ok(state.db.threads().mark_done(&root, &user.id, Timestamp::now()).await?)
}

/// The thread `id` belongs to is back in the viewer's inbox: not done, its messages unheard.
pub async fn unheard(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let user = viewer.require_user()?;
    let root = thread_root(state, viewer, id).await?;
    Ok(state.db.threads().mark_unheard(&root, &user.id).await?)
}

/// The root of the thread clip `id` belongs to, if the viewer may see it and it is a thread
/// an inbox holds (a check-in's answers live in their round instead).
async fn thread_root(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<String> {
    let (clip, _) = find(state, viewer, id, Action::View).await?;
    match locate(state, &clip.id).await? {
        (ThreadRoot::Clip(root), _) => {
            if root != clip.id {
                find(state, viewer, &root, Action::View).await?;
            }
            Ok(root)
        }
        (ThreadRoot::Round(_), _) => Err(AppError::BadRequest(
            "a check-in's answers are not in the inbox: they live in their round".into(),
        )),
    }
}

/// Threads with messages the user has not heard (or read) yet, newest activity first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    pub threads: Vec<InboxThread>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InboxThread {
    pub thread_url: String,
    pub root: ClipView,
    pub unheard: i64,
    /// Who wrote what waits, by name (guests left out).
    pub unheard_from: Vec<String>,
    pub latest_at: Timestamp,
}

pub async fn inbox(state: &AppState, viewer: &Viewer) -> AppResult<Inbox> {
    let user = viewer.require_user()?;
    let unheard = state.db.threads().unheard_threads(&user.workspace_id, &user.id).await?;
    let root_ids: Vec<&str> = unheard.iter().map(|u| u.root_clip_id.as_str()).collect();
    let mut rows = rows_by_id(state, &root_ids).await?;
    // Views come back in the order of `unheard`, less the roots the user may not see.
    let roots = unheard.iter().filter_map(|u| rows.remove(&u.root_clip_id));
    let mut views = views(state, viewer, visible_to_member(user, roots))
        .await?
        .into_iter()
        .peekable();
    let author_ids: Vec<&str> = unheard.iter().flat_map(Unheard::author_ids).collect();
    let names: HashMap<String, String> = state
        .db
        .users()
        .by_ids(&author_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let threads = unheard
        .iter()
        .filter_map(|waiting| {
            let root = views.next_if(|view| view.id == waiting.root_clip_id)?;
            Some(InboxThread {
                thread_url: format!("{}/api/v1/threads/{}", state.public_url, waiting.root_clip_id),
                root,
                unheard: waiting.messages,
                unheard_from: waiting.author_ids().filter_map(|id| names.get(id).cloned()).collect(),
                latest_at: waiting.newest_at,
            })
        })
        .collect();
    Ok(Inbox { threads })
}
