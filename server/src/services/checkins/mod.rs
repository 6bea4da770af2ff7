//! Check-ins: the stand-up without the meeting. A check-in asks its members its questions on
//! the days it runs, each at the start of their own working day (or a time of day in their own
//! zone); the answers — text, voice or video — make the day's round, which every member of the
//! team reads on one page.
//!
//! This module makes, changes and shows check-ins; [`rounds`] shows rounds and takes answers;
//! [`schedule`] opens rounds and carries out their steps (asking, reminding, closing) for the
//! check-in lane of the job queue. Who may do what is the one policy's
//! (`policy::allows_checkin`).

pub mod rounds;
pub mod schedule;

use std::collections::HashMap;

use chrono::{Duration, Weekday};
use db::Timestamp;
use db::checkins::{AskAt, Checkin, Members, day_name, parse_day};
use db::domain::{CheckinState, User};
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::Viewer;
use crate::auth::policy::{CheckinAccess, CheckinAction, allows_checkin};
use crate::error::{AppError, AppResult, Missing};
use crate::state::AppState;

pub use rounds::find_round;

/// Questions a check-in may ask.
const MAX_QUESTIONS: usize = 5;
/// The longest question, title, in characters.
const MAX_QUESTION_CHARS: usize = 500;
const MAX_TITLE_CHARS: usize = 200;
/// How long people have to answer, by default, and from a minute to a day.
const DEFAULT_ANSWER_WITHIN: i64 = 240;
const ANSWER_WITHIN: std::ops::RangeInclusive<i64> = 1..=1440;
/// Check-ins a workspace may have.
const MAX_PER_WORKSPACE: usize = 50;

/// `POST /api/v1/checkins`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCheckin {
    #[schema(schema_with = crate::services::text::line_schema::<MAX_TITLE_CHARS>)]
    pub title: String,
    /// One to five questions.
    #[schema(schema_with = questions_schema)]
    pub questions: Vec<String>,
    /// Member ids; omitted (or `null`): everyone, and people who join later.
    #[schema(schema_with = members_or_null_schema)]
    pub members: Option<Vec<String>>,
    /// `mon` … `sun`; Monday to Friday by default.
    #[serde(default = "weekdays")]
    #[schema(schema_with = days_schema)]
    pub days: Vec<String>,
    /// `start` (the start of each person's working hours that day; the default) or `HH:MM`
    /// (that time in each person's own zone).
    #[serde(default = "at_start")]
    #[schema(schema_with = ask_at_schema)]
    pub ask_at: String,
    /// 1–1440; 240 by default.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1440)]
    pub answer_within_minutes: Option<crate::services::whole_numbers::WholeNumber>,
    /// The zone its rounds' dates are in (IANA); the maker's by default.
    #[schema(value_type = Option<crate::services::formats::TimeZoneName>)]
    pub time_zone: Option<String>,
}

/// In the API's description: 1–5 questions, each a line of 1–500 characters.
fn questions_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::services::text::line_schema::<MAX_QUESTION_CHARS>())
        .min_items(Some(1))
        .max_items(Some(MAX_QUESTIONS))
        .build()
}

/// The same, or `null` (left as they are).
fn questions_or_null_schema() -> utoipa::openapi::schema::Array {
    crate::services::formats::array_or_null(questions_schema())
}

/// In the API's description: member ids, at least one; or `null`, everyone.
fn members_or_null_schema() -> utoipa::openapi::schema::Array {
    crate::services::formats::array_or_null(members_schema())
}

fn days_or_null_schema() -> utoipa::openapi::schema::Array {
    crate::services::formats::array_or_null(days_schema())
}

/// In the API's description: `start`, or a time of day `HH:MM`.
fn ask_at_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^(start|([01][0-9]|2[0-3]):[0-5][0-9])$"))
        .build()
}

fn ask_at_or_null_schema() -> utoipa::openapi::schema::Object {
    crate::services::formats::object_or_null(ask_at_schema())
}

fn members_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .pattern(Some("^[0-9a-f]{32}$")),
        )
        .min_items(Some(1))
        .build()
}

