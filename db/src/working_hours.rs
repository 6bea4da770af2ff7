//! When people work: each member's hours per weekday, start–end in their own time zone, and
//! the hours a whole team shares on a day, in whoever is looking's time. Daylight-saving
//! changes and half-hour zones are the time zone database's business (`chrono-tz`): hours are
//! kept as local wall-clock times and turned into instants only for the day in question.
//!
//! Like `domain`, this imports nothing else of the server.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The weekdays in order, with their keys in JSON and forms.
pub const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

/// One day's hours: from `start` until `end`, local time. An `end` at or before `start` is on
/// the next day — a night shift, `22:00`–`06:00`; the same time twice is a whole day round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Span {
    /// Whether it ends on the day after it starts.
    pub fn is_overnight(&self) -> bool {
        self.end <= self.start
    }

    /// The local wall-clock times it covers when it starts on `day`.
    fn on_day(&self, day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
        let end_day = if self.is_overnight() {
            day + Duration::days(1)
        } else {
            day
        };
        (day.and_time(self.start), end_day.and_time(self.end))
    }
}

/// A member's working hours, per weekday (a day off has none). Written as
/// `{"mon": ["09:00", "17:30"], …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    days: [Option<Span>; 7],
}

/// `{"mon": ["09:00", "17:30"], …}`: each weekday with hours, its start and end.
impl utoipa::PartialSchema for WorkingHours {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
        let time = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))
            .build();
        let span = ArrayBuilder::new()
            .items(time)
            .min_items(Some(2))
            .max_items(Some(2))
            .build();
        let mut days = ObjectBuilder::new().description(Some(
            "Each working weekday (mon … sun) with its start and end, HH:MM in the member's time zone; \
             days off are left out. An end at or before the start is on the next day (a night shift, \
             [\"22:00\", \"06:00\"]); the same time twice is the whole day round.",
        ));
        for (_, name) in DAYS {
            days = days.property(name, span.clone());
        }
        days = days.additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(days.build()))
    }
}

impl utoipa::ToSchema for WorkingHours {}

/// Why hours were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HoursError {
    #[error("{0:?} is not a weekday (mon, tue, wed, thu, fri, sat, sun)")]
    Day(String),
    #[error("{0:?} is not a time of day (HH:MM)")]
    Time(String),
}

impl Default for WorkingHours {
    /// Monday to Friday, 09:00–17:00.
    fn default() -> Self {
        let office = Span {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        };
        let mut days = [None; 7];
        for day in days.iter_mut().take(5) {
            *day = Some(office);
        }
        Self { days }
    }
}

impl WorkingHours {
    /// From `{"mon": ["09:00", "17:30"], …}` pairs; days left out are days off.
    pub fn from_pairs(pairs: &BTreeMap<String, (String, String)>) -> Result<Self, HoursError> {
        let mut days = [None; 7];
        for (name, (start, end)) in pairs {
            let index = DAYS
                .iter()
                .position(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| HoursError::Day(name.clone()))?;
            days[index] = Some(Span {
                start: parse_time(start)?,
                end: parse_time(end)?,
            });
        }
        Ok(Self { days })
    }

    /// The hours on `day`, if it is a working day.
    pub fn on(&self, day: Weekday) -> Option<Span> {
        self.days[day.num_days_from_monday() as usize]
    }

    /// Whether `at` falls inside these hours, kept in `zone`.
    pub fn is_inside(&self, at: DateTime<Utc>, zone: Tz) -> bool {
        let today = at.with_timezone(&zone).date_naive();
        // Yesterday's night shift may still be on; a span that crossed a clock change still
        // holds on its own local day.
        self.intervals(zone, today - Duration::days(1), today)
            .iter()
            .any(|(from, to)| *from <= at && at < *to)
    }

    /// When something held for these hours may go out: `at` itself when it falls inside them,
    /// else the start of the next span (looking a week ahead). `None` without working days.
    pub fn next_start(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let today = at.with_timezone(&zone).date_naive();
        self.intervals(zone, today - Duration::days(1), today + Duration::days(8))
            .into_iter()
            .find_map(|(from, to)| match (from <= at, at < to) {
                (true, true) => Some(at),
                (false, _) => Some(from),
                (true, false) => None,
            })
    }

