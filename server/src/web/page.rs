//! `/c/{token}`: the playback page — player, waveform, speed, skip-silences, transcript, who has
//! heard it, and the thread with a reply form.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::policy::{Action, Relation, allows, relation};
use crate::auth::{Credential, Viewer};
use crate::db::clips::ClipRow;
use crate::domain::clock;
use crate::error::{AppError, AppResult};
use crate::services::links::{self, Opened};
use crate::services::threads::{self, Content, Message, Thread};
use crate::services::transcripts;
use crate::state::AppState;
use crate::web::Framing;
use crate::web::when::{author_local, pretty_local};

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// `1`: the bare player, for embedding in other sites (anything else: the full page).
    embed: Option<String>,
}

pub async fn clip_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let framing = match query.embed.as_deref() {
        Some("1") => Framing::Player,
        _ => Framing::Page,
    };
    match render(&state, viewer, &token, framing == Framing::Player).await {
        // Only the bare player may be framed by other sites (see `security_headers`).
        Ok(Some(page)) => (framing, page).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, not_found()).into_response(),
        Err(err) => {
            tracing::error!("playback page: {err:?}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; try again.").into_response()
        }
    }
}

async fn render(state: &AppState, viewer: Viewer, token: &str, embed: bool) -> anyhow::Result<Option<Markup>> {
    let (clip, rel) = match unless_hidden(links::open(state, &viewer, token).await)? {
        None => return Ok(None),
        Some(Opened::Recording(take)) => return Ok(Some(super::recording::markup(&take))),
        Some(Opened::Clip { row, relation }) => (*row, relation),
    };
    let viewer = Viewer {
        share_token: Some(token.to_owned()),
        ..viewer
    };
    let author = links::author(state, &clip).await?;
    let transcript = transcripts::of_clip(state, &clip).await?;
    // A reply opened through its own link may not show the thread it answers.
    let thread = unless_hidden(threads::thread(state, &viewer, &clip.id).await)?;
    // Anyone with the link may see it: the page may unfurl in chat.
    let public = relation(None, Some(token), &clip.access(), Utc::now()) == Relation::LinkHolder;
    let csrf = match &viewer.credential {
        Some(Credential::Session { csrf, .. }) => Some(csrf.clone()),
        _ => None,
    };
    let can_reply = allows(rel, Action::Reply, &clip.access());
    let page = Page {
        base: &state.public_url,
        token,
        clip: &clip,
        author_name: author.as_ref().map_or("someone", |a| a.display_name.as_str()),
        // Where the team lives is the team's: outsiders see times in UTC.
        author_zone: author
            .as_ref()
            .filter(|_| matches!(rel, Relation::Owner | Relation::Member))
            .map(|a| a.time_zone.as_str()),
        transcript: transcript.as_ref(),
        thread: thread.as_ref(),
        public,
        csrf: csrf.as_deref(),
        can_reply,
        can_record: can_reply && csrf.is_some(),
        can_rename: allows(rel, Action::Rename, &clip.access()) && csrf.is_some(),
        in_team: matches!(rel, Relation::Owner | Relation::Member),
        viewer_id: viewer.user.as_ref().map(|u| u.id.clone()),
        guest: viewer.user.is_none(),
        embed,
        opening: transcripts::opening(state, &clip, 200).await?,
    };
    Ok(Some(page.markup()))
}

/// What the viewer may not see is `None`; any other failure stays an error (a database or
/// storage outage is not a 404).
fn unless_hidden<T>(result: AppResult<T>) -> AppResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

struct Page<'a> {
    base: &'a str,
    token: &'a str,
    clip: &'a ClipRow,
    author_name: &'a str,
    author_zone: Option<&'a str>,
    /// A member of the message's workspace: it can be in their inbox.
    in_team: bool,
    transcript: Option<&'a transcribe::Transcript>,
    thread: Option<&'a Thread>,
    public: bool,
    csrf: Option<&'a str>,
    can_reply: bool,
    /// Signed in and allowed to reply: may record a reply right on the page.
    can_record: bool,
    /// Its owner, signed in: may rename it on the page.
    can_rename: bool,
    /// Who is looking, if signed in (their own text replies get a Delete button).
    viewer_id: Option<String>,
    guest: bool,
    embed: bool,
    opening: Option<String>,
}

