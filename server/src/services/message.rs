//! A message as its page shows it: the clip shaped for the viewer, its author, transcript and
//! thread, and what the viewer may do with it — decided here, by the one policy, so the page
//! only renders. Reached through the message's link (`/c/{token}`) or by the team, by id
//! (`/m/{id}`).

use chrono::Utc;
use transcribe::Transcript;

use crate::auth::Viewer;
use crate::auth::policy::{Action, Relation, allows, relation};
use crate::error::{AppError, AppResult};
use crate::services::clips::{ClipView, find, views};
use crate::services::links::{self, Opened, Recording};
use crate::services::summaries::{self, SummaryView};
use crate::services::threads::{self, Content, Thread};
use crate::services::transcripts;
use crate::state::AppState;

/// How the message was reached.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// Through the message's link: `/c/{token}`.
    Link(&'a str),
    /// By the team, by id: `/m/{id}` (a message whose link was turned off has only this).
    Team(&'a str),
}

/// What the viewer finds there.
#[derive(Debug)]
pub enum Found {
    Message(Box<MessageView>),
    /// A take still being recorded behind its link.
    Recording(Box<Recording>),
    /// A take cancelled while it was recorded.
    Cancelled(Box<crate::services::links::Cancelled>),
}

/// A message, for one viewer.
#[derive(Debug)]
pub struct MessageView {
    /// Shaped for the viewer: its owner sees its sharing.
    pub clip: ClipView,
    /// The link it was opened through; `None` on the team's `/m/{id}`.
    pub token: Option<String>,
    /// Who recorded it, by name ("someone" for clips stored before accounts).
    pub author_name: String,
    /// Where its author lives, for members of its team (outsiders see times in UTC).
    pub author_zone: Option<String>,
    pub transcript: Option<Transcript>,
    /// What the model made of the transcript (or its owner wrote), when the viewer may read it.
    pub summary: Option<SummaryView>,
    /// Its thread, as the viewer may see it (a reply opened through its own link: none).
    pub thread: Option<Thread>,
    /// The start of its transcript, for link previews.
    pub opening: Option<String>,
    /// Anyone with the link may open it (so its page may unfurl in chat).
    pub public: bool,
    /// A member of its workspace: it can be in their inbox.
    pub in_team: bool,
    /// Made of what arrived of a take whose bytes stopped coming (a tab closed mid-take): its
    /// page says where the recording stopped.
    pub stopped_early: bool,
    pub may_reply: bool,
    /// Its owner (or an admin) may rename it and change who can open it; never on a reply,
    /// whose sharing is its thread's.
    pub may_manage: bool,
    /// When it is a reply: the title of the message it answers, and that message's page.
    pub answers: Option<(String, Option<String>)>,
}

/// What `entry` leads to for `viewer`; `None` when nothing, or nothing they may see.
pub async fn open(state: &AppState, viewer: &Viewer, entry: Entry<'_>) -> AppResult<Option<Found>> {
    let (row, rel, token) = match entry {
        Entry::Link(token) => match unless_hidden(links::open(state, viewer, token).await)? {
            None => return Ok(None),
            Some(Opened::Recording(take)) => return Ok(Some(Found::Recording(take))),
            Some(Opened::Cancelled(take)) => return Ok(Some(Found::Cancelled(take))),
            Some(Opened::Clip { row, relation }) => (*row, relation, Some(token)),
        },
        Entry::Team(id) => match unless_hidden(find(state, viewer, id, Action::View).await)? {
            Some((row, relation @ (Relation::Owner | Relation::Member))) => (row, relation, None),
            _ => return Ok(None),
        },
    };
    let viewer = Viewer {
        share_token: token.map(str::to_owned),
        ..viewer.clone()
    };
    let author = links::author(state, &row).await?;
    let transcript = transcripts::of_clip(state, &row).await?;
    let summary = unless_hidden(summaries::of_clip(state, &row, rel).await)?;
    let thread = unless_hidden(threads::thread(state, &viewer, &row.id).await)?;
    let opening = transcripts::opening(state, &row, 200).await?;
    let public = token.is_some_and(|t| relation(None, Some(t), &row.access(), Utc::now()) == Relation::LinkHolder);
    let may_reply = allows(rel, Action::Reply, &row.access());
    let may_change_sharing = allows(rel, Action::ChangeSharing, &row.access());
    let answers = thread
        .as_ref()
        .filter(|t| t.root.message_id != row.id)
        .and_then(|t| match &t.root.content {
            Content::Clip { clip, .. } => Some((clip.display_title().to_owned(), clip.page_url.clone())),
            Content::Text { .. } | Content::Deleted => None,
        });
    let in_team = matches!(rel, Relation::Owner | Relation::Member);
    let stopped_early = state.db.uploads().stopped(&row.id).await?;
    let clip = views(state, &viewer, vec![(row, rel)])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no view of the message")))?;
    Ok(Some(Found::Message(Box::new(MessageView {
        clip,
        token: token.map(str::to_owned),
        author_name: author
            .as_ref()
            .map_or("someone", |a| a.display_name.as_str())
            .to_owned(),
        author_zone: author.filter(|_| in_team).map(|a| a.time_zone),
        transcript,
        summary,
        thread,
        opening,
        public,
        in_team,
        stopped_early,
        may_reply,
        may_manage: may_change_sharing && answers.is_none(),
        answers,
    }))))
}

/// What the viewer may not see is `None`; any other failure stays an error (a database or
/// storage outage is not a 404).
fn unless_hidden<T>(result: AppResult<T>) -> AppResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(AppError::NotFound(_) | AppError::Forbidden(_) | AppError::Unauthorized) => Ok(None),
        Err(err) => Err(err),
    }
}
