//! `/checkins/rounds/{id}`: one day's round of a check-in — its questions, the viewer's own
//! answer (recorded with the record button, or typed), everyone's answers in the order they
//! came with the replies under them, and who is still to answer (their time now) or away. The
//! parts that change carry versions, so the page fills in by itself (`live.js`).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::conversation::Conversation;
use super::live_parts::live_part;
use super::when::{long_day, moment_in, seen_time, short_day};
use super::{failure, notice, private_page};
use crate::auth::{Credential, Viewer};
use crate::error::AppError;
use crate::services::checkins::rounds::{self, PersonView, RoundDetail};
use crate::state::AppState;
use db::domain::{AskState, RoundState};

pub async fn round_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let (Some(user), Some(Credential::Session { csrf, .. })) = (&viewer.user, &viewer.credential) else {
        return Redirect::to(&format!("/login?next=%2Fcheckins%2Frounds%2F{}", super::urlencode(&id))).into_response();
    };
    let round = match rounds::round(&state, &viewer, &id).await {
        Ok(round) => round,
        Err(AppError::NotFound(_)) => {
            return notice(
                axum::http::StatusCode::NOT_FOUND,
                "No such round",
                "It may belong to another team, or its check-in was removed.",
            );
        }
        Err(err) => return failure("round page", &err),
    };
    let zone = user.zone();
    let title = format!("{} · {}", round.checkin.title, short_day(&round.round.date));
    // Whoever the round asks gets the record button's script: their panel may turn into one
    // while the page is open (asked now), and out of one (the round closed).
    let mut scripts = vec!["round.js", "live.js", "reactions.js"];
    if round.you.is_some() {
        scripts.push("record.js");
    }
    let conversation = Conversation {
        viewer_zone: Some(zone),
        viewer_id: Some(&user.id),
        may_reply: true,
        may_react: true,
    };
    private_page(
        &title,
        Some(csrf),
        &scripts,
        html! {
            div.round #round data-round=(round.round.id) {
                p.context { a href={ "/checkins/" (round.checkin.id) } { (round.checkin.title) } }
                h1 { (long_day(&round.round.date)) }
                ol.questions { @for question in &round.checkin.questions { li { (question) } } }
                (live_part("round-state", "round-state", state_line(&round, zone)))
                @if round.you.is_some() { (live_part("your-part", "your-part", answer_panel(&round, zone))) }
                section.thread aria-labelledby="answers-heading" {
                    h2 #answers-heading { "Answers" }
                    ol.conversation #conversation data-live="items" {
                        (conversation.items(&round.answers, ""))
                    }
                    p.status.no-replies { "No answers yet." }
                    (reply_form(&round.round.id))
                }
                (live_part("people", "people", people(&round.round.people, zone)))
            }
        },
    )
    .into_response()
}

/// "Open until 13:00 · 2 of 4 answered" — or closed.
fn state_line(round: &RoundDetail, zone: chrono_tz::Tz) -> Markup {
    let people = &round.round.people;
    let asked = people.iter().filter(|p| p.state != AskState::Away).count();
    let answered = people.iter().filter(|p| p.state == AskState::Answered).count();
    html! {
        p.byline {
            @match round.round.state {
                RoundState::Open => { "Open until " (moment_in(round.round.closes_at.instant(), Some(zone))) }
                RoundState::Closed => { "Closed" }
            }
            " · " (answered) " of " (asked) " answered"
        }
    }
}

/// The viewer's own answer: record it, or type it (again: change it) — or why they may not.
fn answer_panel(round: &RoundDetail, zone: chrono_tz::Tz) -> Markup {
    let Some(you) = &round.you else { return html! {} };
    let due = moment_in(you.due_at.instant(), Some(zone));
    let answered = you.state == AskState::Answered;
    if !you.may_answer {
        let why = match (round.round.state, you.state) {
            (RoundState::Closed, AskState::Answered) => "The round is closed; your answer is in it.".to_owned(),
            (RoundState::Closed, _) => "The round is closed: it takes no more answers.".to_owned(),
            (RoundState::Open, AskState::Away) => "You are away: this round does not ask you.".to_owned(),
            (RoundState::Open, _) => format!("You will be asked at your time; answer by {due}."),
        };
        return html! { p.status { (why) } };
    }
    html! {
        section.answer #your-answer aria-labelledby="your-answer-heading" {
            h2 #your-answer-heading { @if answered { "Change your answer" } @else { "Your answer" } }
            p.hint { "Due by " (due) ". Answer by voice, camera or screen, or in writing." }
            offbeat-record answer-round=(round.round.id) {}
            form.reply #answer-form data-action={ "/api/v1/checkins/rounds/" (round.round.id) "/answers" } {
                label { "Or write it" textarea name="text" required rows="4" maxlength="10000" {} }
                div.form-row { button.primary type="submit" { @if answered { "Change my answer" } @else { "Send my answer" } } }
                p.status role="status" {}
            }
        }
    }
}

/// The form that answers an answer (or a reply under one), shown when Reply is pressed.
fn reply_form(round_id: &str) -> Markup {
    html! {
        form.reply #reply-form hidden data-action={ "/api/v1/checkins/rounds/" (round_id) "/replies" } {
            input type="hidden" name="parent_id" value="";
            p #replying-to { "Answering " strong {} " " button type="button" #cancel-reply { "Cancel" } }
            label { "Reply" textarea name="text" required rows="3" maxlength="10000" {} }
            div.form-row { button.primary type="submit" { "Send reply" } }
            p.status role="status" {}
        }
    }
}

/// Who is still to answer (and their time now), who answered, who is away, who missed it.
fn people(people: &[PersonView], zone: chrono_tz::Tz) -> Markup {
    let of = |state: AskState| people.iter().filter(move |p| p.state == state);
    html! {
        section.people aria-labelledby="people-heading" {
            h2 #people-heading { "Who" }
            ul {
                @for person in of(AskState::Waiting) {
                    li { strong { (person.name) } " — "
                        @match &person.asked_at {
                            Some(_) => { "asked, answering by " (moment_in(person.due_at.instant(), Some(zone))) },
                            None => { "asked at " (moment_in(person.ask_at.instant(), Some(zone))) },
                        }
                        " · their time now " (person.local_time) " (" (person.time_zone) ")" }
                }
                @for person in of(AskState::Answered) {
                    li { strong { (person.name) } " — answered"
                        @if let Some(at) = person.answered_at { " " (seen_time(at.instant(), Some(zone))) } }
                }
                @for person in of(AskState::Missed) {
                    li { strong { (person.name) } " — missed it (due " (moment_in(person.due_at.instant(), Some(zone))) ")" }
                }
                @for person in of(AskState::Away) { li { strong { (person.name) } " — away" } }
            }
            @if people.is_empty() { p.status { "Nobody is asked in this round." } }
        }
    }
}
