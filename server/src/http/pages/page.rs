//! `/c/{token}` (through a message's link) and `/m/{id}` (the team's own way in, link or
//! not): the playback page — player, waveform, speed, skip-silences, transcript, who has heard
//! it, the conversation with a reply form, and for its owner who can open it.
//!
//! The parts that change while someone looks (title, transcript, receipts, each reply) carry a
//! version of their markup (`data-v`), so `live.js` can swap in only what changed.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Chrome, urlencode};
use crate::auth::{Credential, Viewer};
use crate::http::headers::Framing;
use crate::http::pages::avatar::avatar;
use crate::http::pages::conversation::Conversation;
use crate::http::pages::live_parts::{live_part, version_of};
use crate::http::pages::reactions::ReactionBar;
use crate::http::pages::when::{author_local, moment_in, seen_time};
use crate::services::message::{self, Entry, Found, MessageView};
use crate::services::summaries::SummaryView;
use crate::services::threads::Message;
use crate::state::AppState;
use db::domain::{OutsidersSee, SummarySource, SummaryState, Visibility, clock};

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
    let next = format!("/c/{token}");
    respond(
        render(&state, &viewer, Entry::Link(&token), framing).await,
        &viewer,
        &next,
        framing,
    )
}

pub async fn team_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let next = format!("/m/{id}");
    respond(
        render(&state, &viewer, Entry::Team(&id), Framing::Page).await,
        &viewer,
        &next,
        Framing::Page,
    )
}

fn respond(rendered: anyhow::Result<Option<Markup>>, viewer: &Viewer, next: &str, framing: Framing) -> Response {
    match rendered {
        // Only the bare player may be framed by other sites (see `security_headers`).
        Ok(Some(page)) => (framing, page).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, not_found(viewer.user.is_some(), next)).into_response(),
        Err(err) => super::failure("playback page", &err),
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    entry: Entry<'_>,
    framing: Framing,
) -> anyhow::Result<Option<Markup>> {
    let csrf = match &viewer.credential {
        Some(Credential::Session { csrf, .. }) => Some(csrf.as_str()),
        _ => None,
    };
    let view = match message::open(state, viewer, entry).await? {
        None => return Ok(None),
        Some(Found::Recording(take)) => return Ok(Some(super::recording::markup(&take, csrf))),
        Some(Found::Cancelled(take)) => return Ok(Some(super::recording::cancelled(&take, csrf))),
        Some(Found::Message(view)) => view,
    };
    let owner_controls = view.may_manage && csrf.is_some();
    // The owner is told whether a trim can still be undone.
    let original_ms = match (owner_controls, view.clip.trim) {
        (true, Some(_)) => state.db.clips().original(&view.clip.id).await?.map(|o| o.duration_ms),
        _ => None,
    };
    let page = Page {
        base: &state.public_url,
        original_ms,
        view: &view,
        viewer_zone: viewer.user.as_ref().filter(|_| view.in_team).map(|u| u.zone()),
        csrf,
        can_record: view.may_reply && csrf.is_some(),
        owner_controls,
        viewer_id: viewer.user.as_ref().map(|u| u.id.as_str()),
        embed: framing == Framing::Player,
    };
    Ok(Some(page.markup()))
}

struct Page<'a> {
    base: &'a str,
    view: &'a MessageView,
    /// A signed-in member's zone: every time on the page in it (others: the browser's).
    viewer_zone: Option<Tz>,
    /// The session's CSRF token, when signed in.
    csrf: Option<&'a str>,
    /// Signed in and allowed to reply: may record a reply right on the page.
    can_record: bool,
    /// Its owner (or an admin), signed in: may rename it and change who can open it.
    owner_controls: bool,
    /// A trimmed message's original length, while the original is kept (the trim can be undone).
    original_ms: Option<i64>,
    /// Who is looking, if signed in (their own text replies get a Delete button).
    viewer_id: Option<&'a str>,
    embed: bool,
}

