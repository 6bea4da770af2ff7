//! `/c/{token}` while the take behind the link is still being recorded: the link exists from
//! the moment recording starts, so whoever opens it early sees who is recording and for how
//! long, and the page reloads itself until the clip is final (then it is the playback page).

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::auth::Viewer;
use crate::auth::policy::{ClipAccess, Relation, relation};
use crate::state::AppState;

/// How often the page looks again.
const REFRESH_SECS: u32 = 2;

/// The "recording…" page for `token`, if it is the link of a take being recorded that the
/// viewer may see (by the same rule as the clip it becomes).
pub async fn render(state: &AppState, viewer: &Viewer, token: &str) -> anyhow::Result<Option<Markup>> {
    let Some(session) = state.db.uploads().recording_by_share_token(token).await? else {
        return Ok(None);
    };
    let Some(owner) = state.db.users().by_id(&session.owner_id).await?.map(|row| row.user()) else {
        return Ok(None);
    };
    let access = ClipAccess {
        owner_id: Some(&owner.id),
        workspace_id: Some(&owner.workspace_id),
        visibility: session.visibility,
        share_token: session.share_token.as_deref(),
        share_expires_at: None,
        guests_may_reply: false,
    };
    if relation(viewer.user.as_ref(), Some(token), &access, Utc::now()) == Relation::Stranger {
        return Ok(None);
    }
    let title = session.title.as_deref().unwrap_or("A new message");
    let elapsed = DateTime::parse_from_rfc3339(&session.created_at)
        .map(|started| (Utc::now() - started.with_timezone(&Utc)).num_seconds().max(0))
        .unwrap_or(0);
    let head = html! {
        meta name="robots" content="noindex";
        meta http-equiv="refresh" content=(REFRESH_SECS);
    };
    let body = html! {
        main.recording {
            h1 { (title) }
            p.recording-now role="status" {
                span.rec-dot aria-hidden="true" { "●" }
                " " (owner.display_name) " is recording this message… "
                span.elapsed { (elapsed / 60) ":" (format!("{:02}", elapsed % 60)) }
            }
            p { "It will play here as soon as they stop; this page refreshes by itself." }
        }
    };
    Ok(Some(super::document(title, None, head, &[], body)))
}
