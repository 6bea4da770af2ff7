//! The team: who is in the workspace, where each of them is in their day, the hours everyone
//! shares, and what admins and members change (roles, removal, profiles, passwords).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::auth::policy::{TeamAction, allows_team};
use crate::auth::secrets::{hash_password, verify_password};
use crate::error::{AppError, AppResult, Missing};
use crate::state::AppState;
use db::domain::{Role, User, WorkingHours};
use db::team::{AdminGuarded, Profile};
use db::working_hours::{day_bounds, shared_hours};

/// A member as the members page and `GET /api/v1/members` show them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub time_zone: String,
    /// Their wall-clock time now, `HH:MM`.
    pub local_time: String,
    pub working_hours: WorkingHours,
    /// Whether they are inside their working hours now.
    pub working_now: bool,
    /// Their hours on the viewer's day, in the viewer's time (`[["15:00", "23:00"]]`).
    pub hours_your_time: Vec<[String; 2]>,
    /// The same as minutes after the viewer's midnight, for drawing the timeline.
    #[serde(skip)]
    pub minutes_your_time: Vec<(i64, i64)>,
    pub is_you: bool,
}

/// The workspace's members and the hours they share today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Team {
    pub members: Vec<MemberView>,
    pub shared_hours: SharedHours,
}

/// When everyone is inside their working hours on the viewer's day, in the viewer's time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SharedHours {
    /// The viewer's zone and date the hours are given in.
    pub time_zone: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `[["15:00", "17:00"]]`; empty when there is no such hour.
    pub spans: Vec<[String; 2]>,
    #[serde(skip)]
    pub minutes: Vec<(i64, i64)>,
    /// Now, in minutes after the viewer's midnight (as `minutes`).
    #[serde(skip)]
    pub now_minutes: i64,
    /// "Everyone is around 15:00–17:00 your time." — or, when nobody overlaps today, the next
    /// day everyone does, or which pairs overlap.
    pub summary: String,
    /// When today has no hour everyone shares: the next day (within a week) that does.
    pub next: Option<NextShared>,
    /// When the whole team shares no hour this week: the pairs who overlap on the first day
    /// any do, with their hours in the viewer's time.
    pub pairs: Vec<PairShared>,
}

/// The next day everyone is working at once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NextShared {
    /// `YYYY-MM-DD`, the viewer's date.
    pub date: String,
    pub spans: Vec<[String; 2]>,
}

/// Two members' shared hours on a day, in the viewer's time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PairShared {
    pub members: [String; 2],
    /// `YYYY-MM-DD`, the viewer's date.
    pub date: String,
    pub spans: Vec<[String; 2]>,
}

/// How far ahead the shared-hours view looks for a day everyone (or a pair) works.
const LOOK_AHEAD_DAYS: i64 = 7;

/// The viewer, if they may do `action` to their workspace: 401 signed out, 403 otherwise.
pub fn require(viewer: &Viewer, action: TeamAction) -> AppResult<&User> {
    let user = viewer.require_user()?;
    if allows_team(user, action) {
        Ok(user)
    } else {
        Err(AppError::Forbidden("only the workspace's admins may do that".into()))
    }
}

/// Everyone in the viewer's workspace, as they are (for naming them, not placing them in
/// their day).
pub async fn members(state: &AppState, viewer: &Viewer) -> AppResult<Vec<User>> {
    let user = require(viewer, TeamAction::SeeMembers)?;
    Ok(state.db.team().members(&user.workspace_id).await?)
}

