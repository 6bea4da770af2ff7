//! The form fields everyone fills in about themselves — name, time zone, working hours per
//! weekday — shared by setting up, joining and the settings page, and how a posted form is
//! read back.

use std::collections::{BTreeMap, HashMap};

use maud::{Markup, html};

use crate::error::AppError;
use crate::services::invites::{Newcomer, Profile};
use db::domain::WorkingHours;
use db::working_hours::DAYS;

/// The fields everyone fills in about themselves: name, time zone (filled in from the browser
/// by `profile.js` when `guess_zone`), working hours per weekday.
pub(super) fn profile_fields(name: &str, zone: &str, hours: &WorkingHours, guess_zone: bool) -> Markup {
    html! {
        label { "Your name" input type="text" name="name" required maxlength="200" autocomplete="name" value=(name); }
        label {
            "Time zone"
            input type="text" name="time_zone" required list="zones" value=(zone) data-guess-zone[guess_zone];
        }
        datalist #zones { @for zone in chrono_tz::TZ_VARIANTS.iter() { option value=(zone.name()) {} } }
        fieldset.hours {
            legend { "Working hours, in your time" }
            @for (day, key) in DAYS {
                @let span = hours.on(day);
                div.day {
                    label.dayname { input type="checkbox" name={ "day_" (key) } checked[span.is_some()]; " " (day_label(key)) }
                    input type="time" name={ "start_" (key) } aria-label={ (day_label(key)) " from" }
                        value=(span.map_or("09:00".to_owned(), |s| s.start.format("%H:%M").to_string()));
                    " – "
                    input type="time" name={ "end_" (key) } aria-label={ (day_label(key)) " until" }
                        value=(span.map_or("17:00".to_owned(), |s| s.end.format("%H:%M").to_string()));
                }
            }
        }
    }
}

fn day_label(key: &str) -> &'static str {
    match key {
        "mon" => "Monday",
        "tue" => "Tuesday",
        "wed" => "Wednesday",
        "thu" => "Thursday",
        "fri" => "Friday",
        "sat" => "Saturday",
        _ => "Sunday",
    }
}

/// The working hours a form's `day_*`, `start_*` and `end_*` fields give.
fn hours_from_form(form: &HashMap<String, String>) -> Result<WorkingHours, AppError> {
    let mut pairs = BTreeMap::new();
    for (_, key) in DAYS {
        if form.contains_key(&format!("day_{key}")) {
            let field = |name: &str| form.get(&format!("{name}_{key}")).cloned().unwrap_or_default();
            pairs.insert(key.to_owned(), (field("start"), field("end")));
        }
    }
    WorkingHours::from_pairs(&pairs).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The hours a form was filled in with, or the default hours for a form not filled in yet.
pub(super) fn hours_filled(filled: &HashMap<String, String>) -> WorkingHours {
    if filled.is_empty() {
        WorkingHours::default()
    } else {
        hours_from_form(filled).unwrap_or_default()
    }
}

/// A verified newcomer's profile (single sign-on asks no email or password).
pub(super) fn profile_from_form(form: &HashMap<String, String>) -> Result<Profile, AppError> {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    Ok(Profile {
        name: field("name"),
        time_zone: field("time_zone"),
        working_hours: Some(hours_from_form(form)?),
    })
}

pub(super) fn newcomer_from_form(form: &HashMap<String, String>) -> Result<Newcomer, AppError> {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    Ok(Newcomer {
        name: field("name"),
        email: field("email"),
        password: field("password"),
        time_zone: field("time_zone"),
        working_hours: Some(hours_from_form(form)?),
    })
}
