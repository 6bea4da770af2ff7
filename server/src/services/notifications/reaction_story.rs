//! What a reaction tells its workspace's webhooks ("Ana reacted 👍 to “Launch plan” at 0:12"),
//! and the line the next mail about a thread carries about reactions to its recipient's messages
//! (a reaction never mails on its own).

use std::collections::BTreeMap;

use db::domain::{ClipStatus, clock};
use db::queue::Notice;
use db::reactions::Reacted;
use db::threads::ThreadRoot;
use serde_json::{Value, json};

use super::story::Untold;
use crate::error::AppResult;
use crate::state::AppState;

/// A reaction, as it is told.
#[derive(Debug)]
pub struct ReactionStory {
    pub reaction: Reacted,
    /// The message's title, or the check-in's for an answer in a round.
    pub title: String,
    /// The page the message is read on, at the moment reacted to when it is the thread's root.
    pub link: String,
    /// The thread: its root clip, or the check-in's round.
    pub root: ThreadRoot,
    pub subject: String,
}

/// What a `reaction.created` notice tells, or why it is not told: the reaction was taken back,
/// or its thread is gone.
pub async fn describe(state: &AppState, notice: &Notice) -> AppResult<Result<ReactionStory, Untold>> {
    let Some(reaction) = state.db.reactions().by_id(&notice.reply_id).await? else {
        return Ok(Err(Untold::Dropped("the reaction was taken back")));
    };
    let (root, title, mut link) = if notice.subject.is_empty() {
        let Some(root) = state.db.clips().get(&notice.clip_id).await? else {
            return Ok(Err(Untold::Dropped("the message is gone")));
        };
        let (Some(token), false) = (&root.share_token, root.status == ClipStatus::Deleted) else {
            return Ok(Err(Untold::Dropped("the message was deleted")));
        };
        let link = format!("{}/c/{token}", state.public_url);
        (ThreadRoot::Clip(root.id.clone()), root.display_title().to_owned(), link)
    } else {
        let Some(round) = state.db.checkins().round(&notice.subject).await? else {
            return Ok(Err(Untold::Dropped("the round is gone")));
        };
        let Some(checkin) = state.db.checkins().get(&round.checkin_id).await? else {
            return Ok(Err(Untold::Dropped("the check-in is gone")));
        };
        let link = format!("{}/checkins/rounds/{}", state.public_url, round.id);
        (ThreadRoot::Round(round.id), checkin.title, link)
    };
    if let (Some(ms), Some(root_id)) = (reaction.at_ms, root.clip_id())
        && reaction.message_id == root_id
    {
        link.push_str(&format!("?t={:.1}", ms as f64 / 1000.0));
    }
    let subject = format!("{} reacted {} to “{title}”", reaction.display_name, reaction.emoji);
    Ok(Ok(ReactionStory {
        reaction,
        title,
        link,
        root,
        subject,
    }))
}

impl ReactionStory {
    /// "Ana reacted 👍 to “Launch plan” at 0:12."
    pub fn summary(&self) -> String {
        match self.reaction.at_ms {
            Some(ms) => format!("{} at {}.", self.subject, clock(ms)),
            None => format!("{}.", self.subject),
        }
    }

    /// `data` of the Standard Webhooks payload.
    pub fn data(&self) -> Value {
        json!({
            "summary": self.summary(),
            "url": self.link,
            "actor": { "id": self.reaction.user_id, "name": self.reaction.display_name },
            "reaction": {
                "emoji": self.reaction.emoji,
                "at_ms": self.reaction.at_ms,
                "message_id": self.reaction.message_id,
            },
            "message": { "id": self.root.clip_id(), "title": self.title },
            "round_id": self.root.round_id(),
        })
    }
}

/// "👍 Ana, Ben · 🎉 Carl": others' reactions to `recipient`'s messages in the thread of
/// `root_clip_id` (the message itself and their replies), for the next mail about it to carry.
pub async fn to_their_messages(state: &AppState, root_clip_id: &str, recipient: &str) -> AppResult<Option<String>> {
    let replies = state
        .db
        .threads()
        .of_thread(&ThreadRoot::Clip(root_clip_id.to_owned()))
        .await?;
    let root_is_theirs = state
        .db
        .clips()
        .get(root_clip_id)
        .await?
        .is_some_and(|c| c.owner_id.as_deref() == Some(recipient));
    let theirs: Vec<&str> = root_is_theirs
        .then_some(root_clip_id)
        .into_iter()
        .chain(
            replies
                .iter()
                .filter(|r| r.author_id() == Some(recipient))
                .map(|r| r.clip_id().unwrap_or(&r.id)),
        )
        .collect();
    let mut by_emoji: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for reaction in state.db.reactions().on_messages(&theirs).await? {
        if reaction.user_id != recipient {
            by_emoji.entry(reaction.emoji).or_default().push(reaction.display_name);
        }
    }
    Ok((!by_emoji.is_empty()).then(|| {
        by_emoji
            .into_iter()
            .map(|(emoji, names)| format!("{emoji} {}", names.join(", ")))
            .collect::<Vec<_>>()
            .join(" · ")
    }))
}
