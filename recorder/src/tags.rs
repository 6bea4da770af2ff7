//! The OpusTags comments the recorder writes.

use chrono::{DateTime, Local, SecondsFormat};
use media::OpusTags;

/// Vendor string: who wrote the stream.
pub fn vendor() -> String {
    format!("Offbeat recorder {}", env!("CARGO_PKG_VERSION"))
}

/// Tags for a live recording: its title and when it started, in local time with the UTC offset
/// (so a reader in another time zone knows both the instant and the author's wall clock).
pub fn for_recording(title: Option<&str>) -> OpusTags {
    with_date(title, Local::now())
}

pub fn with_date(title: Option<&str>, recorded_at: DateTime<Local>) -> OpusTags {
    let tags = OpusTags::new(vendor()).with("DATE", recorded_at.to_rfc3339_opts(SecondsFormat::Secs, false));
    match title {
        Some(title) => tags.with("TITLE", title),
        None => tags,
    }
}
