//! A conversation as pages show it: messages in reading order, each answer right after what it
//! answers (indented up to three levels), each with its author, their time and the viewer's,
//! a player or the words, and Reply and Delete where the viewer may. The message page shows a
//! thread's replies this way, the round page a check-in's answers.

use chrono_tz::Tz;
use maud::{Markup, html};

use super::avatar::avatar;
use super::live_parts::version_of;
use super::reactions::ReactionBar;
use super::when::{pretty_local, seen_time};
use crate::services::threads::{self, Content, Message};
use db::domain::clock;

/// Who reads the conversation, and what they may do in it.
pub struct Conversation<'a> {
    /// A signed-in member's zone: every time in it (others: the browser's).
    pub viewer_zone: Option<Tz>,
    /// Who is looking, if signed in (their own text replies get a Delete button).
    pub viewer_id: Option<&'a str>,
    pub may_reply: bool,
    /// On the team, signed in: may react.
    pub may_react: bool,
}

impl Conversation<'_> {
    /// `messages` and everything under them, as items of one list. `parent_media` is the
    /// player an "at 1:23" chip of a top-level message seeks (`""`: none).
    pub fn items(&self, messages: &[Message], parent_media: &str) -> Markup {
        let mut flat = Vec::new();
        flatten(messages, 0, None, parent_media, &mut flat);
        html! { @for entry in &flat { (self.item(entry)) } }
    }

    /// One message: who, when, what, and what can be done with it.
    fn item(&self, entry: &Flat<'_>) -> Markup {
        let message = entry.message;
        let id = message.place.as_ref().map_or("", |p| p.reply_id.as_str());
        let media_id = format!("m-{id}");
        let author = message.author_name();
        let zone = match &message.author {
            threads::AuthorView::Member { time_zone, .. } => Some(time_zone.as_str()),
            threads::AuthorView::Teammate { .. } | threads::AuthorView::Guest { .. } => None,
        };
        let is_clip = matches!(message.content, Content::Clip { .. });
        let own_text = matches!(message.content, Content::Text { .. })
            && matches!((&message.author, self.viewer_id), (threads::AuthorView::Member { id: author, .. }, Some(viewer)) if author == viewer);
        let inner = html! {
            article aria-label={ "Reply from " (author) } {
                (avatar(author))
                div.body {
                    p.byline {
                        strong { (author) } " · "
                        (seen_time(message.created_at, self.viewer_zone))
                        @if let Some(zone) = zone && Some(zone) != self.viewer_zone.map(|z| z.name()) {
                            " · their time " (pretty_local(message.created_at_local)) " (" (zone) ")"
                        }
                        @if let Some(parent) = entry.answering { " · answering " (parent) }
                        @if let Some(place) = &message.place && let (Some(ms), Some(label)) = (place.anchor_ms, &place.anchor) {
                            " · " button.chip type="button" data-seek-ms=(ms) data-target=(entry.parent_media) { "at " (label) }
                        }
                    }
                    @match &message.content {
                        Content::Clip { clip, transcript_snippet, summary, duration_ms } => {
                            @let seen = seen_url(&clip.url);
                            div.reply-player {
                                @if clip.media.has_video {
                                    video id=(media_id) controls preload="metadata" src=(clip.media_url) data-seen=(seen)
                                        aria-label={ "Video reply from " (author) } poster=[clip.poster_url.as_deref()] {}
                                } @else {
                                    audio id=(media_id) controls preload="metadata" src=(clip.media_url) data-seen=(seen)
                                        aria-label={ "Voice reply from " (author) } {}
                                }
                                // Its length, from the server: the same in every browser, before the player knows it.
                                span.duration aria-label="Length" { (clock(*duration_ms)) }
                            }
                            @if let Some(summary) = summary { p.said { (summary) } }
                            @else if let Some(snippet) = transcript_snippet { p.said { (snippet) } }
                        }
                        Content::Text { text } => p.said { (text) },
                        Content::Deleted => p.status { "(deleted)" },
                    }
                    @if !matches!(message.content, Content::Deleted) {
                        (ReactionBar {
                            message_id: &message.message_id,
                            reactions: &message.reactions,
                            viewer_id: self.viewer_id,
                            may_react: self.may_react,
                            media: is_clip.then_some(media_id.as_str()),
                        }.markup())
                    }
                    @if !message.seen_by.is_empty() {
                        p.seen { @if is_clip { "Heard by " } @else { "Read by " }
                            (message.seen_by.iter().map(|s| s.display_name.as_str()).collect::<Vec<_>>().join(", ")) }
                    }
                    @if (self.may_reply && !matches!(message.content, Content::Deleted)) || own_text {
                        div.reply-actions {
                            @if self.may_reply && !matches!(message.content, Content::Deleted) {
                                button.answer type="button" data-reply=(id) data-author=(author)
                                    data-media=[is_clip.then_some(media_id.as_str())] { "Reply" }
                            }
                            @if own_text {
                                button.delete-reply type="button" data-url={ "/api/v1/replies/" (id) } { "Delete" }
                            }
                        }
                    }
                }
            }
        };
        let v = version_of(&inner);
        html! { li id={ "r-" (id) } data-v=(v) data-depth=(entry.depth.min(3)) { (inner) } }
    }
}

/// A reply in the conversation's reading order, with where it sits.
struct Flat<'a> {
    message: &'a Message,
    depth: usize,
    /// Who it answers, when that is a reply rather than the message.
    answering: Option<&'a str>,
    /// The player its "at 1:23" chip seeks: the nearest voice or video it answers.
    parent_media: String,
}

/// The tree of replies as one list, each answer right after what it answers.
fn flatten<'a>(
    replies: &'a [Message],
    depth: usize,
    answering: Option<&'a str>,
    parent_media: &str,
    out: &mut Vec<Flat<'a>>,
) {
    for message in replies {
        let id = message.place.as_ref().map_or("", |p| p.reply_id.as_str());
        out.push(Flat {
            message,
            depth,
            answering,
            parent_media: parent_media.to_owned(),
        });
        let media = match message.content {
            Content::Clip { .. } => format!("m-{id}"),
            _ => parent_media.to_owned(),
        };
        flatten(&message.replies, depth + 1, Some(message.author_name()), &media, out);
    }
}

/// Where a player reports a play of the clip at `clip_url` (which may carry `?share=`).
fn seen_url(clip_url: &str) -> String {
    match clip_url.split_once('?') {
        Some((path, query)) => format!("{path}/seen?{query}"),
        None => format!("{clip_url}/seen"),
    }
}
