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
