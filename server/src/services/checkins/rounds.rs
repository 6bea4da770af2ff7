//! A check-in's rounds as people see them — who was asked, who answered, who is away — and
//! answering one. A round's answers are its thread: text, voice or video, each with the
//! replies under it, read and answered as any thread.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use db::Timestamp;
use db::checkins::{Answered, Asked, Checkin, Round};
use db::domain::{AskState, Author, CheckinState, ReplyBody, RoundState, User};
use db::threads::{Reply, ThreadRoot};
use serde::{Deserialize, Serialize};

use super::{access, find};
use crate::auth::Viewer;
use crate::auth::policy::{CheckinAction, allows_checkin};
use crate::error::{AppError, AppResult, Missing};
use crate::services::threads::{Message, check_reply_clip, round_answers};
use crate::state::AppState;

/// Rounds a page of `GET /api/v1/checkins/{id}/rounds` holds at most.
const MAX_PAGE: i64 = 50;

/// A person in a round.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub member_id: String,
    pub name: String,
    /// `waiting` (to be asked, or asked), `answered`, `away`, or `missed` (their due time passed).
    pub state: AskState,
    /// When they are (or were) asked.
    pub ask_at: Timestamp,
    /// When they were asked; absent until their time comes.
    pub asked_at: Option<Timestamp>,
    pub due_at: Timestamp,
    /// Their answer, a message of the round's thread.
    pub answer_id: Option<String>,
    pub answered_at: Option<Timestamp>,
    pub time_zone: String,
    /// Their wall-clock time now, `HH:MM`.
    pub local_time: String,
}

/// One day's round.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundView {
    pub id: String,
    pub checkin_id: String,
    /// `YYYY-MM-DD`: the day it asks for, in each person's own zone.
    pub date: String,
    pub state: RoundState,
    /// Its last due time: it closes then, or when everyone asked has answered.
    pub closes_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// In the order they are asked.
    pub people: Vec<PersonView>,
    pub page_url: String,
}

/// A page of a check-in's rounds, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoundPage {
    pub rounds: Vec<RoundView>,
    /// Pass as `before` for the next page (`YYYY-MM-DD`); absent on the last.
    pub next: Option<String>,
}

/// What the round's check-in asks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AskedBy {
    pub id: String,
    pub title: String,
    pub questions: Vec<String>,
    pub state: CheckinState,
}

/// A round with its questions and its answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub round: RoundView,
    pub checkin: AskedBy,
    /// The answers in the order people gave them, each with the replies under it.
    #[schema(no_recursion)]
    pub answers: Vec<Message>,
    /// The viewer's own part: whether they are asked, and whether they may still answer.
    pub you: Option<YourPart>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct YourPart {
    pub state: AskState,
    pub due_at: Timestamp,
    /// Asked, and the round still open: they may answer (or change their answer).
    pub may_answer: bool,
}

/// `POST /api/v1/checkins/rounds/{round_id}/answers`: text or a clip the member recorded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAnswer {
    pub text: Option<String>,
    pub clip_id: Option<String>,
}

/// What is due for the viewer: a round asking them that they have not answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DueView {
    pub checkin_id: String,
    pub title: String,
    pub questions: Vec<String>,
    pub round_id: String,
    pub date: String,
    pub due_at: Timestamp,
    pub page_url: String,
}

/// The round `round_id` with its check-in, if the viewer may see it (a member of its team): 404
/// otherwise, as for a round never opened.
pub async fn find_round(state: &AppState, viewer: &Viewer, round_id: &str) -> AppResult<(Checkin, Round)> {
    let missing = || AppError::NotFound(Missing::Round);
    if !db::ids::is_well_formed(round_id) {
        return Err(missing());
    }
    let round = state.db.checkins().round(round_id).await?.ok_or_else(missing)?;
    let checkin = find(state, viewer, &round.checkin_id, CheckinAction::View)
        .await
        .map_err(|_| missing())?;
    Ok((checkin, round))
}

