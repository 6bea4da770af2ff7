//! `/checkins` (the team's check-ins, and a form to make one) and `/checkins/{id}` (one
//! check-in: what it asks whom and when, its rounds, and for whoever may, pause, resume and
//! remove). Writes go through the JSON API (`checkins.js`).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::when::short_day;
use super::{failure, private_page};
use crate::auth::{Credential, Viewer};
use crate::error::AppError;
use crate::services::checkins::rounds::{self, RoundView};
use crate::services::checkins::{self, CheckinView};
use crate::services::team;
use crate::state::AppState;
use db::domain::{AskState, CheckinState, RoundState, User};
use db::working_hours::DAYS;

pub async fn checkins_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to("/login?next=%2Fcheckins").into_response();
    };
    let listed = match checkins::list(&state, &viewer).await {
        Ok(listed) => listed,
        Err(err) => return failure("check-ins page", &err),
    };
    let members = match team::members(&state, &viewer).await {
        Ok(members) => members,
        Err(err) => return failure("check-ins page", &err),
    };
    private_page(
        "Check-ins",
        Some(csrf),
        &["checkins.js"],
        html! {
            h1 { "Check-ins" }
            p.hint { "A check-in asks your team its questions at the start of each person's own working day — \
                     never on a day off, never while they are away — and gathers the answers, by voice, video or \
                     text, into one round a day." }
            @if listed.is_empty() { p.status { "No check-ins yet." } }
            ul.cards {
                @for checkin in &listed { (checkin_card(checkin)) }
            }
            section aria-labelledby="new-checkin" {
                h2 #new-checkin { "New check-in" }
                (checkin_form(None, user, &members))
            }
        },
    )
    .into_response()
}

/// The form that makes a check-in, or (given one) changes it: the same fields, filled in.
fn checkin_form(existing: Option<&CheckinView>, user: &User, members: &[User]) -> Markup {
    const SUGGESTED: [&str; 5] = [
        "What did you do since the last one?",
        "What will you do next?",
        "Is anything in your way?",
        "",
        "",
    ];
    let questions: Vec<&str> = match existing {
        Some(checkin) => (0..5)
            .map(|n| checkin.questions.get(n).map_or("", String::as_str))
            .collect(),
        None => SUGGESTED.to_vec(),
    };
    let on_day = |key: &str, day: chrono::Weekday| match existing {
        Some(checkin) => checkin.days.contains(&key),
        None => day.num_days_from_monday() < 5,
    };
    let at_time = existing.map(|c| c.ask_at.as_str()).filter(|a| *a != "start");
    let within = existing.map_or(240, |c| c.answer_within_minutes);
    let mut choices: Vec<(i64, String)> = [
        (60, "an hour"),
        (120, "two hours"),
        (240, "four hours"),
        (480, "a working day"),
        (1440, "a whole day"),
    ]
    .map(|(m, label)| (m, label.to_owned()))
    .to_vec();
    if !choices.iter().any(|(m, _)| *m == within) {
        choices.insert(0, (within, format!("{within} minutes")));
    }
    let everyone = existing.is_none_or(|c| c.everyone);
    let named = |id: &str| match existing {
        Some(checkin) => !checkin.everyone && checkin.members.iter().any(|m| m.id == id),
        None => id == user.id,
    };
    html! {
        form.profile.checkin-form data-checkin-id=[existing.map(|c| c.id.as_str())] {
            label { "Title" input name="title" required maxlength="200" value=(existing.map_or("Stand-up", |c| c.title.as_str())); }
            fieldset {
                legend { "Questions (one to five)" }
                @for (n, question) in questions.iter().enumerate() {
                    label { "Question " (n + 1) input name="question" maxlength="500" value=(question); }
                }
            }
            fieldset.days {
                legend { "Days" }
                @for (day, key) in DAYS {
                    label { input type="checkbox" name="day" value=(key) checked[on_day(key, day)]; " " (key) }
                }
            }
            fieldset {
                legend { "Ask each person" }
                label { input type="radio" name="ask" value="start" checked[at_time.is_none()]; " at the start of their working hours" }
                label { input type="radio" name="ask" value="time" checked[at_time.is_some()]; " at "
                    input type="time" name="ask_time" value=(at_time.unwrap_or("09:00")) aria-label="Time of day, in each person's own zone"; " their time" }
            }
            label { "They have "
                select name="answer_within_minutes" {
                    @for (minutes, label) in &choices {
                        option value=(minutes) selected[*minutes == within] { (label) }
                    }
                }
                " to answer" }
            fieldset {
                legend { "Who" }
                @if user.is_admin {
                    label { input type="radio" name="who" value="everyone" checked[everyone]; " Everyone (and whoever joins later)" }
                    label { input type="radio" name="who" value="named" checked[!everyone]; " These people:" }
                } @else {
                    input type="hidden" name="who" value="named";
                    p.hint { "You and the people you choose (one for everyone is an admin's)." }
                }
                @for member in members {
                    label { input type="checkbox" name="member" value=(member.id) checked[named(&member.id)]; " " (member.display_name) }
                }
            }
            button.primary type="submit" { @if existing.is_some() { "Save the changes" } @else { "Make the check-in" } }
            p.status role="status" {}
        }
    }
}

