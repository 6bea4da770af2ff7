//! What the server does, between HTTP and the database: the JSON routes and the HTML pages are
//! thin adapters over these functions and render the typed views they return.

pub mod accounts;
pub mod cards;
pub mod checkins;
pub mod clips;
pub mod formats;
pub mod invites;
pub mod links;
pub mod message;
pub mod notifications;
pub mod reactions;
pub mod recorder_grants;
pub mod search;
pub mod sharing;
pub mod single_sign_on;
pub mod summaries;
pub mod team;
pub mod text;
pub mod threads;
pub mod transcripts;
pub mod trims;
pub mod uploads;
pub mod whole_numbers;

use chrono::{DateTime, SecondsFormat, TimeZone};

/// An instant as RFC 3339 to the second in its own offset (`Z` for UTC): how views write the
/// times the API has always written so (a thread's messages, a recording's local time).
pub(crate) fn in_seconds<S: serde::Serializer, Tz: TimeZone>(at: &DateTime<Tz>, s: S) -> Result<S::Ok, S::Error>
where
    Tz::Offset: std::fmt::Display,
{
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// [`in_seconds`], or `null`.
pub(crate) fn maybe_in_seconds<S: serde::Serializer, Tz: TimeZone>(
    at: &Option<DateTime<Tz>>,
    s: S,
) -> Result<S::Ok, S::Error>
where
    Tz::Offset: std::fmt::Display,
{
    match at {
        Some(at) => in_seconds(at, s),
        None => s.serialize_none(),
    }
}
