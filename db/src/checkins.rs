//! Check-ins: a team's stand-up without the meeting. A check-in asks its members its questions
//! on the days it runs, each at their own time — the start of their working hours that day, or
//! a time of day in their own zone — never on a day off, never while they are away. A
//! [`Round`] is one day's asking: each person in it is asked once, has until their due time to
//! answer (by text or a clip), and the round closes when everyone asked has answered or the
//! last due time has passed.
//!
//! [`Checkin::ask_time`] is the schedule: which instant a person is asked on one of their own
//! days, across daylight-saving changes and half-hour zones (`chrono-tz`). A round's date is
//! a date in the check-in's own zone (its maker's): the round of Tuesday holds each person's
//! ask that falls on Tuesday there ([`Checkin::ask_in_round`]), so a team from Manila to São
//! Paulo answers one round a day.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::Timestamp;
use crate::domain::{AskState, CheckinState, RoundState, User};
use crate::queue::NewJob;
use crate::threads::Reply;
use crate::working_hours::{DAYS, instant};

/// When in their day each person is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskAt {
    /// At the start of their working hours that day.
    Start,
    /// At this time of day, in their own zone.
    Time(NaiveTime),
}

impl AskAt {
    /// `"start"` or `"HH:MM"`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "start" => Some(Self::Start),
            other => NaiveTime::parse_from_str(other, "%H:%M").ok().map(Self::Time),
        }
    }
}

impl fmt::Display for AskAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start => f.write_str("start"),
            Self::Time(time) => write!(f, "{}", time.format("%H:%M")),
        }
    }
}

/// Who a check-in asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Every member of the workspace, those who join later included.
    Everyone,
    /// These members, by id.
    Named(Vec<String>),
}

/// A check-in as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkin {
    pub id: String,
    pub workspace_id: String,
    pub title: String,
    /// One to five.
    pub questions: Vec<String>,
    pub members: Members,
    /// The weekdays it runs, Monday first.
    pub days: Vec<Weekday>,
    pub ask_at: AskAt,
    pub answer_within: Duration,
    /// The zone its rounds' dates are in (its maker's).
    pub time_zone: Tz,
    pub state: CheckinState,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Checkin {
    /// When `person` is asked on `day` (a date in their own zone), or `None` when they are not:
    /// the check-in does not run that weekday, or it is their day off. (Whether they are away
    /// is theirs to say: [`User::is_away_on`].)
    pub fn ask_time(&self, person: &User, day: NaiveDate) -> Option<DateTime<Utc>> {
        if !self.days.contains(&day.weekday()) {
            return None;
        }
        let hours = person.working_hours.on(day.weekday())?;
        let time = match self.ask_at {
            AskAt::Start => hours.start,
            AskAt::Time(time) => time,
        };
        Some(instant(person.zone(), day.and_time(time)))
    }

    /// Which of `person`'s own days is asked in the round of `round_day` (a date in the
    /// check-in's zone), and when: their ask that falls on that date there.
    pub fn ask_in_round(&self, person: &User, round_day: NaiveDate) -> Option<(NaiveDate, DateTime<Utc>)> {
        [round_day - Duration::days(1), round_day, round_day + Duration::days(1)]
            .into_iter()
            .filter_map(|theirs| self.ask_time(person, theirs).map(|at| (theirs, at)))
            .find(|(_, at)| at.with_timezone(&self.time_zone).date_naive() == round_day)
    }

    /// Whether `person` is asked by it at all (whatever the day).
    pub fn asks(&self, person: &User) -> bool {
        person.workspace_id == self.workspace_id
            && match &self.members {
                Members::Everyone => true,
                Members::Named(ids) => ids.contains(&person.id),
            }
    }

    /// The weekdays as stored: `"mon tue wed"`.
    pub fn days_text(&self) -> String {
        self.days.iter().map(|d| day_name(*d)).collect::<Vec<_>>().join(" ")
    }
}

/// A weekday's key: `mon` … `sun`.
pub fn day_name(day: Weekday) -> &'static str {
    DAYS.iter().find(|(d, _)| *d == day).map_or("mon", |(_, name)| name)
}