    /// The start of the next working day after `at` (a digest's time): the first span that
    /// begins after it. `None` without working days.
    pub fn next_day_start(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let today = at.with_timezone(&zone).date_naive();
        self.intervals(zone, today, today + Duration::days(8))
            .into_iter()
            .map(|(from, _)| from)
            .find(|from| *from > at)
    }

    /// The instants covered by the spans that start on the local days `first..=last` in
    /// `zone`, in order; a night shift running into the next day's hours makes one interval.
    pub fn intervals(&self, zone: Tz, first: NaiveDate, last: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        for day in first.iter_days().take_while(|day| *day <= last) {
            let Some(span) = self.on(day.weekday()) else {
                continue;
            };
            let (start, end) = span.on_day(day);
            let (from, to) = (instant(zone, start), instant(zone, end));
            if from >= to {
                continue;
            }
            match merged.last_mut() {
                Some((_, until)) if from <= *until => *until = (*until).max(to),
                _ => merged.push((from, to)),
            }
        }
        merged
    }

    /// As JSON pairs, days off left out.
    fn pairs(&self) -> BTreeMap<&'static str, [String; 2]> {
        DAYS.iter()
            .zip(&self.days)
            .filter_map(|((_, name), span)| {
                span.map(|s| {
                    (
                        *name,
                        [s.start.format("%H:%M").to_string(), s.end.format("%H:%M").to_string()],
                    )
                })
            })
            .collect()
    }
}

impl fmt::Display for WorkingHours {
    /// `mon 09:00–17:00, tue …`, in weekday order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for ((_, name), span) in DAYS.iter().zip(&self.days) {
            if let Some(span) = span {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                write!(f, "{name} {}–{}", span.start.format("%H:%M"), span.end.format("%H:%M"))?;
                if span.is_overnight() {
                    f.write_str(" (next day)")?;
                }
            }
        }
        if first {
            f.write_str("no working days")?;
        }
        Ok(())
    }
}

impl Serialize for WorkingHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.pairs().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WorkingHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = BTreeMap::<String, (String, String)>::deserialize(deserializer)?;
        Self::from_pairs(&pairs).map_err(D::Error::custom)
    }
}

/// `HH:MM` (or `24:00`, the end of the day).
fn parse_time(text: &str) -> Result<NaiveTime, HoursError> {
    let text = text.trim();
    if text == "24:00" {
        return NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).ok_or_else(|| HoursError::Time(text.into()));
    }
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| HoursError::Time(text.into()))
}

/// The instant a local wall-clock time names in `zone`: the earlier one when the clock went
/// back over it, and the first instant after the gap when the clock jumped over it.
pub fn instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours long; walk out of it a quarter hour at a time.
            (1..=16)
                .find_map(|quarters| {
                    zone.from_local_datetime(&(local + Duration::minutes(15 * quarters)))
                        .earliest()
                })
                .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
        }
    }
}

/// The hours on `day` (a date in `view`, the zone of whoever is looking) when every one of
/// `members` is inside their working hours: the instants, in order.
pub fn shared_hours(members: &[(&WorkingHours, Tz)], view: Tz, day: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let (window_start, window_end) = day_bounds(view, day);
    let mut shared = vec![(window_start, window_end)];
    for (hours, zone) in members {
        // The viewer's day can touch the member's previous and next local days, and a night
        // shift begun the day before that.
        let (from, to) = (
            window_start.with_timezone(zone).date_naive() - Duration::days(1),
            window_end.with_timezone(zone).date_naive(),
        );
        let theirs = hours.intervals(*zone, from, to);
        shared = intersect(&shared, &theirs);
        if shared.is_empty() {
            break;
        }
    }
    shared
}

/// The first instant of `day` in `zone` and the first of the next (23 to 25 hours apart).
pub fn day_bounds(zone: Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        instant(zone, day.and_time(NaiveTime::MIN)),
        instant(zone, (day + Duration::days(1)).and_time(NaiveTime::MIN)),
    )
}

