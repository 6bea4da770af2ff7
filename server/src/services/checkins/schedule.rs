//! When rounds open and what their jobs do.
//!
//! [`plan`] (run every half minute by the check-in worker of every process) opens each active
//! check-in's round a little before its first ask, with its people and their jobs — an ask at
//! each person's time, a reminder before their due time, the round's closing after the last —
//! in one transaction and once, however many processes plan at once (the round is unique per
//! check-in and day). Newcomers to the team join a round that has not asked them yet.
//!
//! The jobs run on the one queue's check-in lane ([`step`]): an ask is written with the event
//! that tells the person (mail at once, webhooks), once, and re-checks what may have changed
//! since the round opened — the person away, off that day now, their hours moved.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::checkins::{Asked, Checkin, Closing, Round};
use db::domain::{AskState, CheckinState, RoundState, User};
use db::queue::{CheckinStep, NewJob, Work};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long before its first ask a round opens (its page and its jobs exist).
const OPEN_AHEAD: Duration = Duration::minutes(30);
/// An ask whose time moved later by more than this waits for the new time.
const MOVED: Duration = Duration::minutes(1);

/// How a step of a round ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stepped {
    Done,
    /// Not yet: the person's time moved later; again at this instant.
    NotYet(DateTime<Utc>),
    /// Nothing to do any more, and why.
    Dropped(&'static str),
}

/// Opens the rounds that are due to open (and adds newcomers to open ones); how many it opened.
pub async fn plan(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let mut opened = 0;
    for checkin in state.db.checkins().active().await? {
        let team: Vec<User> = state
            .db
            .team()
            .members(&checkin.workspace_id)
            .await?
            .into_iter()
            .filter(|u| checkin.asks(u))
            .collect();
        let today = now.with_timezone(&checkin.time_zone).date_naive();
        for day in [today - Duration::days(1), today, today + Duration::days(1)] {
            if plan_day(state, &checkin, &team, day, now).await? {
                opened += 1;
            }
        }
    }
    Ok(opened)
}

/// Opens the round of `day` if its time has come, or adds newcomers to it; whether it opened.
async fn plan_day(
    state: &AppState,
    checkin: &Checkin,
    team: &[User],
    day: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let people: Vec<(&User, DateTime<Utc>, bool)> = team
        .iter()
        .filter_map(|person| {
            let (theirs, at) = checkin.ask_in_round(person, day)?;
            Some((person, at, person.is_away_on(theirs)))
        })
        .collect();
    let Some(opens_at) = people.iter().map(|(_, at, _)| *at).min() else {
        return Ok(false);
    };
    let closes_at = people
        .iter()
        .map(|(_, at, _)| *at + checkin.answer_within)
        .max()
        .unwrap_or(opens_at);
    // Never a round that would be over before it opens (the server was down all day).
    if closes_at <= now || opens_at - OPEN_AHEAD > now {
        return Ok(false);
    }
    if let Some(round) = state.db.checkins().round_on(&checkin.id, day).await? {
        add_newcomers(state, checkin, &round, &people, now).await?;
        return Ok(false);
    }
    let round = Round {
        id: new_id()?,
        checkin_id: checkin.id.clone(),
        day,
        state: RoundState::Open,
        opens_at: opens_at.into(),
        closes_at: closes_at.into(),
        closed_at: None,
    };
    let asked: Vec<Asked> = people
        .iter()
        .map(|(person, at, away)| asked(&round.id, person, *at, *away, checkin))
        .collect();
    let mut jobs = Vec::new();
    for person in asked.iter().filter(|p| p.state == AskState::Waiting) {
        jobs.extend(person_jobs(checkin, person)?);
    }
    jobs.push(NewJob {
        id: new_id()?,
        work: Work::Checkin {
            round_id: round.id.clone(),
            step: CheckinStep::Close,
        },
        run_after: closes_at,
    });
    let opened = state.db.checkins().open_round(&round, &asked, &jobs).await?;
    if opened {
        tracing::info!(checkin = %checkin.id, round = %round.id, %day, people = asked.len(), "opened a check-in round");
        state.wakes.job(db::domain::JobKind::Checkin).notify_one();
    }
    Ok(opened)
}