/// The weekday a key names, if it names one.
pub fn parse_day(name: &str) -> Option<Weekday> {
    DAYS.iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(d, _)| *d)
}

/// One day's asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub id: String,
    pub checkin_id: String,
    /// The date it asks for, in each person's own zone.
    pub day: NaiveDate,
    pub state: RoundState,
    /// The first ask.
    pub opens_at: Timestamp,
    /// The last due time.
    pub closes_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

/// A person in a round: when they are asked and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub round_id: String,
    pub user_id: String,
    pub state: AskState,
    pub ask_at: Timestamp,
    /// When they were asked (`None` until their time comes).
    pub asked_at: Option<Timestamp>,
    pub due_at: Timestamp,
    pub reminded_at: Option<Timestamp>,
    /// Their answer: a reply in the round's thread.
    pub answer_id: Option<String>,
    pub answered_at: Option<Timestamp>,
}

/// What became of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// The first answer of this person in the round.
    New,
    /// Their answer, changed.
    Edited,
    /// The round is closed (or they are not asked in it, or away): nothing changed.
    Closed,
    /// The clip answered with is already a reply somewhere.
    ClipTaken,
}

/// What became of a round being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Closed now; those who had not answered are `missed`.
    Closed,
    /// It was already closed.
    AlreadyClosed,
}

/// Check-ins, their rounds and the people asked.
#[async_trait::async_trait]
pub trait CheckinStore: Send + Sync {
    async fn insert(&self, checkin: &Checkin) -> crate::Result<()>;

    /// Changes a check-in as a whole (the caller merged what changed); `false` if it is gone.
    async fn update(&self, checkin: &Checkin) -> crate::Result<bool>;

    /// Removes a workspace's check-in with its rounds; whether there was one.
    async fn delete(&self, workspace_id: &str, id: &str) -> crate::Result<bool>;

    async fn get(&self, id: &str) -> crate::Result<Option<Checkin>>;

    /// A workspace's check-ins, oldest first.
    async fn of_workspace(&self, workspace_id: &str) -> crate::Result<Vec<Checkin>>;

    /// Every active check-in of every workspace: what the planner looks at.
    async fn active(&self) -> crate::Result<Vec<Checkin>>;

    /// Opens a round with its people and their jobs (asks, reminders, its closing), all in
    /// one transaction — once: `false` if the round for that check-in and day exists already.
    async fn open_round(&self, round: &Round, people: &[Asked], jobs: &[NewJob]) -> crate::Result<bool>;

    /// Adds people to an open round (newcomers asked later that day), with their jobs; those
    /// already in it are kept as they are.
    async fn add_people(&self, round_id: &str, people: &[Asked], jobs: &[NewJob]) -> crate::Result<()>;

    async fn round(&self, id: &str) -> crate::Result<Option<Round>>;

    /// A check-in's rounds, newest day first, before `before` if given.
    async fn rounds(&self, checkin_id: &str, limit: i64, before: Option<NaiveDate>) -> crate::Result<Vec<Round>>;

    /// The round of a check-in for a day, if opened.
    async fn round_on(&self, checkin_id: &str, day: NaiveDate) -> crate::Result<Option<Round>>;

    /// A workspace's open rounds, soonest closing first.
    async fn open_rounds(&self, workspace_id: &str) -> crate::Result<Vec<Round>>;

    /// The people of these rounds, in the order they are asked.
    async fn people(&self, round_ids: &[&str]) -> crate::Result<Vec<Asked>>;

    /// Asks `user_id` in the round now (due at `due_at`), writing the event that tells them in
    /// the same transaction — unless they were asked already, answered, are away, or the round
    /// is closed: `false` then, and nothing is written. Exactly once, however many workers try.
    async fn ask(&self, round_id: &str, user_id: &str, due_at: DateTime<Utc>) -> crate::Result<bool>;

    /// Marks them away in the round (not asked, no reminders), unless they answered.
    async fn mark_away(&self, round_id: &str, user_id: &str) -> crate::Result<()>;

