//! Turning what someone typed into a search box into an FTS5 query that cannot fail.
//!
//! FTS5 has its own syntax (AND/OR/NOT/NEAR, column filters, `^`, `*`, parentheses, quotes);
//! a stray quote or a bare `NEAR` is a syntax error. So nothing typed reaches FTS5 as syntax:
//! every term becomes a quoted string, and only two things keep their meaning: "a phrase in
//! quotes" and a `prefix*`. Terms are ANDed.

/// At most this many terms count; the rest are ignored.
const MAX_TERMS: usize = 16;

/// The FTS5 query for `input`, or `None` when it holds nothing searchable.
pub fn fts_query(input: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() && terms.len() < MAX_TERMS {
        if let Some(after_quote) = rest.strip_prefix('"') {
            // A phrase runs to the closing quote, or to the end if there is none.
            let (phrase, tail) = after_quote.split_once('"').unwrap_or((after_quote, ""));
            if let Some(term) = quoted(phrase, false) {
                terms.push(term);
            }
            rest = tail.trim_start();
        } else {
            let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
            let (word, tail) = rest.split_at(end);
            let prefix = word.ends_with('*');
            if let Some(term) = quoted(word, prefix) {
                terms.push(term);
            }
            rest = tail.trim_start();
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// `text` as an FTS5 string (inner quotes doubled), if it holds any letter or digit: the
/// tokenizer would find no token in anything else.
fn quoted(text: &str, prefix: bool) -> Option<String> {
    let text = text.trim().trim_end_matches('*');
    if !text.chars().any(char::is_alphanumeric) {
        return None;
    }
    let escaped = text.replace('"', "\"\"");
    Some(if prefix {
        format!("\"{escaped}\"*")
    } else {
        format!("\"{escaped}\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_anded() {
        assert_eq!(fts_query("budget Friday").as_deref(), Some(r#""budget" "Friday""#));
    }

    #[test]
    fn phrases_and_prefixes_keep_their_meaning() {
        assert_eq!(
            fts_query(r#""quarterly budget" thurs*"#).as_deref(),
            Some(r#""quarterly budget" "thurs"*"#)
        );
    }

    #[test]
    fn syntax_becomes_plain_text() {
        assert_eq!(fts_query("a NEAR b").as_deref(), Some(r#""a" "NEAR" "b""#));
        assert_eq!(
            fts_query(r#"budget" OR 1=1; --"#).as_deref(),
            Some(r#""budget" "OR 1=1; --""#)
        );
        assert_eq!(fts_query("title:x ^y (z)").as_deref(), Some(r#""title:x" "^y" "(z)""#));
    }

    #[test]
    fn nothing_searchable_is_none() {
        for input in ["", "   ", "*", "\"", "\"\"", "-- ;", "()"] {
            assert_eq!(fts_query(input), None, "{input:?}");
        }
    }

    #[test]
    fn unbalanced_quotes_and_non_ascii_are_fine() {
        assert_eq!(fts_query(r#""café crème"#).as_deref(), Some(r#""café crème""#));
        assert_eq!(fts_query("日本語").as_deref(), Some(r#""日本語""#));
    }

    #[test]
    fn terms_are_capped() {
        let many = "w ".repeat(100);
        assert_eq!(fts_query(&many).map(|q| q.matches('"').count()), Some(MAX_TERMS * 2));
    }
}