/// In the API's description: weekdays, at least one (a day twice counts once).
fn days_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .enum_values(Some(db::working_hours::DAYS.map(|(_, name)| name))),
        )
        .min_items(Some(1))
        .build()
}

fn weekdays() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec()
}

fn at_start() -> String {
    "start".to_owned()
}

/// `PATCH /api/v1/checkins/{id}`: what changes.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinChange {
    #[schema(schema_with = crate::services::text::line_or_null_schema::<MAX_TITLE_CHARS>)]
    pub title: Option<String>,
    #[schema(schema_with = questions_or_null_schema)]
    pub questions: Option<Vec<String>>,
    /// Member ids, or `null` for everyone.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = members_or_null_schema)]
    pub members: Option<Option<Vec<String>>>,
    #[schema(schema_with = days_or_null_schema)]
    pub days: Option<Vec<String>>,
    #[schema(schema_with = ask_at_or_null_schema)]
    pub ask_at: Option<String>,
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1440)]
    pub answer_within_minutes: Option<crate::services::whole_numbers::WholeNumber>,
    #[schema(value_type = Option<crate::services::formats::TimeZoneName>)]
    pub time_zone: Option<String>,
}

/// A field that may be present as `null` (`Some(None)`) or absent (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A check-in as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckinView {
    pub id: String,
    pub title: String,
    pub questions: Vec<String>,
    /// Whether it asks every member (those who join later too).
    pub everyone: bool,
    /// Who it asks (everyone's names when it asks everyone).
    pub members: Vec<MemberRef>,
    pub days: Vec<&'static str>,
    pub ask_at: String,
    pub answer_within_minutes: i64,
    /// The zone its rounds' dates are in.
    pub time_zone: String,
    pub state: CheckinState,
    pub created_by: MemberRef,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Whether the viewer may change, pause or remove it.
    pub can_manage: bool,
    pub rounds_url: String,
    pub page_url: String,
}

/// A member, by id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberRef {
    pub id: String,
    pub name: String,
}

impl CheckinView {
    fn new(state: &AppState, checkin: Checkin, viewer: &User, team: &HashMap<String, User>) -> Self {
        let name = |id: &str| MemberRef {
            id: id.to_owned(),
            name: team
                .get(id)
                .map_or_else(|| "a former member".to_owned(), |u| u.display_name.clone()),
        };
        let mut members: Vec<MemberRef> = team.values().filter(|u| checkin.asks(u)).map(|u| name(&u.id)).collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            can_manage: allows_checkin(viewer, &access(&checkin), CheckinAction::Manage),
            rounds_url: format!("{}/api/v1/checkins/{}/rounds", state.public_url, checkin.id),
            page_url: format!("{}/checkins/{}", state.public_url, checkin.id),
            everyone: checkin.members == Members::Everyone,
            members,
            days: checkin.days.iter().map(|d| day_name(*d)).collect(),
            ask_at: checkin.ask_at.to_string(),
            answer_within_minutes: checkin.answer_within.num_minutes(),
            time_zone: checkin.time_zone.name().to_owned(),
            created_by: name(&checkin.created_by),
            id: checkin.id,
            title: checkin.title,
            questions: checkin.questions,
            state: checkin.state,
            created_at: checkin.created_at,
            updated_at: checkin.updated_at,
        }
    }
}

/// What the policy looks at.
pub(crate) fn access(checkin: &Checkin) -> CheckinAccess<'_> {
    CheckinAccess {
        workspace_id: &checkin.workspace_id,
        created_by: &checkin.created_by,
        named: match &checkin.members {
            Members::Everyone => None,
            Members::Named(ids) => Some(ids),
        },
    }
}