    /// Notes a reminder (and writes its event) if they were asked and have not answered yet.
    async fn remind(&self, round_id: &str, user_id: &str) -> crate::Result<bool>;

    /// Stores `answer` (a reply in the round's thread) as `user_id`'s answer, or replaces their
    /// earlier one, while the round is open; a new answer is written with its event.
    async fn answer(&self, round_id: &str, user_id: &str, answer: &Reply) -> crate::Result<Answered>;

    /// Closes the round, marking whoever has not answered `missed`, with the event of its
    /// round-up — once.
    async fn close(&self, round_id: &str) -> crate::Result<Closing>;

    /// The open rounds in which `user_id` has been asked and has not answered, with the
    /// check-in of each: what is due for them.
    async fn due_for(&self, user_id: &str) -> crate::Result<Vec<(Checkin, Round, Asked)>>;

    /// Sets (or clears) `user_id`'s away-until date.
    async fn set_away(&self, user_id: &str, until: Option<NaiveDate>) -> crate::Result<()>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::EmailChoice;
    use crate::working_hours::WorkingHours;

    fn person(zone: &str, hours: &str) -> User {
        User {
            id: "p".into(),
            workspace_id: "w".into(),
            email: "p@example.com".into(),
            display_name: "P".into(),
            time_zone: zone.into(),
            is_admin: false,
            working_hours: serde_json::from_str::<WorkingHours>(hours).unwrap(),
            email_notifications: EmailChoice::WorkingHours,
            away_until: None,
        }
    }