/// A check-in's rounds, newest first, `limit` to a page, before the day `before`.
pub async fn rounds(
    state: &AppState,
    viewer: &Viewer,
    checkin_id: &str,
    limit: Option<i64>,
    before: Option<&str>,
) -> AppResult<RoundPage> {
    let checkin = find(state, viewer, checkin_id, CheckinAction::View).await?;
    let before = before
        .filter(|b| !b.is_empty())
        .map(|b| {
            NaiveDate::parse_from_str(b, "%Y-%m-%d")
                .map_err(|_| AppError::BadRequest("`before` is a date, YYYY-MM-DD".into()))
        })
        .transpose()?;
    let limit = limit.unwrap_or(20).clamp(1, MAX_PAGE);
    let rounds = state.db.checkins().rounds(&checkin.id, limit + 1, before).await?;
    let more = rounds.len() as i64 > limit;
    let rounds: Vec<Round> = rounds.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| rounds.last().map(|r| r.day.format("%Y-%m-%d").to_string()))
        .flatten();
    let views = views_of(state, viewer, rounds).await?;
    Ok(RoundPage { rounds: views, next })
}

/// The views of `rounds` with their people, in two queries.
async fn views_of(state: &AppState, viewer: &Viewer, rounds: Vec<Round>) -> AppResult<Vec<RoundView>> {
    viewer.require_user()?;
    let ids: Vec<&str> = rounds.iter().map(|r| r.id.as_str()).collect();
    let mut people: HashMap<String, Vec<Asked>> = HashMap::new();
    for person in state.db.checkins().people(&ids).await? {
        people.entry(person.round_id.clone()).or_default().push(person);
    }
    let team: HashMap<String, User> = state
        .db
        .users()
        .by_ids(
            &people
                .values()
                .flatten()
                .map(|p| p.user_id.as_str())
                .collect::<Vec<_>>(),
        )
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let now = Utc::now();
    Ok(rounds
        .into_iter()
        .map(|round| {
            let people = people
                .remove(&round.id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let user = team.get(&p.user_id).cloned();
                    person_view(p, user, now)
                })
                .collect();
            RoundView {
                page_url: format!("{}/checkins/rounds/{}", state.public_url, round.id),
                date: round.day.format("%Y-%m-%d").to_string(),
                id: round.id,
                checkin_id: round.checkin_id,
                state: round.state,
                closes_at: round.closes_at,
                closed_at: round.closed_at,
                people,
            }
        })
        .collect())
}

/// Where someone stands, as shown: asked and not answered past their due time is `missed`
/// even before the round closes.
fn shown_state(person: &Asked, now: chrono::DateTime<Utc>) -> AskState {
    match person.state {
        AskState::Waiting if person.asked_at.is_some() && person.due_at.instant() <= now => AskState::Missed,
        other => other,
    }
}

fn person_view(person: Asked, user: Option<User>, now: chrono::DateTime<Utc>) -> PersonView {
    let zone: Tz = user.as_ref().map_or(chrono_tz::UTC, User::zone);
    PersonView {
        state: shown_state(&person, now),
        name: user
            .as_ref()
            .map_or_else(|| "a former member".to_owned(), |u| u.display_name.clone()),
        time_zone: zone.name().to_owned(),
        local_time: now.with_timezone(&zone).format("%H:%M").to_string(),
        member_id: person.user_id,
        ask_at: person.ask_at,
        asked_at: person.asked_at,
        due_at: person.due_at,
        answer_id: person.answer_id,
        answered_at: person.answered_at,
    }
}

/// The round with its questions and answers. Reading it marks its text read.
pub async fn round(state: &AppState, viewer: &Viewer, round_id: &str) -> AppResult<RoundDetail> {
    let user = viewer.require_user()?;
    let (checkin, round) = find_round(state, viewer, round_id).await?;
    let answers = round_answers(state, viewer, &round.id).await?;
    let view = views_of(state, viewer, vec![round.clone()])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no view of round {}", round.id)))?;
    let you = view.people.iter().find(|p| p.member_id == user.id).map(|p| YourPart {
        state: p.state,
        due_at: p.due_at,
        may_answer: round.state == RoundState::Open
            && p.asked_at.is_some()
            && matches!(p.state, AskState::Waiting | AskState::Answered | AskState::Missed),
    });
    Ok(RoundDetail {
        round: view,
        checkin: AskedBy {
            id: checkin.id,
            title: checkin.title,
            questions: checkin.questions,
            state: checkin.state,
        },
        answers,
        you,
    })
}