/// The viewer's workspace's members, by id.
async fn team_of(state: &AppState, user: &User) -> AppResult<HashMap<String, User>> {
    Ok(state
        .db
        .team()
        .members(&user.workspace_id)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// Makes a check-in in the viewer's workspace.
pub async fn create(state: &AppState, viewer: &Viewer, new: NewCheckin) -> AppResult<CheckinView> {
    let user = viewer.require_user()?;
    let team = team_of(state, user).await?;
    let now = Timestamp::now();
    let checkin = Checkin {
        id: db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        workspace_id: user.workspace_id.clone(),
        title: checked_title(&new.title)?,
        questions: checked_questions(new.questions)?,
        members: checked_members(new.members, &team)?,
        days: checked_days(&new.days)?,
        ask_at: checked_ask_at(&new.ask_at)?,
        answer_within: checked_within(
            crate::services::whole_numbers::value(new.answer_within_minutes).unwrap_or(DEFAULT_ANSWER_WITHIN),
        )?,
        time_zone: match new.time_zone {
            Some(zone) => checked_zone(&zone)?,
            None => user.zone(),
        },
        state: CheckinState::Active,
        created_by: user.id.clone(),
        created_at: now,
        updated_at: now,
    };
    if !allows_checkin(user, &access(&checkin), CheckinAction::Create) {
        return Err(AppError::Forbidden(
            "a member makes check-ins for themselves and the people they name (`members`, including you); \
             one for everyone is an admin's"
                .into(),
        ));
    }
    if state.db.checkins().of_workspace(&user.workspace_id).await?.len() >= MAX_PER_WORKSPACE {
        return Err(AppError::Conflict(format!(
            "a workspace has at most {MAX_PER_WORKSPACE} check-ins; remove one first"
        )));
    }
    state.db.checkins().insert(&checkin).await?;
    state.wakes.plan().notify_one();
    Ok(CheckinView::new(state, checkin, user, &team))
}

/// The viewer's workspace's check-ins, oldest first.
pub async fn list(state: &AppState, viewer: &Viewer) -> AppResult<Vec<CheckinView>> {
    let user = viewer.require_user()?;
    let team = team_of(state, user).await?;
    Ok(state
        .db
        .checkins()
        .of_workspace(&user.workspace_id)
        .await?
        .into_iter()
        .map(|checkin| CheckinView::new(state, checkin, user, &team))
        .collect())
}

/// The check-in `id`, if the viewer may do `action` with it: 404 when they may not even see
/// it (as for an id never used), 403 when they may see but not do this.
pub async fn find(state: &AppState, viewer: &Viewer, id: &str, action: CheckinAction) -> AppResult<Checkin> {
    let user = viewer.require_user()?;
    let checkin = match db::ids::is_well_formed(id) {
        true => state.db.checkins().get(id).await?,
        false => None,
    }
    .filter(|c| allows_checkin(user, &access(c), CheckinAction::View))
    .ok_or(AppError::NotFound(Missing::Checkin))?;
    if !allows_checkin(user, &access(&checkin), action) {
        return Err(AppError::Forbidden(
            "only an admin or whoever made the check-in may change it".into(),
        ));
    }
    Ok(checkin)
}

pub async fn show(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<CheckinView> {
    let checkin = find(state, viewer, id, CheckinAction::View).await?;
    let user = viewer.require_user()?;
    let team = team_of(state, user).await?;
    Ok(CheckinView::new(state, checkin, user, &team))
}

/// Changes what `change` names; rounds already open keep their people and times.
pub async fn change(state: &AppState, viewer: &Viewer, id: &str, change: CheckinChange) -> AppResult<CheckinView> {
    let mut checkin = find(state, viewer, id, CheckinAction::Manage).await?;
    let user = viewer.require_user()?;
    let team = team_of(state, user).await?;
    if let Some(title) = change.title {
        checkin.title = checked_title(&title)?;
    }
    if let Some(questions) = change.questions {
        checkin.questions = checked_questions(questions)?;
    }
    if let Some(members) = change.members {
        checkin.members = checked_members(members, &team)?;
    }
    if let Some(days) = change.days {
        checkin.days = checked_days(&days)?;
    }
    if let Some(ask_at) = change.ask_at {
        checkin.ask_at = checked_ask_at(&ask_at)?;
    }
    if let Some(within) = crate::services::whole_numbers::value(change.answer_within_minutes) {
        checkin.answer_within = checked_within(within)?;
    }
    if let Some(zone) = change.time_zone {
        checkin.time_zone = checked_zone(&zone)?;
    }
    // A member may not widen their check-in beyond what they may make.
    if !allows_checkin(user, &access(&checkin), CheckinAction::Create) {
        return Err(AppError::Forbidden(
            "a member's check-in asks themselves and the people they name; one for everyone is an admin's".into(),
        ));
    }
    checkin.updated_at = Timestamp::now();
    if !state.db.checkins().update(&checkin).await? {
        return Err(AppError::NotFound(Missing::Checkin));
    }
    state.wakes.plan().notify_one();
    Ok(CheckinView::new(state, checkin, user, &team))
}

/// Pauses (asks nobody until resumed) or resumes a check-in.
pub async fn set_state(state: &AppState, viewer: &Viewer, id: &str, to: CheckinState) -> AppResult<CheckinView> {
    let mut checkin = find(state, viewer, id, CheckinAction::Manage).await?;
    let user = viewer.require_user()?;
    checkin.state = to;
    checkin.updated_at = Timestamp::now();
    if !state.db.checkins().update(&checkin).await? {
        return Err(AppError::NotFound(Missing::Checkin));
    }
    state.wakes.plan().notify_one();
    let team = team_of(state, user).await?;
    Ok(CheckinView::new(state, checkin, user, &team))
}

/// Removes a check-in with its rounds and their answers.
pub async fn remove(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let checkin = find(state, viewer, id, CheckinAction::Manage).await?;
    if state.db.checkins().delete(&checkin.workspace_id, &checkin.id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(Missing::Checkin))
    }
}

fn checked_title(title: &str) -> AppResult<String> {
    crate::services::text::line(title, "check-in's title", MAX_TITLE_CHARS)
}

fn checked_questions(questions: Vec<String>) -> AppResult<Vec<String>> {
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return Err(AppError::BadRequest(format!(
            "a check-in asks 1–{MAX_QUESTIONS} questions"
        )));
    }
    questions
        .iter()
        .map(|question| crate::services::text::line(question, "question", MAX_QUESTION_CHARS))
        .collect()
}

/// Everyone (`None`), or members of the workspace named by id, each once.
fn checked_members(members: Option<Vec<String>>, team: &HashMap<String, User>) -> AppResult<Members> {
    let Some(ids) = members else {
        return Ok(Members::Everyone);
    };
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "members names at least one member (leave it out to ask everyone)".into(),
        ));
    }
    let mut named = Vec::new();
    for id in ids {
        if !team.contains_key(&id) {
            return Err(AppError::BadRequest(format!(
                "{id:?} is not a member of this workspace"
            )));
        }
        if !named.contains(&id) {
            named.push(id);
        }
    }
    Ok(Members::Named(named))
}