impl Page<'_> {
    fn api(&self, path: &str) -> String {
        let clip = &self.view.clip.id;
        match &self.view.token {
            Some(token) => format!("{}/api/v1/clips/{clip}{path}?share={token}", self.base),
            None => format!("{}/api/v1/clips/{clip}{path}", self.base),
        }
    }

    fn title(&self) -> &str {
        self.view.clip.display_title()
    }

    fn markup(&self) -> Markup {
        let clip = &self.view.clip;
        let media_url = self.api("/media");
        // Link previews only for clips anyone with the link may see; nothing otherwise.
        let head = match (self.view.public, self.view.token.as_deref()) {
            (true, Some(token)) => self.previews(token, &media_url),
            _ => html! { meta name="robots" content="noindex"; },
        };
        let mut scripts = vec!["player.js"];
        if !self.embed {
            scripts.push("live.js");
        }
        if self.can_record {
            scripts.push("record.js");
        }
        if self.owner_controls {
            scripts.push("sharing.js");
            scripts.push("trim.js");
        }
        if self.summary_controls() {
            scripts.push("summary.js");
        }
        if self.may_react() && !self.embed {
            scripts.push("reactions.js");
        }
        let body = html! {
            main.clip #content data-share=[self.view.token.as_deref()] data-peaks=(self.api("/peaks")) data-duration-ms=(clip.duration_ms) {
                @if !self.embed { (self.heading()) }
                (self.player(&media_url))
                @if self.owner_controls && !self.embed { (self.trim_panel()) }
                @if !self.embed {
                    (self.reactions())
                    @if self.owner_controls { (self.sharing_panel()) }
                    (self.heard())
                    (self.summary_panel())
                    (self.transcript_panel())
                    (self.thread_section())
                }
            }
        };
        let chrome = if self.embed { Chrome::Bare } else { Chrome::Site };
        super::document(self.title(), self.csrf, chrome, head, &scripts, body)
    }

    /// Open Graph and oEmbed, so a public link unfurls in chat.
    fn previews(&self, token: &str, media_url: &str) -> Markup {
        let clip = &self.view.clip;
        let page_url = format!("{}/c/{token}", self.base);
        html! {
            // A voice message is no song: a page with a recording on it.
            meta property="og:type" content=(if clip.media.has_video { "video.other" } else { "website" });
            meta property="og:title" content=(self.title());
            meta property="og:site_name" content="Offbeat";
            meta property="og:url" content=(page_url);
            meta property="og:description" content=(self.view.opening.as_deref().unwrap_or("A voice message on Offbeat"));
            // Every link shows a picture: a video's poster, else the waveform's card.
            @match clip.poster_url {
                Some(_) => { meta property="og:image" content=(self.api("/poster")); }
                None => {
                    meta property="og:image" content={ (page_url) "/card.png" };
                    meta property="og:image:type" content="image/png";
                    meta property="og:image:width" content=(super::card::WIDTH);
                    meta property="og:image:height" content=(super::card::HEIGHT);
                    meta property="og:image:alt" content={ "Waveform of " (self.title()) };
                }
            }
            @if clip.media.has_video {
                meta property="og:video" content=(media_url);
                meta property="og:video:type" content=(clip.media.content_type);
            } @else {
                meta property="og:audio" content=(media_url);
                meta property="og:audio:type" content=(clip.media.content_type);
            }
            link rel="alternate" type="application/json+oembed" title=(self.title())
                href={ (self.base) "/oembed?format=json&url=" (urlencode(&page_url)) };
        }
    }

    /// Title, author, when, how long — and what the viewer can do with the message.
    fn heading(&self) -> Markup {
        let (view, clip) = (self.view, &self.view.clip);
        let recorded = clip
            .recorded_at
            .map_or(clip.created_at.instant(), |at| at.with_timezone(&Utc));
        let author_zone = view.author_zone.as_deref();
        let head = html! {
            div.message-head {
                (avatar(&view.author_name))
                div {
                    @if let Some((title, page)) = &view.answers {
                        p.context { "A reply in "
                            @match page { Some(page) => a href=(page) { (title) }, None => (title) }
                        }
                    }
                    h1 { (self.title()) }
                    p.byline {
                        (view.author_name) " · "
                        @if view.in_team {
                            (seen_time(recorded, self.viewer_zone))
                            @if author_zone.is_some() && author_zone != self.viewer_zone.map(|z| z.name()) {
                                " · their time " (author_local(recorded, author_zone))
                            }
                        } @else {
                            (seen_time(recorded, None))
                        }
                        " · " span aria-label="Length" { (clock(clip.duration_ms)) }
                    }
                }
            }
        };
        html! {
            (live_part("message-head", "head", head))
            @if view.stopped_early {
                p.stopped role="note" { "This recording stopped at " (clock(clip.duration_ms))
                    ": the rest never arrived (the recorder was closed or lost its connection). What came plays below." }
            }
            @if self.owner_controls || (view.in_team && self.csrf.is_some()) {
                div.actions role="group" aria-label="This message" {
                    @if self.owner_controls {
                        button #rename type="button" data-url={ "/api/v1/clips/" (clip.id) } data-title=(self.title()) { "Rename" }
                        button #trim-open type="button" aria-controls="trim" aria-expanded="false" { "Trim" }
                    }
                    @if view.in_team && self.csrf.is_some() {
                        button #done type="button" data-url={ "/api/v1/threads/" (clip.id) "/done" } { "Done — out of my inbox" }
                        button #unheard type="button" data-url={ "/api/v1/threads/" (clip.id) "/unheard" } { "Mark unheard" }
                    }
                    p.status role="status" {}
                }
            }
        }
    }

    fn player(&self, media_url: &str) -> Markup {
        let clip = &self.view.clip;
        html! {
            figure.player {
                @if clip.media.has_video {
                    video #media controls preload="metadata" playsinline src=(media_url) data-seen=(self.api("/seen")) aria-label="Video message"
                        poster=[clip.poster_url.as_ref().map(|_| self.api("/poster"))] {
                        @if self.view.transcript.is_some() {
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
        }
    }

    /// The owner's trim: a trimmed message says what was cut (with Undo and Keep while the
    /// original is kept); the panel sets where the message starts and ends, from the playhead
    /// or typed, and plays the part it keeps before it cuts.
    fn trim_panel(&self) -> Markup {
        let clip = &self.view.clip;
        let url = format!("/api/v1/clips/{}/trim", clip.id);
        html! {
            @if let Some(cut) = clip.trim {
                div.trimmed role="note" {
                    @match self.original_ms {
                        Some(original) => {
                            p { "Trimmed: " (clock(cut.zero_ms)) " cut from the start and "
                                (clock((original - cut.end_ms).max(0)) ) " from the end. The original is kept until you keep the trim." }
                            button #trim-undo type="button" data-url=(url) { "Undo trim" }
                            button #trim-keep type="button" data-url={ (url) "/keep" } { "Keep trimmed (deletes the original)" }
                        }
                        None => p { "Trimmed: this is the part of the recording its owner kept." }
                    }
                    p.status role="status" {}
                }
            }
            section #trim .trim-panel hidden aria-label="Trim this message" data-url=(url) data-duration-ms=(clip.duration_ms) {
                h2 { "Trim" }
                p.hint { "Keep the part between start and end; the rest is cut when you press Trim. "
                    @if clip.media.has_video { "A video starts at the keyframe at or before the start (its sound at the start itself)." } }
                div.trim-fields {
                    label { "Start " input #trim-start type="text" inputmode="decimal" value="0:00.0" aria-describedby="trim-help"; }
                    button #trim-start-here type="button" { "Start at playhead" }
                    label { "End " input #trim-end type="text" inputmode="decimal" value=(clock_tenths(clip.duration_ms)) aria-describedby="trim-help"; }
                    button #trim-end-here type="button" { "End at playhead" }
                }
                p #trim-help .hint { "Times as m:ss.s — keeps " output #trim-kept { (clock_tenths(clip.duration_ms)) } "." }
                div.trim-actions {
                    button #trim-preview type="button" { "Play the part kept" }
                    button #trim-save type="button" { "Trim" }
                    button #trim-cancel type="button" { "Cancel" }
                }
                p.status role="status" {}
            }
        }
    }

    /// Signed in on the team: may react to the message and its replies.
    fn may_react(&self) -> bool {
        self.view.in_team && self.csrf.is_some()
    }

    /// The message's reactions, and the moments reacted at (which mark the waveform).
    fn reactions(&self) -> Markup {
        let root = self.view.thread.as_ref().map(|t| &t.root);
        let bar = ReactionBar {
            message_id: &self.view.clip.id,
            reactions: root.map_or(&[], |m| m.reactions.as_slice()),
            viewer_id: self.viewer_id,
            may_react: self.may_react(),
            media: Some("media"),
        };
        live_part("message-reactions", "message-reactions", bar.markup())
    }

    /// Who has heard it: the team only (outsiders' threads carry no receipts).
    fn heard(&self) -> Markup {
        let heard: Vec<&str> = self
            .view
            .thread
            .as_ref()
            .and_then(|t| t.message(&self.view.clip.id))
            .map(|m| m.seen_by.iter().map(|s| s.display_name.as_str()).collect())
            .unwrap_or_default();
        let inner = html! {
            @if !heard.is_empty() { p.seen { "Heard by " (heard.join(", ")) } }
        };
        live_part("heard", "heard", inner)
    }

    /// The owner's view of who can open the message, and the controls to change it.
    fn sharing_panel(&self) -> Markup {
        let clip = &self.view.clip;
        let sharing = clip.sharing.as_ref();
        let link = sharing.and_then(|s| s.url.clone());
        let expiry = sharing.and_then(|s| s.expires_at).map(db::Timestamp::instant);
        let expired = expiry.is_some_and(|at| at <= Utc::now());
        let open_to_link = clip.visibility == Visibility::Link && link.is_some() && !expired;
        let outsiders_see = sharing.map_or(OutsidersSee::Message, |s| s.outsiders_see);
        let guests_may_reply = sharing.is_some_and(|s| s.guests_may_reply);
        let who = match (clip.visibility, &link, expired) {
            (Visibility::Workspace, ..) => "Only your team can open it".to_owned(),
            (Visibility::Link, None, _) => "Only your team: the link is turned off".to_owned(),
            (Visibility::Link, Some(_), true) => "Only your team: the link has expired".to_owned(),
            (Visibility::Link, Some(_), false) => match expiry {
                Some(at) => format!("Anyone with the link, until {}", moment_in(at, self.viewer_zone)),
                None => "Anyone with the link".to_owned(),
            },
        };
        let api = format!("/api/v1/clips/{}/sharing", clip.id);
        html! {
            details.sharing #sharing {
                summary { "Sharing · " strong #sharing-now { (who) } }
                form #sharing-form data-url=(api) {
                    fieldset {
                        legend { "Who can open it" }
                        label { input type="radio" name="visibility" value="workspace" checked[clip.visibility == Visibility::Workspace]; " Only your team" }
                        label { input type="radio" name="visibility" value="link" checked[clip.visibility == Visibility::Link]; " Anyone with the link" }
                    }
                    fieldset {
                        legend { "People with the link" }
                        label { input type="radio" name="outsiders_see" value="message" checked[outsiders_see == OutsidersSee::Message];
                            " see the message, your replies and guests' replies" }
                        label { input type="radio" name="outsiders_see" value="thread" checked[outsiders_see == OutsidersSee::Thread];
                            " see the whole thread, your team's replies too" }
                        label { input type="checkbox" name="guests_may_reply" checked[guests_may_reply]; " may reply (in text, under a name)" }
                        label { "The link works "
                            select name="expires" {
                                @if let Some(at) = expiry {
                                    option value="keep" selected { "until " (moment_in(at, self.viewer_zone)) }
                                }
                                option value="" selected[expiry.is_none()] { "until I turn it off" }
                                option value="1" { "for a day" }
                                option value="7" { "for a week" }
                                option value="30" { "for 30 days" }
                            }
                        }
                        p.hint { "Nobody outside your team ever sees who listened." }
                    }
                    button.primary type="submit" { "Save" }
                }
                @if let Some(link) = &link {
                    p.share-link {
                        label for="share-link" { "Link" }
                        input #share-link type="text" readonly value=(link);
                        button #copy-link type="button" { "Copy" }
                        @if !open_to_link { " " span.hint { "(opens for your team only until you choose Anyone with the link)" } }
                    }
                }
                p.link-actions {
                    button #rotate type="button" data-url={ (api) "/rotate" } {
                        @if link.is_some() { "New link (the old one stops working)" } @else { "Make a link" }
                    }
                    @if link.is_some() {
                        button #revoke type="button" data-url={ (api) "/link" } data-team-page={ "/m/" (clip.id) } { "Turn the link off" }
                    }
                }
                p.status role="status" {}
            }
        }
    }

    /// Whether the viewer may write, clear or ask again for the summary here.
    fn summary_controls(&self) -> bool {
        self.csrf.is_some() && self.view.summary.as_ref().is_some_and(|s| s.can_edit)
    }

    /// The summary above the transcript — marked as generated on this server, or as its
    /// owner's — its chapters (which seek, and mark the waveform) and action items; while it is
    /// being made, a line saying so; the owner's controls.
    fn summary_panel(&self) -> Markup {
        let Some(summary) = &self.view.summary else {
            return html! {};
        };
        let controls = self.summary_controls();
        let shown = match summary.state {
            SummaryState::Off => controls,
            SummaryState::Pending | SummaryState::Ready | SummaryState::Failed => true,
        };
        let inner = html! {
            @if shown {
                h2 #summary-heading tabindex="-1" { "Summary" }
                @match summary.state {
                    SummaryState::Ready => {
                        p.byline.generated {
                            @match summary.source {
                                SummarySource::Generated => { "Generated on this server"
                                    @if let Some(model) = &summary.model { " by " (model) } ". It may be wrong: the recording is what was said." }
                                SummarySource::Edited => { "Written by the message's owner." }
                            }
                        }
                        @if !summary.summary.is_empty() { p.summary-text { (summary.summary) } }
                        @if !summary.chapters.is_empty() {
                            h3 #chapters-heading { "Chapters" }
                            ol.chapters aria-labelledby="chapters-heading" {
                                @for chapter in &summary.chapters {
                                    li { button type="button" data-start-ms=(chapter.start_ms) {
                                        span.t { (clock(chapter.start_ms)) } (chapter.title)
                                    } }
                                }
                            }
                        }
                        @if !summary.action_items.is_empty() {
                            h3 #actions-heading { "Action items" }
                            ul.action-items aria-labelledby="actions-heading" {
                                @for item in &summary.action_items {
                                    li { (item.text) @if let Some(owner) = &item.owner { " " span.owner { "— " (owner) } } }
                                }
                            }
                        }
                    }
                    SummaryState::Pending => p.status { "Being summarised on this server, after the transcript: it appears here by itself." },
                    SummaryState::Failed => p.status { "No summary: " (summary.reason.as_deref().unwrap_or("the model failed")) "." },
                    SummaryState::Off => p.status { "No summary" @if let Some(why) = &summary.reason { " (" (why) ")" } "." },
                }
                @if controls { (self.summary_form(summary)) }
            }
        };
        let v = version_of(&inner);
        html! { section.summary #summary data-live data-v=(v) aria-labelledby="summary-heading" { (inner) } }
    }

    /// The owner's summary controls: write it, clear it, ask the model again.
    fn summary_form(&self, summary: &SummaryView) -> Markup {
        let url = self.api("/summary");
        html! {
            div.summary-actions role="group" aria-label="The summary" data-url=(url) {
                details {
                    summary { "Edit the summary" }
                    form #summary-form {
                        label { "Summary" textarea name="summary" rows="4" maxlength="2000" { (summary.summary) } }
                        div.form-row { button.primary type="submit" { "Save the summary" } }
                    }
                }
                @if summary.state != SummaryState::Off {
                    button type="button" data-summary-action="clear" { "Clear" }
                }
                // Once there has been one to redo (before its transcript there is nothing to ask).
                @if summary.state != SummaryState::Pending && summary.updated_at.is_some() {
                    button type="button" data-summary-action="regenerate" { "Summarise again" }
                }
                p.status role="status" {}
            }
        }
    }

    fn transcript_panel(&self) -> Markup {
        let inner = html! {
            h2 { "Transcript" }
            @match &self.view.transcript {
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
                None => p.status { "The transcript is not ready yet: it appears here by itself." }
            }
        };
        let v = version_of(&inner);
        html! { section.transcript #transcript data-live data-v=(v) aria-label="Transcript" { (inner) } }
    }

    fn thread_section(&self) -> Markup {
        let replies: &[Message] = self.view.thread.as_ref().map_or(&[], |t| &t.root.replies);
        let conversation = Conversation {
            viewer_zone: self.viewer_zone,
            viewer_id: self.viewer_id,
            may_reply: self.view.may_reply,
            may_react: self.may_react(),
        };
        html! {
            section.thread aria-labelledby="replies-heading" {
                h2 #replies-heading { "Replies" }
                ol.conversation #conversation data-live="items" {
                    (conversation.items(replies, "media"))
                }
                p.status.no-replies { "No replies yet." }
                @if self.view.may_reply { (self.reply_form()) }
                @if self.can_record {
                    h3 #record-heading aria-live="polite" { "Or reply by voice, camera or screen" }
                    offbeat-record reply-to=(self.view.clip.id) {}
                }
            }
        }
    }

    fn reply_form(&self) -> Markup {
        html! {
            form.reply #reply-form data-action={ (self.base) "/api/v1/threads/" (self.view.clip.id) "/replies" } {
                // Not signed in: a guest, who replies under a name.
                @if self.viewer_id.is_none() {
                    label { "Your name" input name="guest_name" required maxlength="80" autocomplete="name"; }
                }
                input type="hidden" name="parent_id" value="";
                p #replying-to hidden {
                    "Answering " strong {} " " button type="button" #reply-to-message { "Answer the message instead" }
                }
                label { "Reply" textarea name="text" required rows="3" maxlength="10000" {} }
                div.form-row {
                    label.moment {
                        input type="checkbox" name="at_moment";
                        " at the moment playing, " output #moment { "0:00" }
                    }
                    button.primary type="submit" { "Send reply" }
                }
                p.status role="status" {}
            }
        }
    }
}

/// Nothing here for this viewer. Someone not signed in may be on the team: they are offered
/// sign-in, and come back here after it (the same page either way, so it tells nothing).
/// m:ss.s, for times typed and read to a tenth of a second.
fn clock_tenths(ms: i64) -> String {
    let tenths = ms.max(0) / 100;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

fn not_found(signed_in: bool, next: &str) -> Markup {
    let body = html! {
        main #content {
            h1 { "This link does not lead anywhere" }
            @if signed_in {
                p { "It may have expired or been turned off, or its message is for another team." }
                p { a href="/" { "Back to your dashboard" } }
            } @else {
                p { "If this message is for your team, sign in to open it. Otherwise its link may have expired or been turned off." }
                p { a.button.primary href={ "/login?next=" (urlencode(next)) } { "Sign in to open it" } }
            }
        }
    };
    super::document(
        "Not found",
        None,
        Chrome::Site,
        html! { meta name="robots" content="noindex"; },
        &[],
        body,
    )
}