/// Answers the round (or changes the viewer's answer) while it is open; `true` for a first
/// answer. The round closes at once when everyone asked has answered.
pub async fn answer(state: &AppState, viewer: &Viewer, round_id: &str, new: NewAnswer) -> AppResult<(bool, Message)> {
    let user = viewer.require_user()?;
    let (checkin, round) = find_round(state, viewer, round_id).await?;
    let people = state.db.checkins().people(&[round.id.as_str()]).await?;
    let Some(me) = people.iter().find(|p| p.user_id == user.id) else {
        return Err(AppError::Forbidden("this round does not ask you".into()));
    };
    if me.asked_at.is_none() || me.state == AskState::Away {
        return Err(AppError::Conflict(
            "you have not been asked in this round yet (or you are away)".into(),
        ));
    }
    let body = match (
        new.text.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        new.clip_id,
    ) {
        (Some(text), None) if text.len() <= 10_000 => ReplyBody::Text(text.to_owned()),
        (Some(_), None) => return Err(AppError::BadRequest("the text is longer than 10000 bytes".into())),
        (None, Some(clip)) => {
            check_reply_clip(state, user, &clip, None).await?;
            ReplyBody::Clip(clip)
        }
        _ => return Err(AppError::BadRequest("an answer is either text or a clip_id".into())),
    };
    let reply = Reply {
        id: db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        root: ThreadRoot::Round(round.id.clone()),
        parent_id: None,
        body,
        anchor_ms: None,
        author: Author::Member(user.id.clone()),
        created_at: Timestamp::now(),
    };
    let answered = state.db.checkins().answer(&round.id, &user.id, &reply).await?;
    let answer_id = match answered {
        Answered::New => reply.id.clone(),
        Answered::Edited => me.answer_id.clone().unwrap_or_else(|| reply.id.clone()),
        Answered::Closed => return Err(AppError::Conflict("the round is closed: answers are final".into())),
        Answered::ClipTaken => {
            return Err(AppError::Conflict("that clip is already part of a thread".into()));
        }
    };
    if answered == Answered::New {
        state.wakes.events().notify_one();
        super::schedule::close_if_complete(state, &checkin, &round.id).await?;
    }
    let message = round_answers(state, viewer, &round.id)
        .await?
        .into_iter()
        .find(|m| m.message_id == answer_id || m.place.as_ref().is_some_and(|p| p.reply_id == answer_id))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("answer {answer_id} is not in its round")))?;
    Ok((answered == Answered::New, message))
}

/// An open round as the dashboard shows it: one card per round.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenRound {
    pub title: String,
    #[serde(flatten)]
    pub round: RoundView,
}

/// The viewer's team's open rounds, soonest closing first.
pub async fn open_rounds(state: &AppState, viewer: &Viewer) -> AppResult<Vec<OpenRound>> {
    let user = viewer.require_user()?;
    let rounds = state.db.checkins().open_rounds(&user.workspace_id).await?;
    let mut titles = HashMap::new();
    for checkin in state.db.checkins().of_workspace(&user.workspace_id).await? {
        titles.insert(checkin.id, checkin.title);
    }
    Ok(views_of(state, viewer, rounds)
        .await?
        .into_iter()
        .map(|round| OpenRound {
            title: titles.get(&round.checkin_id).cloned().unwrap_or_default(),
            round,
        })
        .collect())
}

/// What is due for the viewer: rounds that asked them and wait for their answer, soonest due
/// first.
pub async fn due(state: &AppState, viewer: &Viewer) -> AppResult<Vec<DueView>> {
    let user = viewer.require_user()?;
    let now = Utc::now();
    Ok(state
        .db
        .checkins()
        .due_for(&user.id)
        .await?
        .into_iter()
        .filter(|(checkin, _, person)| {
            allows_checkin(user, &access(checkin), CheckinAction::View) && person.due_at.instant() > now
        })
        .map(|(checkin, round, person)| DueView {
            page_url: format!("{}/checkins/rounds/{}", state.public_url, round.id),
            checkin_id: checkin.id,
            title: checkin.title,
            questions: checkin.questions,
            round_id: round.id,
            date: round.day.format("%Y-%m-%d").to_string(),
            due_at: person.due_at,
        })
        .collect())
}