/// Everyone in the viewer's workspace, with where they are in their day at `now`.
pub async fn team(state: &AppState, viewer: &Viewer, now: DateTime<Utc>) -> AppResult<Team> {
    let user = require(viewer, TeamAction::SeeMembers)?;
    let members = members(state, viewer).await?;
    let view = user.zone();
    let today = now.with_timezone(&view).date_naive();
    let (midnight, _) = day_bounds(view, today);
    let in_your_time = |spans: &[(DateTime<Utc>, DateTime<Utc>)]| -> (Vec<[String; 2]>, Vec<(i64, i64)>) {
        spans
            .iter()
            .map(|(from, to)| {
                (
                    [hh_mm(from.with_timezone(&view)), hh_mm(to.with_timezone(&view))],
                    ((*from - midnight).num_minutes(), (*to - midnight).num_minutes()),
                )
            })
            .unzip()
    };
    let zones: Vec<(&WorkingHours, Tz)> = members.iter().map(|m| (&m.working_hours, m.zone())).collect();
    let shared = shared_hours(&zones, view, today);
    let (spans, minutes) = in_your_time(&shared);
    let spans_of = |day: chrono::NaiveDate, zones: &[(&WorkingHours, Tz)]| -> Vec<[String; 2]> {
        in_your_time(&shared_hours(zones, view, day)).0
    };
    let ahead = (1..=LOOK_AHEAD_DAYS).map(|n| today + chrono::Duration::days(n));
    let mut next = None;
    let mut pairs = Vec::new();
    if spans.is_empty() && members.len() >= 2 {
        next = ahead
            .clone()
            .map(|day| (day, spans_of(day, &zones)))
            .find(|(_, spans)| !spans.is_empty())
            .map(|(day, spans)| NextShared {
                date: day.format("%Y-%m-%d").to_string(),
                spans,
            });
        if next.is_none() {
            // Nobody shares an hour with everyone: who overlaps with whom, on the first day
            // any two do.
            for day in std::iter::once(today).chain(ahead) {
                for (i, a) in members.iter().enumerate() {
                    for b in &members[i + 1..] {
                        let both = [(&a.working_hours, a.zone()), (&b.working_hours, b.zone())];
                        let spans = spans_of(day, &both);
                        if !spans.is_empty() {
                            pairs.push(PairShared {
                                members: [a.display_name.clone(), b.display_name.clone()],
                                date: day.format("%Y-%m-%d").to_string(),
                                spans,
                            });
                        }
                    }
                }
                if !pairs.is_empty() {
                    break;
                }
            }
        }
    }
    let joined = |spans: &[[String; 2]]| {
        spans
            .iter()
            .map(|[a, b]| format!("{a}–{b}"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let day_name = |date: &str| {
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(|d| {
                if d == today {
                    "today".to_owned()
                } else {
                    d.format("%A %-d %b").to_string()
                }
            })
            .unwrap_or_default()
    };
    let summary = match (spans.as_slice(), &next, pairs.as_slice()) {
        ([], ..) if members.len() < 2 => "Invite your teammates to see the hours you share.".to_owned(),
        ([], Some(next), _) => format!(
            "No hour today when everyone is working. Next: {}, {} your time.",
            day_name(&next.date),
            joined(&next.spans)
        ),
        ([], None, []) => "There is no hour this week when any two of you are working.".to_owned(),
        ([], None, pairs) => format!(
            "There is no hour when everyone is working. Who overlaps, {} (your time): {}.",
            day_name(&pairs[0].date),
            pairs
                .iter()
                .map(|p| format!("{} and {} {}", p.members[0], p.members[1], joined(&p.spans)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        (spans, ..) => format!("Everyone is around {} your time.", joined(spans)),
    };
    let members = members
        .iter()
        .map(|member| {
            let zone = member.zone();
            let theirs = shared_hours(&[(&member.working_hours, zone)], view, today);
            let (hours_your_time, minutes_your_time) = in_your_time(&theirs);
            MemberView {
                id: member.id.clone(),
                name: member.display_name.clone(),
                role: member.role(),
                time_zone: member.time_zone.clone(),
                local_time: hh_mm(now.with_timezone(&zone)),
                working_hours: member.working_hours.clone(),
                working_now: member.working_hours.is_inside(now, zone),
                hours_your_time,
                minutes_your_time,
                is_you: member.id == user.id,
            }
        })
        .collect();
    Ok(Team {
        members,
        shared_hours: SharedHours {
            time_zone: user.time_zone.clone(),
            date: today.format("%Y-%m-%d").to_string(),
            spans,
            minutes,
            now_minutes: (now - midnight).num_minutes(),
            summary,
            next,
            pairs,
        },
    })
}

fn hh_mm<Z: chrono::TimeZone>(at: DateTime<Z>) -> String
where
    Z::Offset: std::fmt::Display,
{
    at.format("%H:%M").to_string()
}

/// Removes a member (admins only): their sessions and tokens stop working at once.
pub async fn remove(state: &AppState, viewer: &Viewer, member_id: &str) -> AppResult<()> {
    let admin = require(viewer, TeamAction::Manage)?;
    guarded(state.db.team().remove(&admin.workspace_id, member_id).await?)?;
    // Their sessions and tokens end with them (in the same transaction), their invitations
    // too; what they were uploading goes now rather than when it would have expired.
    crate::services::uploads::discard_all_of(state, member_id).await?;
    Ok(())
}

/// Grants or takes admin (admins only).
pub async fn set_admin(state: &AppState, viewer: &Viewer, member_id: &str, admin: bool) -> AppResult<()> {
    let by = require(viewer, TeamAction::Manage)?;
    guarded(state.db.team().set_admin(&by.workspace_id, member_id, admin).await?)
}

fn guarded(outcome: AdminGuarded) -> AppResult<()> {
    match outcome {
        AdminGuarded::Done => Ok(()),
        AdminGuarded::NotFound => Err(AppError::NotFound(Missing::Member)),
        AdminGuarded::LastAdmin => Err(AppError::Conflict(
            "that would leave the workspace without an admin: make someone else admin first".into(),
        )),
    }
}

/// What a member may change about themselves; what is left out stays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    #[schema(schema_with = crate::services::text::line_or_null_schema::<MAX_NAME_CHARS>)]
    pub display_name: Option<String>,
    #[schema(value_type = Option<crate::services::formats::TimeZoneName>)]
    pub time_zone: Option<String>,
    pub working_hours: Option<WorkingHours>,
    /// Away until (and including) this day, `YYYY-MM-DD`; `null`: back. Check-ins do not ask
    /// someone away, and it clears by itself after that day.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<crate::services::formats::Day>)]
    pub away_until: Option<Option<chrono::NaiveDate>>,
}

/// A field that may be present as `null` (`Some(None)`) or absent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes the viewer's own profile; returns them as they now are.
pub async fn update_profile(state: &AppState, viewer: &Viewer, change: ProfileChange) -> AppResult<User> {
    let user = viewer.require_user()?;
    let display_name = match change.display_name {
        Some(name) => checked_name(&name)?,
        None => user.display_name.clone(),
    };
    let time_zone = match change.time_zone {
        Some(zone) => checked_zone(&zone)?,
        None => user.time_zone.clone(),
    };
    let working_hours = change.working_hours.unwrap_or_else(|| user.working_hours.clone());
    let away_until = match change.away_until {
        Some(until) => {
            state.db.checkins().set_away(&user.id, until).await?;
            until
        }
        None => user.away_until,
    };
    let json = serde_json::to_string(&working_hours).map_err(|e| AppError::Internal(e.into()))?;
    state
        .db
        .team()
        .update_profile(
            &user.id,
            &Profile {
                display_name: &display_name,
                time_zone: &time_zone,
                working_hours: &json,
            },
        )
        .await?;
    let changed = User {
        display_name,
        time_zone,
        working_hours,
        away_until,
        ..user.clone()
    };
    if changed.time_zone != user.time_zone || changed.working_hours != user.working_hours {
        crate::services::notifications::replan(state, &changed).await?;
    }
    Ok(changed)
}

/// Changes the viewer's password after checking the current one; every other session and
/// token of theirs ends (the one asking stays signed in).
pub async fn change_password(state: &AppState, viewer: &Viewer, current: String, new: String) -> AppResult<()> {
    let user = viewer.require_user()?;
    let row = state.db.users().by_id(&user.id).await?.ok_or(AppError::Unauthorized)?;
    let new = checked_password(new)?;
    let stored = row.password_hash.clone();
    // Guessing the current password here is limited as guessing it at sign-in is: the same
    // count, per account.
    let Some(_turn) = state.login_limiter.turn(&row.email).await else {
        return Err(AppError::TooManyRequests { retry_after_secs: 5 });
    };
    let wait = state.login_limiter.delay(&state.db, &row.email).await?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let matches = state.passwords.run(move || verify_password(&current, &stored)).await?;
    if !matches {
        state.login_limiter.failed(&state.db, &row.email).await?;
        return Err(AppError::BadRequest("the current password is wrong".into()));
    }
    let hash = state
        .passwords
        .run(move || hash_password(&new))
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot hash the password: {e}")))?;
    state.db.team().set_password(&user.id, &hash).await?;
    let keep = match &viewer.credential {
        Some(crate::auth::Credential::Session { token_id, .. } | crate::auth::Credential::Bearer { token_id }) => {
            Some(token_id.as_str())
        }
        None => None,
    };
    state.db.users().revoke_all_tokens(&user.id, keep).await?;
    Ok(())
}

/// A display name: one line of 1–200 characters once trimmed.
pub fn checked_name(name: &str) -> AppResult<String> {
    crate::services::text::line(name, "name", MAX_NAME_CHARS)
}

/// The longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// An IANA time zone name, e.g. `Europe/Berlin`.
pub fn checked_zone(zone: &str) -> AppResult<String> {
    zone.trim()
        .parse::<Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| AppError::BadRequest(format!("{zone:?} is not a time zone (e.g. Europe/Berlin)")))
}

/// A new password: 8 to 1024 characters.
pub fn checked_password(password: String) -> AppResult<String> {
    let chars = password.chars().count();
    if !(8..=1024).contains(&chars) {
        return Err(AppError::BadRequest("a password must have 8 to 1024 characters".into()));
    }
    Ok(password)
}

/// An email address, lower-case, at most 320 bytes: a local part of the characters RFC 5322
/// allows unquoted (letters, digits, ``!#$%&'*+/=?^_`{|}~.-``), `@`, and a domain of two or
/// more labels of letters, digits and inner hyphens. (`services::formats::EmailAddress` says
/// the same as a pattern.)
pub fn checked_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let local_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let valid = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && local.chars().all(local_char) && domain.contains('.') && domain.split('.').all(label)
        });
    if valid {
        Ok(email)
    } else {
        Err(AppError::BadRequest(format!("{email:?} is not an email address")))
    }
}