/// Members who are not in an open round yet and whose time that day is still ahead.
async fn add_newcomers(
    state: &AppState,
    checkin: &Checkin,
    round: &Round,
    people: &[(&User, DateTime<Utc>, bool)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if round.state != RoundState::Open {
        return Ok(());
    }
    let known = state.db.checkins().people(&[round.id.as_str()]).await?;
    let newcomers: Vec<Asked> = people
        .iter()
        .filter(|(person, at, away)| !away && *at > now && !known.iter().any(|k| k.user_id == person.id))
        .map(|(person, at, away)| asked(&round.id, person, *at, *away, checkin))
        .collect();
    if newcomers.is_empty() {
        return Ok(());
    }
    let mut jobs = Vec::new();
    for person in &newcomers {
        jobs.extend(person_jobs(checkin, person)?);
    }
    state.db.checkins().add_people(&round.id, &newcomers, &jobs).await?;
    Ok(())
}

fn asked(round_id: &str, person: &User, at: DateTime<Utc>, away: bool, checkin: &Checkin) -> Asked {
    Asked {
        round_id: round_id.to_owned(),
        user_id: person.id.clone(),
        state: if away { AskState::Away } else { AskState::Waiting },
        ask_at: at.into(),
        asked_at: None,
        due_at: (at + checkin.answer_within).into(),
        reminded_at: None,
        answer_id: None,
        answered_at: None,
    }
}

/// A person's ask, and their reminder a quarter of their time before it is due.
fn person_jobs(checkin: &Checkin, person: &Asked) -> AppResult<Vec<NewJob>> {
    let ask = |step| -> AppResult<Work> {
        Ok(Work::Checkin {
            round_id: person.round_id.clone(),
            step,
        })
    };
    Ok(vec![
        NewJob {
            id: new_id()?,
            work: ask(CheckinStep::Ask {
                user_id: person.user_id.clone(),
            })?,
            run_after: person.ask_at.instant(),
        },
        NewJob {
            id: new_id()?,
            work: ask(CheckinStep::Remind {
                user_id: person.user_id.clone(),
            })?,
            run_after: person.due_at.instant() - checkin.answer_within / 4,
        },
    ])
}

/// One step of a round, as its job says.
pub async fn step(state: &AppState, round_id: &str, step: &CheckinStep) -> AppResult<Stepped> {
    let Some(round) = state.db.checkins().round(round_id).await? else {
        return Ok(Stepped::Dropped("the round is gone"));
    };
    let Some(checkin) = state.db.checkins().get(&round.checkin_id).await? else {
        return Ok(Stepped::Dropped("the check-in is gone"));
    };
    match step {
        CheckinStep::Close => {
            // A newcomer's later due time moved the round's closing.
            if round.closes_at.instant() > Utc::now() + MOVED {
                return Ok(Stepped::NotYet(round.closes_at.instant()));
            }
            let closed = state.db.checkins().close(&round.id).await?;
            if closed == Closing::Closed {
                tracing::info!(round = %round.id, "closed a check-in round");
                state.wakes.events().notify_one();
            }
            Ok(Stepped::Done)
        }
        CheckinStep::Ask { user_id } => ask(state, &checkin, &round, user_id).await,
        CheckinStep::Remind { user_id } => {
            if checkin.state == CheckinState::Paused {
                return Ok(Stepped::Dropped("the check-in is paused"));
            }
            if state.db.checkins().remind(&round.id, user_id).await? {
                state.wakes.events().notify_one();
            }
            Ok(Stepped::Done)
        }
    }
}

/// Asks one person, if they are still to be asked and it is their time.
async fn ask(state: &AppState, checkin: &Checkin, round: &Round, user_id: &str) -> AppResult<Stepped> {
    if round.state == RoundState::Closed {
        return Ok(Stepped::Dropped("the round is closed"));
    }
    if checkin.state == CheckinState::Paused {
        return Ok(Stepped::Dropped("the check-in is paused"));
    }
    let person = match state.db.users().by_id(user_id).await? {
        Some(row) if row.removed_at.is_none() => row.user(),
        _ => return Ok(Stepped::Dropped("no longer a member")),
    };
    // What may have changed since the round opened: away now, off that day, hours moved.
    let Some((theirs, at)) = checkin.ask_in_round(&person, round.day) else {
        state.db.checkins().mark_away(&round.id, user_id).await?;
        return Ok(Stepped::Done);
    };
    if person.is_away_on(theirs) {
        state.db.checkins().mark_away(&round.id, user_id).await?;
        return Ok(Stepped::Done);
    }
    let now = Utc::now();
    if at - now > MOVED {
        return Ok(Stepped::NotYet(at));
    }
    let due = at + checkin.answer_within;
    if due <= now {
        return Ok(Stepped::Dropped(
            "their time to answer passed before they could be asked",
        ));
    }
    if state.db.checkins().ask(&round.id, user_id, due).await? {
        tracing::info!(round = %round.id, user = %user_id, "asked for a check-in answer");
        state.wakes.events().notify_one();
    }
    Ok(Stepped::Done)
}

/// Closes the round when everyone asked in it has answered (those away aside).
pub async fn close_if_complete(state: &AppState, checkin: &Checkin, round_id: &str) -> AppResult<()> {
    let people = state.db.checkins().people(&[round_id]).await?;
    let everyone = people
        .iter()
        .filter(|p| p.state != AskState::Away)
        .all(|p| p.state == AskState::Answered);
    if everyone && state.db.checkins().close(round_id).await? == Closing::Closed {
        tracing::info!(checkin = %checkin.id, round = %round_id, "everyone answered: closed the round");
        state.wakes.events().notify_one();
    }
    Ok(())
}

fn new_id() -> AppResult<String> {
    db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))
}