/// One check-in on the list.
fn checkin_card(checkin: &CheckinView) -> Markup {
    html! {
        li.card {
            div.card-body {
                h3 { a href={ "/checkins/" (checkin.id) } { (checkin.title) }
                    @if checkin.state == CheckinState::Paused { " " span.new { "paused" } } }
                p.meta { (schedule(checkin)) }
            }
        }
    }
}

/// "Asks everyone at the start of their working day on weekdays; 4 hours to answer."
fn schedule(checkin: &CheckinView) -> String {
    let who = if checkin.everyone {
        "everyone".to_owned()
    } else {
        checkin
            .members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let when = match checkin.ask_at.as_str() {
        "start" => "at the start of their working day".to_owned(),
        time => format!("at {time} their time"),
    };
    let within = match checkin.answer_within_minutes {
        m if m % 60 == 0 && m >= 60 => format!("{} hour{}", m / 60, if m == 60 { "" } else { "s" }),
        m => format!("{m} minutes"),
    };
    format!("Asks {who} {when} {}; {within} to answer.", on_days(&checkin.days))
}

/// "every day", "on weekdays", or "on Mon, Fri".
fn on_days(days: &[&str]) -> String {
    match days {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] => "every day".to_owned(),
        ["mon", "tue", "wed", "thu", "fri"] => "on weekdays".to_owned(),
        days => {
            let named: Vec<String> = days
                .iter()
                .map(|d| {
                    let mut letters = d.chars();
                    letters
                        .next()
                        .map(|first| first.to_uppercase().chain(letters).collect())
                        .unwrap_or_default()
                })
                .collect();
            format!("on {}", named.join(", "))
        }
    }
}

pub async fn checkin_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to(&format!("/login?next=%2Fcheckins%2F{}", super::urlencode(&id))).into_response();
    };
    let checkin = match checkins::show(&state, &viewer, &id).await {
        Ok(checkin) => checkin,
        Err(AppError::NotFound(_)) => {
            return super::notice(
                axum::http::StatusCode::NOT_FOUND,
                "No such check-in",
                "It may have been removed.",
            );
        }
        Err(err) => return failure("check-in page", &err),
    };
    let page = match rounds::rounds(&state, &viewer, &checkin.id, Some(14), None).await {
        Ok(page) => page,
        Err(err) => return failure("check-in page", &err),
    };
    let members = match checkin.can_manage {
        true => match team::members(&state, &viewer).await {
            Ok(members) => members,
            Err(err) => return failure("check-in page", &err),
        },
        false => Vec::new(),
    };
    private_page(
        &checkin.title,
        Some(csrf),
        &["checkins.js"],
        html! {
            h1 { (checkin.title) @if checkin.state == CheckinState::Paused { " " span.new { "paused" } } }
            p.byline { (schedule(&checkin)) " Made by " (checkin.created_by.name) "." }
            ol.questions { @for question in &checkin.questions { li { (question) } } }
            @if checkin.can_manage {
                div.actions role="group" aria-label="This check-in" data-checkin=(checkin.id) {
                    @match checkin.state {
                        CheckinState::Active => button type="button" data-action="pause" { "Pause" },
                        CheckinState::Paused => button type="button" data-action="resume" { "Resume" },
                    }
                    button type="button" data-action="remove" { "Remove" }
                    p.status role="status" {}
                }
                details.change {
                    summary { "Change the check-in" }
                    p.hint { "Rounds already open keep their people and times; the changes count from the next one." }
                    (checkin_form(Some(&checkin), user, &members))
                }
            }
            section aria-labelledby="rounds-heading" {
                h2 #rounds-heading { "Rounds" }
                @if page.rounds.is_empty() { p.status { "No round yet: the first opens shortly before its first ask." } }
                ul.cards { @for round in &page.rounds { (round_card(round)) } }
            }
        },
    )
    .into_response()
}

/// One round on its check-in's page: its date and how it went.
fn round_card(round: &RoundView) -> Markup {
    let count = |state: AskState| round.people.iter().filter(|p| p.state == state).count();
    html! {
        li.card {
            div.card-body {
                h3 { a href=(round.page_url) { (short_day(&round.date)) } @if round.state == RoundState::Open { " " span.new { "open" } } }
                p.meta {
                    (count(AskState::Answered)) " answered"
                    @if count(AskState::Waiting) > 0 { " · " (count(AskState::Waiting)) " waiting" }
                    @if count(AskState::Away) > 0 { " · " (count(AskState::Away)) " away" }
                    @if count(AskState::Missed) > 0 { " · " (count(AskState::Missed)) " missed" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::on_days;

    #[test]
    fn days_read_as_a_person_says_them() {
        assert_eq!(on_days(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), "every day");
        assert_eq!(on_days(&["mon", "tue", "wed", "thu", "fri"]), "on weekdays");
        assert_eq!(on_days(&["mon", "fri"]), "on Mon, Fri");
    }
}