    fn standup(ask_at: AskAt) -> Checkin {
        Checkin {
            id: "c".into(),
            workspace_id: "w".into(),
            title: "Stand-up".into(),
            questions: vec!["What did you do?".into()],
            members: Members::Everyone,
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
            ask_at,
            answer_within: Duration::minutes(240),
            time_zone: chrono_tz::Europe::Berlin,
            state: CheckinState::Active,
            created_by: "a".into(),
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const WEEKDAYS_9_TO_5: &str = r#"{"mon":["09:00","17:00"],"tue":["09:00","17:00"],"wed":["09:00","17:00"],"thu":["09:00","17:00"],"fri":["09:00","17:00"]}"#;

    #[test]
    fn a_week_across_berlins_clock_change_asks_at_nine_local_every_working_day() {
        // Europe/Berlin leaves summer time on Sunday 25 October 2026 (03:00 CEST → 02:00 CET).
        let berlin = person("Europe/Berlin", WEEKDAYS_9_TO_5);
        let checkin = standup(AskAt::Start);
        let asked: Vec<Option<DateTime<Utc>>> = date("2026-10-22")
            .iter_days()
            .take(7)
            .map(|day| checkin.ask_time(&berlin, day))
            .collect();
        assert_eq!(
            asked,
            vec![
                Some(utc("2026-10-22T07:00:00Z")), // Thu, CEST (UTC+2)
                Some(utc("2026-10-23T07:00:00Z")), // Fri
                None,                              // Sat: a day off
                None,                              // Sun: a day off (and the change)
                Some(utc("2026-10-26T08:00:00Z")), // Mon, CET (UTC+1): still 09:00 local
                Some(utc("2026-10-27T08:00:00Z")),
                Some(utc("2026-10-28T08:00:00Z")),
            ]
        );
    }

    #[test]
    fn kolkatas_half_hour_offset_and_a_time_of_day() {
        let kolkata = person("Asia/Kolkata", WEEKDAYS_9_TO_5);
        let at_ten = standup(AskAt::Time(NaiveTime::from_hms_opt(10, 0, 0).unwrap()));
        // 10:00 IST is 04:30 UTC.
        assert_eq!(
            at_ten.ask_time(&kolkata, date("2026-12-07")),
            Some(utc("2026-12-07T04:30:00Z"))
        );
        assert_eq!(
            standup(AskAt::Start).ask_time(&kolkata, date("2026-12-07")),
            Some(utc("2026-12-07T03:30:00Z"))
        );
        // A time of day is still never on a day off.
        assert_eq!(at_ten.ask_time(&kolkata, date("2026-12-06")), None);
    }

    #[test]
    fn a_day_the_checkin_does_not_run_and_a_person_away_are_not_asked() {
        let manila = person("Asia/Manila", WEEKDAYS_9_TO_5);
        let mut checkin = standup(AskAt::Start);
        checkin.days = vec![Weekday::Mon, Weekday::Wed, Weekday::Fri];
        assert_eq!(checkin.ask_time(&manila, date("2026-12-08")), None, "Tuesday");
        assert_eq!(
            checkin.ask_time(&manila, date("2026-12-09")),
            Some(utc("2026-12-09T01:00:00Z")),
            "Wednesday, 09:00 in Manila"
        );
        let away = User {
            away_until: Some(date("2026-12-09")),
            ..manila
        };
        assert!(away.is_away_on(date("2026-12-09")), "away through Wednesday");
        assert!(!away.is_away_on(date("2026-12-10")));
    }

    #[test]
    fn a_round_holds_each_persons_ask_that_falls_on_its_date_in_the_checkins_zone() {
        // The check-in's zone is Berlin. Manila's Tuesday 09:00 is Tuesday 02:00 in Berlin;
        // São Paulo's Tuesday 09:00 is Tuesday 13:00 there; Auckland's Tuesday 09:00 is
        // Monday 21:00 in Berlin, so Monday's round holds it.
        let checkin = standup(AskAt::Start);
        let tuesday = date("2026-12-08");
        let manila = person("Asia/Manila", WEEKDAYS_9_TO_5);
        let sao_paulo = person("America/Sao_Paulo", WEEKDAYS_9_TO_5);
        let auckland = person("Pacific/Auckland", WEEKDAYS_9_TO_5);
        assert_eq!(
            checkin.ask_in_round(&manila, tuesday),
            Some((tuesday, utc("2026-12-08T01:00:00Z")))
        );
        assert_eq!(
            checkin.ask_in_round(&sao_paulo, tuesday),
            Some((tuesday, utc("2026-12-08T12:00:00Z")))
        );
        assert_eq!(
            checkin.ask_in_round(&auckland, date("2026-12-07")),
            Some((tuesday, utc("2026-12-07T20:00:00Z")))
        );
        // …and Tuesday's round holds Auckland's Wednesday.
        assert_eq!(
            checkin.ask_in_round(&auckland, tuesday),
            Some((date("2026-12-09"), utc("2026-12-08T20:00:00Z")))
        );
    }

    #[test]
    fn a_time_inside_a_spring_forward_gap_is_the_first_instant_after_it() {
        // São Paulo keeps no DST any more; New York springs forward on 8 March 2026 at 02:00.
        let new_york = person("America/New_York", r#"{"sun":["02:30","04:00"]}"#);
        assert_eq!(
            standup(AskAt::Start).ask_time(&new_york, date("2026-03-08")),
            Some(utc("2026-03-08T07:00:00Z")),
            "02:30 does not exist that day: 03:00 EDT"
        );
        let sao_paulo = person("America/Sao_Paulo", WEEKDAYS_9_TO_5);
        assert_eq!(
            standup(AskAt::Start).ask_time(&sao_paulo, date("2026-12-07")),
            Some(utc("2026-12-07T12:00:00Z"))
        );
    }

    #[test]
    fn ask_at_reads_start_and_a_time_and_nothing_else() {
        assert_eq!(AskAt::parse("start"), Some(AskAt::Start));
        assert_eq!(
            AskAt::parse("09:30"),
            Some(AskAt::Time(NaiveTime::from_hms_opt(9, 30, 0).unwrap()))
        );
        assert_eq!(AskAt::parse("9.30"), None);
        assert_eq!(AskAt::parse("25:00"), None);
        assert_eq!(
            AskAt::Time(NaiveTime::from_hms_opt(7, 5, 0).unwrap()).to_string(),
            "07:05"
        );
    }
}
