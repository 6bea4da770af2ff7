//! `/members`: who is in the workspace and where each of them is in their day, the hours
//! everyone shares today (a sentence and a timeline, in the viewer's time), and for admins the
//! invitations, roles and removal (`members.js` calls the API with the session's CSRF token).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{failure, private_page};
use crate::auth::{Credential, Viewer};
use crate::services::invites;
use crate::services::team::{self, Team};
use crate::state::AppState;
use db::domain::{InviteState, Role};

pub async fn members_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login").into_response();
    };
    let now = chrono::Utc::now();
    let team = match team::team(&state, &viewer, now).await {
        Ok(team) => team,
        Err(err) => {
            return failure("members page", &err);
        }
    };
    let invites = if user.is_admin {
        match invites::list(&state, &viewer).await {
            Ok(invites) => invites,
            Err(err) => {
                return failure("members page", &err);
            }
        }
    } else {
        Vec::new()
    };
    let admins = team.members.iter().filter(|m| m.role == Role::Admin).count();
    private_page(
        "Members",
        Some(csrf),
        &["members.js"],
        html! {
            h1 { "Members" }
            p.summary #shared-hours { (team.shared_hours.summary) }
            (timeline(&team))
            table.members {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Local time" } th scope="col" { "Time zone" }
                    th scope="col" { "Hours" } th scope="col" { "Now" } th scope="col" { "Role" }
                    @if user.is_admin { th scope="col" { span.visually-hidden { "Actions" } } }
                } }
                tbody {
                    @for member in &team.members {
                        tr data-member=(member.id) {
                            // On a phone each row is a card, its cells labelled (`data-label`).
                            td.name { (member.name) @if member.is_you { " (you)" } }
                            td.time data-label="Local time" { (member.local_time) }
                            td data-label="Time zone" { (member.time_zone) }
                            td data-label="Hours" { (member.working_hours) }
                            td data-label="Now" { @if member.working_now { span.badge.on { "Working" } } @else { span.badge { "Away" } } }
                            td data-label="Role" { @match member.role { Role::Admin => "Admin", Role::Member => "Member" } }
                            // The only admin cannot step down or leave: nobody would be left to manage.
                            @if user.is_admin && member.is_you && admins == 1 {
                                td.actions { span.hint { "The only admin" } }
                            } @else if user.is_admin {
                                td.actions {
                                    @match member.role {
                                        Role::Admin => button type="button" data-action="demote" { "Take admin" },
                                        Role::Member => button type="button" data-action="promote" { "Make admin" },
                                    }
                                    " "
                                    button type="button" data-action="remove" { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
            p.status role="status" #member-status {}
            @if user.is_admin {
                section aria-label="Invitations" {
                    h2 { "Invite people" }
                    form #invite-form {
                        label { "Only for this email (optional)" input type="email" name="email"; }
                        label { "Expires in days" input type="number" name="expires_in_days" min="1" max="365" value="7"; }
                        label { "How many may join (empty: any)" input type="number" name="max_uses" min="1" max="1000"; }
                        button type="submit" { "Create invite link" }
                    }
                    p #invite-made hidden {
                        "Send this link: " input #invite-url type="text" readonly aria-label="Invite link";
                        " " button type="button" #invite-copy { "Copy" }
                    }
                    ul.invites {
                        @for invite in &invites {
                            li data-invite=(invite.id) {
                                (invite.email.as_deref().unwrap_or("anyone with the link"))
                                " · " (invite.uses) @if let Some(max) = invite.max_uses { " of " (max) } " used"
                                " · " (state_label(invite.state))
                                @if invite.state == InviteState::Open { " " button type="button" data-action="revoke" { "Withdraw" } }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

/// Everyone's hours on the viewer's day, in the viewer's time: a row per member, the hours
/// all share as a band in every row, and a line at now. Drawn with SVG shapes (the page's
/// policy allows no inline styles).
fn timeline(team: &Team) -> Markup {
    const DAY: i64 = 1440;
    let clip = |(from, to): (i64, i64)| (from.clamp(0, DAY), to.clamp(0, DAY));
    let shared: Vec<(i64, i64)> = team.shared_hours.minutes.iter().copied().map(clip).collect();
    html! {
        div.timeline role="img"
            aria-label={ "Working hours today in your time (" (team.shared_hours.time_zone) "). " (team.shared_hours.summary) } {
            div.timeline-row aria-hidden="true" {
                span.name {}
                svg.axis viewBox={ "0 0 " (DAY) " 40" } {
                    @for hour in (0..24).step_by(3) { text x=(hour * 60 + 4) y="30" { (format!("{hour:02}:00")) } }
                }
            }
            @for member in &team.members {
                div.timeline-row aria-hidden="true" {
                    span.name { (member.name) }
                    svg.track viewBox={ "0 0 " (DAY) " 10" } preserveAspectRatio="none" {
                        @for (from, to) in &shared { rect.shared x=(from) y="0" width=(to - from) height="10" {} }
                        @for (from, to) in member.minutes_your_time.iter().copied().map(clip) {
                            rect.hours x=(from) y="2" width=(to - from) height="6" {}
                        }
                        line.now x1=(team.shared_hours.now_minutes) x2=(team.shared_hours.now_minutes) y1="0" y2="10" {}
                    }
                }
            }
        }
    }
}

fn state_label(state: InviteState) -> &'static str {
    match state {
        InviteState::Open => "open",
        InviteState::UsedUp => "used up",
        InviteState::Expired => "expired",
        InviteState::Revoked => "withdrawn",
    }
}
