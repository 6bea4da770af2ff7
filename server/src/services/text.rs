//! One rule for the short text people give the server — titles, names, questions: no control
//! characters. A line break or a NUL in a title has nowhere to go (a mail header, a page's
//! heading, a terminal) but somewhere it should not.

use crate::error::{AppError, AppResult};

/// `text` if it holds no control character; a 400 naming `what` otherwise.
pub fn single_line(text: &str, what: &str) -> AppResult<String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(AppError::BadRequest(format!(
            "the {what} holds a control character (U+{:04X})",
            u32::from(c)
        ))),
        None => Ok(text.to_owned()),
    }
}

/// A line as [`line`] reads it, described for the API: 1–`MAX` characters (counted as JSON
/// Schema counts them, by code point), one of them not blank, none a control character
/// (Unicode's Cc: U+0000–U+001F, U+007F–U+009F).
pub fn line_schema<const MAX: usize>() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX))
        .pattern(Some(LINE_PATTERN))
        .build()
}

/// The same, or `null` (an optional field: what is left out, or `null`, stays as it is).
pub fn line_or_null_schema<const MAX: usize>() -> utoipa::openapi::schema::Object {
    crate::services::formats::object_or_null(line_schema::<MAX>())
}

/// Control characters nowhere, something other than blanks somewhere (as `str::trim` sees
/// blanks: Unicode's White_Space).
const LINE_PATTERN: &str =
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";

/// `text` trimmed, if it is a line of 1–`max` characters with no control character; a 400
/// naming `what` otherwise.
pub fn line(text: &str, what: &str, max: usize) -> AppResult<String> {
    let text = single_line(text.trim(), what)?;
    if text.is_empty() || text.chars().count() > max {
        return Err(AppError::BadRequest(format!(
            "the {what} must be 1 to {max} characters"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            single_line("Stand-up · Mon", "title").ok().as_deref(),
            Some("Stand-up · Mon")
        );
        for bad in [
            "a\r\nBcc: x",
            "tab\there",
            "nul\0",
            "bell\u{7}",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(single_line(bad, "title").is_err(), "{bad:?}");
        }
    }
}
