//! What happened, told in words and a link: the same story goes out by mail (to one person) and
//! to webhooks (to a workspace's tools).

use chrono::Utc;
use maud::html;

use crate::error::{AppError, AppResult, Missing};
use crate::state::AppState;
use db::Timestamp;
use db::clips::ClipRow;
use db::domain::{Author, ClipStatus, NotificationEvent, ReplyBody, clock};
use db::queue::Notice;
use db::threads::Reply;

/// How long a notification waits for its message's transcript, to quote its opening.
const TRANSCRIPT_WAIT: chrono::Duration = chrono::Duration::seconds(90);
/// How much of a transcript or a text reply a notification quotes.
const QUOTE_CHARS: usize = 240;

/// Why something is not told, now or at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untold {
    /// No longer worth telling, and why.
    Dropped(&'static str),
    /// Not yet: the message's transcript is still being made (told once it is, or after a
    /// while without it).
    NotYet,
}

/// Something that happened, as it is told.
#[derive(Debug)]
pub struct Story {
    pub event: NotificationEvent,
    /// The message, or the root of the thread replied in.
    pub root: ClipRow,
    pub reply: Option<Reply>,
    /// The recording: the message itself, or the reply's clip (none for a text reply).
    pub recording: Option<ClipRow>,
    /// Whose receipt means the news is heard already: the message's or the reply's id.
    pub heard_id: String,
    /// Who did it, by name.
    pub actor: String,
    pub title: String,
    /// The page, at the moment an anchored reply points to.
    pub link: String,
    pub subject: String,
    /// "Ana replied by voice to “Title”".
    pub what: String,
    /// " at 1:23" for an anchored reply.
    pub at: Option<String>,
    /// The recording's length, `m:ss`.
    pub length: Option<String>,
    /// The transcript's opening, or the text replied.
    pub said: Option<String>,
    /// The message's summary, when one is written by the time this is told.
    pub message_summary: Option<String>,
    /// The voice or video reply's summary, likewise.
    pub reply_summary: Option<String>,
    /// Reactions to the recipient's messages in the thread ("👍 Ana · 🎉 Ben"): a reaction
    /// sends no mail of its own, so the next mail about the thread carries them.
    pub reactions: Option<String>,
}

/// What a notice tells: news of a message or a reply, or of a check-in's round.
#[derive(Debug)]
pub enum Told {
    Message(Box<Story>),
    Checkin(Box<super::checkin_story::CheckinStory>),
    Reaction(Box<super::reaction_story::ReactionStory>),
}

impl Told {
    pub fn subject(&self) -> &str {
        match self {
            Self::Message(story) => &story.subject,
            Self::Checkin(story) => &story.subject,
            Self::Reaction(story) => &story.subject,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Self::Message(story) => story.text(),
            Self::Checkin(story) => story.text(),
            Self::Reaction(story) => format!("{}\n\n{}\n", story.summary(), story.link),
        }
    }

    pub fn html(&self) -> String {
        match self {
            Self::Message(story) => story.html(),
            Self::Checkin(story) => story.html(),
            Self::Reaction(story) => {
                html! { p { (story.summary()) } p { a href=(story.link) { "Open it" } } }.into_string()
            }
        }
    }
}

/// What `notice` (queued at `queued_at`) tells, or why it is not told (now).
pub async fn tell(state: &AppState, notice: &Notice, queued_at: Timestamp) -> AppResult<Result<Told, Untold>> {
    Ok(if notice.event == NotificationEvent::ReactionCreated {
        super::reaction_story::describe(state, notice)
            .await?
            .map(|s| Told::Reaction(Box::new(s)))
    } else if notice.subject.is_empty() {
        describe(state, notice, queued_at)
            .await?
            .map(|s| Told::Message(Box::new(s)))
    } else {
        super::checkin_story::describe(state, notice, queued_at)
            .await?
            .map(|s| Told::Checkin(Box::new(s)))
    })
}

