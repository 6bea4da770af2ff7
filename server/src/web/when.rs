//! One way to write a moment, on every page: "25 Nov 2026, 09:14", in the viewer's zone (or,
//! where it matters, the author's beside it).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};

const FORMAT: &str = "%-d %b %Y, %H:%M";

/// A timestamp that carries its own offset, written as it reads there.
pub fn pretty_local(text: &str) -> String {
    DateTime::parse_from_rfc3339(text).map_or_else(|_| text.to_owned(), |t| t.format(FORMAT).to_string())
}

/// The recording time in the author's zone, e.g. "25 Nov 2026, 09:14 (Europe/Berlin)".
pub fn author_local(utc: &str, zone: Option<&str>) -> String {
    let Ok(instant) = DateTime::parse_from_rfc3339(utc) else {
        return utc.to_owned();
    };
    let tz: Tz = zone.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    let local = tz.from_utc_datetime(&instant.with_timezone(&Utc).naive_utc());
    format!("{} ({})", local.format(FORMAT), tz.name())
}

/// An instant in a signed-in viewer's zone (UTC for people not signed in), as text.
pub fn moment_in(at: DateTime<Utc>, viewer: Option<Tz>) -> String {
    at.with_timezone(&viewer.unwrap_or(chrono_tz::UTC))
        .format(FORMAT)
        .to_string()
}

/// `utc` in the viewer's zone, as a `<time>` element.
pub fn viewer_time(utc: &str, viewer: Tz) -> Markup {
    let shown = DateTime::parse_from_rfc3339(utc).map_or_else(
        |_| utc.to_owned(),
        |t| {
            viewer
                .from_utc_datetime(&t.with_timezone(&Utc).naive_utc())
                .format(FORMAT)
                .to_string()
        },
    );
    html! { time datetime=(utc) { (shown) } }
}

/// `utc` for whoever looks: in a signed-in viewer's zone; for someone not signed in, in UTC,
/// rewritten by the page's script into the browser's zone (`data-viewer`).
pub fn seen_time(utc: &str, viewer: Option<Tz>) -> Markup {
    match viewer {
        Some(zone) => viewer_time(utc, zone),
        None => {
            let shown = DateTime::parse_from_rfc3339(utc)
                .map_or_else(|_| utc.to_owned(), |t| format!("{} UTC", t.format(FORMAT)));
            html! { time data-viewer datetime=(utc) { (shown) } }
        }
    }
}