fn checked_days(days: &[String]) -> AppResult<Vec<Weekday>> {
    let mut parsed = Vec::new();
    for day in days {
        let weekday = parse_day(day).ok_or_else(|| {
            AppError::BadRequest(format!("{day:?} is not a day: mon, tue, wed, thu, fri, sat or sun"))
        })?;
        if !parsed.contains(&weekday) {
            parsed.push(weekday);
        }
    }
    if parsed.is_empty() {
        return Err(AppError::BadRequest("a check-in runs on at least one day".into()));
    }
    parsed.sort_by_key(|d| d.num_days_from_monday());
    Ok(parsed)
}

fn checked_ask_at(text: &str) -> AppResult<AskAt> {
    AskAt::parse(text).ok_or_else(|| {
        AppError::BadRequest(format!(
            "ask_at is \"start\" (the start of each person's working hours) or a time, HH:MM; not {text:?}"
        ))
    })
}

fn checked_zone(name: &str) -> AppResult<chrono_tz::Tz> {
    name.trim()
        .parse()
        .map_err(|_| AppError::BadRequest(format!("{name:?} is not an IANA time zone")))
}

fn checked_within(minutes: i64) -> AppResult<Duration> {
    if !ANSWER_WITHIN.contains(&minutes) {
        return Err(AppError::BadRequest(format!(
            "answer_within_minutes is {}–{} minutes",
            ANSWER_WITHIN.start(),
            ANSWER_WITHIN.end()
        )));
    }
    Ok(Duration::minutes(minutes))
}