/// What news of a message or a reply (queued at `queued_at`) tells, or why it is not told (now).
pub async fn describe(state: &AppState, notice: &Notice, queued_at: Timestamp) -> AppResult<Result<Story, Untold>> {
    let Notice {
        event,
        clip_id,
        reply_id,
        actor_id,
        ..
    } = notice;
    let event = *event;
    let Some(root) = state.db.clips().get(clip_id).await? else {
        return Ok(Err(Untold::Dropped("the message is gone")));
    };
    if root.status == ClipStatus::Deleted {
        return Ok(Err(Untold::Dropped("the message was deleted")));
    }
    let (heard_id, recording, reply) = match event {
        NotificationEvent::CheckinAsked
        | NotificationEvent::CheckinReminded
        | NotificationEvent::CheckinAnswered
        | NotificationEvent::CheckinCompleted
        | NotificationEvent::ReactionCreated => return Ok(Err(Untold::Dropped("not a message's news"))),
        NotificationEvent::MessageCreated => {
            if state.db.threads().by_clip(&root.id).await?.is_some() {
                return Ok(Err(Untold::Dropped("the message became a reply")));
            }
            (root.id.clone(), Some(root.clone()), None)
        }
        NotificationEvent::ReplyCreated => {
            let Some(reply) = state.db.threads().by_id(reply_id).await? else {
                return Ok(Err(Untold::Dropped("the reply is gone")));
            };
            let clip = match reply.clip_id() {
                Some(id) => state.db.clips().get(id).await?,
                None => None,
            };
            let id = reply.clip_id().map_or_else(|| reply.id.clone(), str::to_owned);
            (id, clip, Some(reply))
        }
    };
    let opening = match &recording {
        Some(clip) => {
            let opening = crate::services::transcripts::opening(state, clip, QUOTE_CHARS).await?;
            let waited = Utc::now() - queued_at.instant();
            if opening.is_none() && waited < TRANSCRIPT_WAIT && transcript_coming(state, clip).await? {
                return Ok(Err(Untold::NotYet));
            }
            opening
        }
        None => None,
    };
    let actor = match (state.db.users().by_id(actor_id).await?, &reply) {
        (Some(member), _) => member.display_name,
        (
            None,
            Some(Reply {
                author: Author::Guest(name),
                ..
            }),
        ) => format!("{name} (guest)"),
        (None, _) => "Someone".to_owned(),
    };
    let title = root.display_title().to_owned();
    let mut link = format!(
        "{}/c/{}",
        state.public_url,
        root.share_token.as_deref().ok_or(AppError::NotFound(Missing::Clip))?
    );
    // A moment opens the page there: in the message itself, or (`?r=`) in the reply answered;
    // a reply to a reply opens at the new reply (`#r-…`), under what it answers.
    if let Some(reply) = &reply {
        match (&reply.parent_id, reply.anchor_ms) {
            (None, Some(ms)) => link.push_str(&format!("?t={:.1}", ms as f64 / 1000.0)),
            (Some(parent), Some(ms)) => link.push_str(&format!("?r={parent}&t={:.1}", ms as f64 / 1000.0)),
            (_, None) => {}
        }
        if reply.parent_id.is_some() {
            link.push_str(&format!("#r-{}", reply.id));
        }
    }
    let (subject, what) = match (&reply, &recording) {
        (None, _) => (
            format!("{actor} sent a message: “{title}”"),
            format!("{actor} recorded “{title}”"),
        ),
        (Some(_), Some(clip)) => (
            format!("{actor} replied to “{title}”"),
            format!(
                "{actor} replied by {} to “{title}”",
                if clip.media.has_video { "video" } else { "voice" }
            ),
        ),
        (Some(_), None) => (
            format!("{actor} replied to “{title}”"),
            format!("{actor} replied to “{title}”"),
        ),
    };
    let summary_ids: Vec<&str> = std::iter::once(root.id.as_str())
        .chain(reply.as_ref().and_then(|r| r.clip_id()))
        .collect();
    let mut summaries = crate::services::summaries::ready_lines(state, &summary_ids).await?;
    let message_summary = summaries.remove(&root.id);
    let reply_summary = reply
        .as_ref()
        .and_then(|r| r.clip_id())
        .and_then(|id| summaries.remove(id));
    let said = match &reply {
        Some(Reply {
            body: ReplyBody::Text(text),
            ..
        }) => Some(text.chars().take(QUOTE_CHARS).collect()),
        _ => opening,
    };
    let reactions = match state.db.users().by_id(&notice.to).await? {
        Some(_) => super::reaction_story::to_their_messages(state, &root.id, &notice.to).await?,
        None => None,
    };
    Ok(Ok(Story {
        reactions,
        event,
        at: reply
            .as_ref()
            .and_then(|r| r.anchor_ms)
            .map(|ms| format!(" at {}", clock(ms))),
        length: recording.as_ref().map(|c| clock(c.duration_ms)),
        root,
        reply,
        recording,
        heard_id,
        actor,
        title,
        link,
        subject,
        what,
        said,
        message_summary,
        reply_summary,
    }))
}

impl Story {
    /// "Ana replied by voice to “Title” at 0:12 (0:05)."
    pub fn summary(&self) -> String {
        let mut line = format!("{}{}", self.what, self.at.as_deref().unwrap_or_default());
        if let Some(length) = &self.length {
            line.push_str(&format!(" ({length})"));
        }
        line.push('.');
        line
    }

    /// The summary of what is told (the reply's, or the message's when it is the news),
    /// written on this server.
    pub fn condensed(&self) -> Option<&str> {
        match &self.reply {
            Some(_) => self.reply_summary.as_deref(),
            None => self.message_summary.as_deref(),
        }
    }

    /// The story as a mail's plain text.
    pub fn text(&self) -> String {
        let mut text = format!("{}\n\n", self.summary());
        if let Some(condensed) = self.condensed() {
            text.push_str(&format!("Summary (generated on the team's server): {condensed}\n\n"));
        }
        if let Some(said) = &self.said {
            text.push_str(&format!("“{said}”\n\n"));
        }
        if let Some(reactions) = &self.reactions {
            text.push_str(&format!("Reactions to yours in this thread: {reactions}\n\n"));
        }
        text.push_str(&format!("Listen and answer: {}\n", self.link));
        text
    }

    /// The story as a mail's HTML (every piece of user text escaped by maud).
    pub fn html(&self) -> String {
        html! {
            p { (self.summary()) }
            @if let Some(condensed) = self.condensed() {
                p { strong { "Summary" } " (generated on the team's server): " (condensed) }
            }
            @if let Some(said) = &self.said { blockquote { "“" (said) "”" } }
            @if let Some(reactions) = &self.reactions { p { "Reactions to yours in this thread: " (reactions) } }
            p { a href=(self.link) { "Listen and answer" } }
        }
        .into_string()
    }
}

/// Whether the clip's transcript is still being made.
async fn transcript_coming(state: &AppState, clip: &ClipRow) -> AppResult<bool> {
    Ok(matches!(
        crate::services::transcripts::status_of(state, &clip.id).await?.status,
        db::domain::TranscriptStatus::Pending | db::domain::TranscriptStatus::Running
    ))
}
