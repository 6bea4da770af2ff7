//! `/c/{token}` while the take behind the link is still being recorded: the link exists from
//! the moment recording starts, so whoever opens it early sees who is recording and for how
//! long, and the page reloads itself until the clip is final (then it is the playback page).

use chrono::Utc;
use maud::{Markup, html};

use crate::services::links::{Cancelled, Recording};
use db::domain::TakeEnding;

/// How often the page looks again.
const REFRESH_SECS: u32 = 2;

/// The "recording…" page of a take the viewer may see (`csrf`: theirs, when signed in).
pub fn markup(take: &Recording, csrf: Option<&str>) -> Markup {
    let title = take.title.as_deref().unwrap_or("A new message");
    let elapsed = (Utc::now() - take.started_at).num_seconds().max(0);
    let head = html! {
        meta name="robots" content="noindex";
        meta http-equiv="refresh" content=(REFRESH_SECS);
    };
    let body = html! {
        main.recording #content {
            h1 { (title) }
            p.recording-now role="status" {
                span.rec-dot aria-hidden="true" { "●" }
                " " (take.recorder.display_name) " is recording this message… "
                span.elapsed { (elapsed / 60) ":" (format!("{:02}", elapsed % 60)) }
            }
            p { "It will play here as soon as they stop; this page refreshes by itself." }
        }
    };
    super::document(title, csrf, super::Chrome::Site, head, &[], body)
}

/// The page of a take cancelled while it was recorded: nothing to play, nothing kept, and it
/// no longer refreshes.
pub fn cancelled(take: &Cancelled, csrf: Option<&str>) -> Markup {
    let ago = (Utc::now() - take.cancelled_at).num_minutes().max(0);
    let when = match ago {
        0 => "just now".to_owned(),
        1 => "a minute ago".to_owned(),
        n if n < 120 => format!("{n} minutes ago"),
        n => format!("{} hours ago", n / 60),
    };
    let who = take.recorder.as_deref().unwrap_or("Whoever recorded it");
    let (heading, said) = match take.reason {
        TakeEnding::Cancelled => (
            "This recording was cancelled",
            format!(
                "{who} cancelled it {when}, while recording. Nothing of it was kept, and there is nothing to play."
            ),
        ),
        TakeEnding::Stopped => (
            "This recording stopped",
            format!("It stopped arriving before anything playable came ({when}): there is nothing to play."),
        ),
    };
    let body = html! {
        main.recording #content {
            h1 { (heading) }
            p.cancelled role="status" { (said) }
            @if csrf.is_some() { p { a href="/" { "Back to your dashboard" } } }
        }
    };
    super::document(
        heading,
        csrf,
        super::Chrome::Site,
        html! { meta name="robots" content="noindex"; },
        &[],
        body,
    )
}