impl Page<'_> {
    fn api(&self, path: &str) -> String {
        format!("{}/api/v1/clips/{}{path}?share={}", self.base, self.clip.id, self.token)
    }

    fn title(&self) -> &str {
        self.clip.display_title()
    }

    fn markup(&self) -> Markup {
        let clip = self.clip;
        let media_url = self.api("/media");
        let page_url = format!("{}/c/{}", self.base, self.token);
        let recorded = clip.recorded_at.as_deref().unwrap_or(&clip.created_at);
        let heard: Vec<&str> = self
            .thread
            .and_then(|t| t.message(&clip.id))
            .map(|m| m.seen_by.iter().map(|s| s.display_name.as_str()).collect())
            .unwrap_or_default();
        // Link previews only for clips anyone with the link may see; nothing otherwise.
        let head = html! {
                    @if self.public {
                        meta property="og:type" content=(if clip.media.has_video { "video.other" } else { "music.song" });
                        meta property="og:title" content=(self.title());
                        meta property="og:site_name" content="Offbeat";
                        meta property="og:url" content=(page_url);
                        meta property="og:description" content=(self.opening.as_deref().unwrap_or("A voice message on Offbeat"));
                        @if clip.poster_key.is_some() { meta property="og:image" content=(self.api("/poster")); }
                        @if clip.media.has_video {
                            meta property="og:video" content=(media_url);
                            meta property="og:video:type" content=(clip.media.content_type);
                        } @else {
                            meta property="og:audio" content=(media_url);
                            meta property="og:audio:type" content=(clip.media.content_type);
                        }
                        link rel="alternate" type="application/json+oembed" title=(self.title())
                            href={ (self.base) "/oembed?format=json&url=" (urlencode(&page_url)) };
                    } @else {
                        meta name="robots" content="noindex";
                    }
        };
        let scripts: &[&str] = if self.can_record {
            &["player.js", "record.js"]
        } else {
            &["player.js"]
        };
        let body = html! {
                    main.clip data-share=(self.token) data-peaks=(self.api("/peaks")) data-duration-ms=(clip.duration_ms) {
                        @if !self.embed {
                            h1 { (self.title()) }
                            @if self.can_rename {
                                button #rename type="button" data-url={ "/api/v1/clips/" (clip.id) } data-title=(self.title()) { "Rename" }
                            }
                            @if self.in_team && self.csrf.is_some() {
                                " "
                                button #done type="button" data-url={ "/api/v1/threads/" (clip.id) "/done" } { "Done — out of my inbox" }
                                " "
                                button #unheard type="button" data-url={ "/api/v1/threads/" (clip.id) "/unheard" } { "Mark unheard" }
                            }
                            p.byline {
                                (self.author_name) " · recorded "
                                (author_local(recorded, self.author_zone))
                                " · your time: " time data-viewer datetime=(recorded) { (recorded) }
                                " · " (clock(clip.duration_ms))
                            }
                        }
                        figure.player {
                            @if clip.media.has_video {
                                video #media controls preload="metadata" playsinline src=(media_url) data-seen=(self.api("/seen")) aria-label="Video message"
                                    poster=[clip.poster_key.as_ref().map(|_| self.api("/poster"))] {
                                    @if self.transcript.is_some() {
                                        track kind="captions" srclang="en" label="Transcript" default src=(self.api("/transcript.vtt"));
                                    }
                                }
                            } @else {
                                audio #media controls preload="metadata" src=(media_url) data-seen=(self.api("/seen")) aria-label="Voice message" {}
                            }
                            canvas.waveform role="slider" tabindex="0" aria-label="Waveform: click or use the arrow keys to seek"
                                aria-valuemin="0" aria-valuemax=(clip.duration_ms / 1000) aria-valuenow="0" {}
                            div.controls role="group" aria-label="Playback speed" {
                                @for (rate, label) in [("1", "1×"), ("1.25", "1.25×"), ("1.5", "1.5×"), ("2", "2×")] {
                                    button type="button" data-speed=(rate) aria-pressed="false" aria-label={ "Speed " (label) } { (label) }
                                }
                                label { input #skip-silences type="checkbox"; " Skip silences" }
                                a.button href=(media_url) download { "Download" }
                            }
                        }
                        @if !self.embed {
                            @if !heard.is_empty() {
                                p.seen { "Heard by " (heard.join(", ")) }
                            }
                            (self.transcript_panel())
                            (self.thread_section())
                        }
                    }
        };
        super::document(self.title(), self.csrf, head, scripts, body)
    }

    fn transcript_panel(&self) -> Markup {
        html! {
            section.transcript aria-label="Transcript" {
                h2 { "Transcript" }
                @match self.transcript {
                    Some(t) => {
                        input type="search" placeholder="Search the transcript" aria-label="Search the transcript";
                        ol {
                            @for segment in &t.segments {
                                li { button type="button" data-start-ms=(segment.start_ms) {
                                    span.t { (clock(segment.start_ms as i64)) } (segment.text)
                                } }
                            }
                        }
                    }
                    None => p.status { "The transcript is not ready yet." }
                }
            }
        }
    }

    fn thread_section(&self) -> Markup {
        let replies: &[Message] = self.thread.map_or(&[], |t| &t.root.replies);
        html! {
            section.thread aria-label="Replies" {
                h2 { "Replies" }
                @if replies.is_empty() { p.status { "No replies yet." } }
                @for reply in replies { (reply_markup(reply, "media", self.viewer_id.as_deref(), self.can_reply)) }
                @if self.can_reply {
                    form.reply data-action={ (self.base) "/api/v1/threads/" (self.clip.id) "/replies" } {
                        @if self.guest {
                            label { "Your name" input name="guest_name" required maxlength="80"; }
                        }
                        input type="hidden" name="parent_id" value="";
                        p #replying-to hidden {
                            "Answering " strong {} " " button type="button" #reply-to-message { "Answer the message instead" }
                        }
                        label { "Reply" textarea name="text" required rows="3" maxlength="10000" {} }
                        label.moment {
                            input type="checkbox" name="at_moment";
                            " at the moment playing, " output #moment { "0:00" }
                        }
                        button type="submit" { "Send reply" }
                        p.status role="status" {}
                    }
                }
                @if self.can_record {
                    h3 { "Or reply by voice, camera or screen" }
                    offbeat-record reply-to=(self.clip.id) {}
                }
            }
        }
    }
}

