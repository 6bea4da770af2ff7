//! One way to write a moment, on every page: "25 Nov 2026, 09:14", in the viewer's zone (or,
//! where it matters, the author's beside it). Moments come in as instants, never as text.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};

const FORMAT: &str = "%-d %b %Y, %H:%M";

/// An instant as it read where it happened (its own offset).
pub fn pretty_local(at: DateTime<FixedOffset>) -> String {
    at.format(FORMAT).to_string()
}

/// An instant in the author's zone, e.g. "25 Nov 2026, 09:14 (Europe/Berlin)".
pub fn author_local(at: DateTime<Utc>, zone: Option<&str>) -> String {
    let tz: Tz = zone.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    format!("{} ({})", at.with_timezone(&tz).format(FORMAT), tz.name())
}

/// An instant in a signed-in viewer's zone (UTC for people not signed in), as text.
pub fn moment_in(at: DateTime<Utc>, viewer: Option<Tz>) -> String {
    at.with_timezone(&viewer.unwrap_or(chrono_tz::UTC))
        .format(FORMAT)
        .to_string()
}

/// An instant in the viewer's zone, as a `<time>` element.
pub fn viewer_time(at: DateTime<Utc>, viewer: Tz) -> Markup {
    html! { time datetime=(machine(at)) { (moment_in(at, Some(viewer))) } }
}

/// An instant for whoever looks: in a signed-in viewer's zone; for someone not signed in, in
/// UTC, rewritten by the page's script into the browser's zone (`data-viewer`).
pub fn seen_time(at: DateTime<Utc>, viewer: Option<Tz>) -> Markup {
    match viewer {
        Some(zone) => viewer_time(at, zone),
        None => html! { time data-viewer datetime=(machine(at)) { (moment_in(at, None)) " UTC" } },
    }
}

/// A round's day (`YYYY-MM-DD`) as a heading says it: "Monday 7 December 2026".
pub fn long_day(date: &str) -> String {
    day_as(date, "%A %-d %B %Y")
}

/// A round's day as a card says it: "Mon 7 Dec 2026".
pub fn short_day(date: &str) -> String {
    day_as(date, "%a %-d %b %Y")
}

fn day_as(date: &str, format: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_or_else(|_| date.to_owned(), |d| d.format(format).to_string())
}

/// The `datetime` attribute's form.
fn machine(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_out() {
        assert_eq!(long_day("2026-12-07"), "Monday 7 December 2026");
        assert_eq!(short_day("2026-12-07"), "Mon 7 Dec 2026");
        assert_eq!(short_day("not a day"), "not a day");
    }
}