/// Where two sorted lists of disjoint intervals overlap.
fn intersect(
    a: &[(DateTime<Utc>, DateTime<Utc>)],
    b: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    for (a_from, a_to) in a {
        for (b_from, b_to) in b {
            let (from, to) = ((*a_from).max(*b_from), (*a_to).min(*b_to));
            if from < to {
                out.push((from, to));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hours(json: &str) -> WorkingHours {
        serde_json::from_str(json).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn nine_to_five() -> WorkingHours {
        WorkingHours::default()
    }

    /// The shared hours as local `HH:MM–HH:MM` in `view`.
    fn shared_local(members: &[(&WorkingHours, Tz)], view: Tz, day: &str) -> Vec<String> {
        shared_hours(members, view, date(day))
            .iter()
            .map(|(from, to)| {
                format!(
                    "{}–{}",
                    from.with_timezone(&view).format("%H:%M"),
                    to.with_timezone(&view).format("%H:%M")
                )
            })
            .collect()
    }

    #[test]
    fn hours_read_and_write_as_weekday_pairs() {
        let h = hours(r#"{"mon": ["09:00", "17:30"], "fri": ["08:00", "12:00"]}"#);
        assert_eq!(
            serde_json::to_value(&h).unwrap(),
            serde_json::json!({"mon": ["09:00", "17:30"], "fri": ["08:00", "12:00"]})
        );
        assert_eq!(h.to_string(), "mon 09:00–17:30, fri 08:00–12:00");
        assert_eq!(h.on(Weekday::Tue), None);
        let bad = |json: &str| serde_json::from_str::<WorkingHours>(json).unwrap_err().to_string();
        assert!(bad(r#"{"someday": ["09:00", "17:00"]}"#).contains("not a weekday"));
        assert!(bad(r#"{"mon": ["9am", "17:00"]}"#).contains("not a time of day"));
        assert!(bad(r#"{"mon": ["25:00", "09:00"]}"#).contains("not a time of day"));
    }

    #[test]
    fn new_york_and_berlin_share_more_in_the_weeks_their_clocks_differ() {
        let (ny, berlin) = (chrono_tz::America::New_York, chrono_tz::Europe::Berlin);
        let both = nine_to_five();
        let team = [(&both, ny), (&both, berlin)];
        // 16 March 2026: New York is on summer time since the 8th, Berlin not until the 29th:
        // five hours apart instead of six.
        assert_eq!(shared_local(&team, berlin, "2026-03-16"), ["14:00–17:00"]);
        assert_eq!(shared_local(&team, ny, "2026-03-16"), ["09:00–12:00"]);
        // 13 April: both on summer time, six hours apart again.
        assert_eq!(shared_local(&team, berlin, "2026-04-13"), ["15:00–17:00"]);
        // Autumn: Berlin back on the 25th of October, New York only on 1 November.
        assert_eq!(shared_local(&team, berlin, "2026-10-26"), ["14:00–17:00"]);
        assert_eq!(shared_local(&team, berlin, "2026-11-02"), ["15:00–17:00"]);
        // A Saturday: nobody works.
        assert!(shared_local(&team, berlin, "2026-03-14").is_empty());
    }

    #[test]
    fn inside_follows_the_local_clock_across_a_change() {
        let berlin = chrono_tz::Europe::Berlin;
        let h = nine_to_five();
        // Monday 30 March 2026, the day after Berlin's clocks went forward (UTC+2).
        assert!(!h.is_inside(utc("2026-03-30T06:59:00Z"), berlin)); // 08:59
        assert!(h.is_inside(utc("2026-03-30T07:00:00Z"), berlin)); // 09:00
        assert!(!h.is_inside(utc("2026-03-30T15:00:00Z"), berlin)); // 17:00
        // Friday 27 March, the week before (UTC+1).
        assert!(!h.is_inside(utc("2026-03-27T07:30:00Z"), berlin)); // 08:30
        assert!(h.is_inside(utc("2026-03-27T15:30:00Z"), berlin)); // 16:30
    }

    #[test]
    fn a_day_that_starts_in_a_clock_gap_starts_after_it() {
        // Hours from 02:30 on the Sunday Berlin jumps from 02:00 to 03:00.
        let h = hours(r#"{"sun": ["02:30", "04:00"]}"#);
        let berlin = chrono_tz::Europe::Berlin;
        let spans = h.intervals(berlin, date("2026-03-29"), date("2026-03-29"));
        assert_eq!(spans, [(utc("2026-03-29T01:00:00Z"), utc("2026-03-29T02:00:00Z"))]);
    }

    #[test]
    fn held_messages_go_out_when_the_recipients_hours_begin() {
        let manila = chrono_tz::Asia::Manila;
        let h = nine_to_five();
        // Monday 9 February 2026, 08:59 in Manila (UTC+8): a minute before the day begins.
        assert_eq!(
            h.next_start(utc("2026-02-09T00:59:00Z"), manila),
            Some(utc("2026-02-09T01:00:00Z"))
        );
        // Inside the hours: at once.
        assert_eq!(
            h.next_start(utc("2026-02-09T03:00:00Z"), manila),
            Some(utc("2026-02-09T03:00:00Z"))
        );
        // Friday evening: Monday morning.
        assert_eq!(
            h.next_start(utc("2026-02-13T10:00:00Z"), manila),
            Some(utc("2026-02-16T01:00:00Z"))
        );
        // A digest is the next day's start, even from inside today's hours.
        assert_eq!(
            h.next_day_start(utc("2026-02-09T03:00:00Z"), manila),
            Some(utc("2026-02-10T01:00:00Z"))
        );
        assert_eq!(
            h.next_day_start(utc("2026-02-09T00:00:00Z"), manila),
            Some(utc("2026-02-09T01:00:00Z"))
        );
        // No working days: nothing to wait for.
        let never = hours("{}");
        assert_eq!(never.next_start(utc("2026-02-09T03:00:00Z"), manila), None);
        assert_eq!(never.next_day_start(utc("2026-02-09T03:00:00Z"), manila), None);
    }

    #[test]
    fn a_night_shift_ends_on_the_next_day() {
        // Manila's support desk works Monday to Friday nights, 22:00–06:00 (UTC+8).
        let manila = chrono_tz::Asia::Manila;
        let nights = hours(
            r#"{"mon": ["22:00", "06:00"], "tue": ["22:00", "06:00"], "wed": ["22:00", "06:00"],
                "thu": ["22:00", "06:00"], "fri": ["22:00", "06:00"]}"#,
        );
        assert!(nights.on(Weekday::Mon).unwrap().is_overnight());
        assert_eq!(
            nights.to_string().split(", ").next(),
            Some("mon 22:00–06:00 (next day)")
        );
        // Tuesday 03:00 is Monday's shift; Saturday 05:59 is Friday's, Saturday 06:00 is off.
        assert!(nights.is_inside(utc("2026-02-09T19:00:00Z"), manila)); // Tue 03:00
        assert!(!nights.is_inside(utc("2026-02-09T12:00:00Z"), manila)); // Mon 20:00
        assert!(nights.is_inside(utc("2026-02-13T21:59:00Z"), manila)); // Sat 05:59
        assert!(!nights.is_inside(utc("2026-02-13T22:00:00Z"), manila)); // Sat 06:00
        // Held on Saturday morning: out on Monday night.
        assert_eq!(
            nights.next_start(utc("2026-02-13T23:00:00Z"), manila),
            Some(utc("2026-02-16T14:00:00Z"))
        );
        // Mailed inside the shift after midnight: at once.
        assert_eq!(
            nights.next_start(utc("2026-02-10T20:00:00Z"), manila),
            Some(utc("2026-02-10T20:00:00Z"))
        );
        // In Karachi (UTC+5) on Tuesday 10 February: the end of Monday's shift, which began
        // the day before in Manila too, and the start of Tuesday's.
        assert_eq!(
            shared_local(&[(&nights, manila)], chrono_tz::Asia::Karachi, "2026-02-10"),
            ["00:00–03:00", "19:00–00:00"]
        );
    }

    #[test]
    fn the_same_time_twice_is_a_whole_day_round() {
        let always = hours(r#"{"sat": ["08:00", "08:00"]}"#);
        let utc_zone = chrono_tz::UTC;
        // Saturday 14 February 2026 08:00 until Sunday 08:00.
        assert!(always.is_inside(utc("2026-02-15T07:59:00Z"), utc_zone));
        assert!(!always.is_inside(utc("2026-02-15T08:00:00Z"), utc_zone));
        assert!(!always.is_inside(utc("2026-02-14T07:59:00Z"), utc_zone));
    }

    #[test]
    fn held_messages_follow_clock_changes_and_half_hour_zones() {
        // Friday 27 March 2026, 18:00 in Berlin (UTC+1); the clocks go forward on Sunday, so
        // Monday 09:00 is 07:00 UTC, not 08:00.
        let berlin = chrono_tz::Europe::Berlin;
        let h = nine_to_five();
        assert_eq!(
            h.next_start(utc("2026-03-27T17:00:00Z"), berlin),
            Some(utc("2026-03-30T07:00:00Z"))
        );
        // New York goes back on 1 November 2026: Monday 09:00 is 14:00 UTC, the Friday before
        // 13:00 UTC.
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            h.next_start(utc("2026-10-30T12:00:00Z"), ny),
            Some(utc("2026-10-30T13:00:00Z"))
        );
        assert_eq!(
            h.next_start(utc("2026-10-30T22:00:00Z"), ny),
            Some(utc("2026-11-02T14:00:00Z"))
        );
        // Kolkata (UTC+5:30): 09:00 is 03:30 UTC.
        let kolkata = chrono_tz::Asia::Kolkata;
        assert_eq!(
            h.next_start(utc("2026-01-12T00:00:00Z"), kolkata),
            Some(utc("2026-01-12T03:30:00Z"))
        );
        // 20:00 UTC on Monday is already 01:30 on Tuesday in Kolkata: Tuesday's 09:00.
        assert_eq!(
            h.next_start(utc("2026-01-12T20:00:00Z"), kolkata),
            Some(utc("2026-01-13T03:30:00Z"))
        );
    }

    #[test]
    fn half_hour_zones_line_up_on_the_half_hour() {
        let (kolkata, berlin) = (chrono_tz::Asia::Kolkata, chrono_tz::Europe::Berlin);
        let india = hours(r#"{"mon": ["09:00", "17:30"]}"#);
        let germany = nine_to_five();
        // January: Berlin UTC+1, Kolkata UTC+5:30.
        let team = [(&india, kolkata), (&germany, berlin)];
        assert_eq!(shared_local(&team, kolkata, "2026-01-12"), ["13:30–17:30"]);
        assert_eq!(shared_local(&team, berlin, "2026-01-12"), ["09:00–13:00"]);
        assert!(india.is_inside(utc("2026-01-12T03:30:00Z"), kolkata));
        assert!(!india.is_inside(utc("2026-01-12T03:29:00Z"), kolkata));
    }

    #[test]
    fn berlin_manila_and_sao_paulo_meet_when_their_hours_overlap() {
        let (berlin, manila, sao_paulo) = (
            chrono_tz::Europe::Berlin,
            chrono_tz::Asia::Manila,
            chrono_tz::America::Sao_Paulo,
        );
        let office = nine_to_five();
        // Nine to five everywhere: no hour all three share.
        let team = [(&office, berlin), (&office, manila), (&office, sao_paulo)];
        assert!(shared_local(&team, berlin, "2026-02-09").is_empty());
        // Manila works late, São Paulo early: 10:00–14:00 UTC.
        let late = hours(r#"{"mon": ["14:00", "22:00"]}"#);
        let early = hours(r#"{"mon": ["07:00", "15:00"]}"#);
        let team = [(&office, berlin), (&late, manila), (&early, sao_paulo)];
        assert_eq!(shared_local(&team, berlin, "2026-02-09"), ["11:00–15:00"]);
        assert_eq!(shared_local(&team, manila, "2026-02-09"), ["18:00–22:00"]);
        assert_eq!(shared_local(&team, sao_paulo, "2026-02-09"), ["07:00–11:00"]);
    }
}