/// One reply and its answers. `parent_media` is the element its "at 1:23" chip seeks; the
/// viewer's own text replies (`viewer_id`) may be deleted; with `can_reply`, each may be
/// answered.
fn reply_markup(message: &Message, parent_media: &str, viewer_id: Option<&str>, can_reply: bool) -> Markup {
    let id = message.place.as_ref().map_or("", |p| p.reply_id.as_str());
    let media_id = format!("m-{id}");
    let author = message.author_name();
    let zone = match &message.author {
        threads::AuthorView::Member { time_zone, .. } => Some(time_zone.as_str()),
        threads::AuthorView::Teammate { .. } | threads::AuthorView::Guest { .. } => None,
    };
    let is_clip = matches!(message.content, Content::Clip { .. });
    let own_text = matches!(message.content, Content::Text { .. })
        && matches!((&message.author, viewer_id), (threads::AuthorView::Member { id: author, .. }, Some(viewer)) if author == viewer);
    html! {
        article #{ "r-" (id) } aria-label={ "Reply from " (author) } {
            p.byline {
                strong { (author) } " · "
                (pretty_local(&message.created_at_local))
                @if let Some(zone) = zone { " (" (zone) ")" }
                @if let Some(place) = &message.place && let (Some(ms), Some(label)) = (place.anchor_ms, &place.anchor) {
                    " · " button.chip type="button" data-seek-ms=(ms) data-target=(parent_media) { "at " (label) }
                }
            }
            @match &message.content {
                Content::Clip { clip, transcript_snippet, duration_ms } => {
                    @let seen = seen_url(&clip.url);
                    @if clip.media.has_video {
                        video id=(media_id) controls preload="none" src=(clip.media_url) data-seen=(seen) {}
                    } @else {
                        audio id=(media_id) controls preload="none" src=(clip.media_url) data-seen=(seen) {}
                    }
                    // Known before it is played (the player loads nothing until then).
                    " " span.duration aria-label="Length" { (clock(*duration_ms)) }
                    @if let Some(snippet) = transcript_snippet { p { (snippet) } }
                }
                Content::Text { text } => p { (text) },
                Content::Deleted => p.status { "(deleted)" },
            }
            @if can_reply && !matches!(message.content, Content::Deleted) {
                button.answer type="button" data-reply=(id) data-author=(author)
                    data-media=[is_clip.then_some(media_id.as_str())] { "Reply" }
                " "
            }
            @if own_text {
                button.delete-reply type="button" data-url={ "/api/v1/replies/" (id) } { "Delete" }
            }
            @for child in &message.replies {
                (reply_markup(child, if is_clip { &media_id } else { parent_media }, viewer_id, can_reply))
            }
        }
    }
}

/// Where a player reports a play of the clip at `clip_url` (which may carry `?share=`).
fn seen_url(clip_url: &str) -> String {
    match clip_url.split_once('?') {
        Some((path, query)) => format!("{path}/seen?{query}"),
        None => format!("{clip_url}/seen"),
    }
}

fn not_found() -> Markup {
    let body = html! {
        main { h1 { "This link does not lead anywhere" } p { "It may have expired or been revoked, or you may need to sign in." } }
    };
    super::document(
        "Not found",
        None,
        html! { meta name="robots" content="noindex"; },
        &[],
        body,
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn urlencode(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}
