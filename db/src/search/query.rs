//! What someone typed into a search box, read as a query that no engine's syntax can see.
//!
//! Full-text engines have their own syntax (FTS5's AND/OR/NOT/NEAR, column filters, `^`;
//! PostgreSQL's `&`, `|`, `!`, `<->`); a stray quote or a bare operator is a syntax error there.
//! So nothing typed is syntax: only two things keep their meaning, "a phrase in quotes" and a
//! `prefix*`; everything else is a word, and all terms must match. Each backend writes the
//! terms in its own syntax.

/// At most this many terms count; the rest are ignored.
const MAX_TERMS: usize = 16;

/// A parsed query: at least one term, each holding a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Matches this word (or, with inner punctuation, these words in a row).
    Word(String),
    /// Matches these words in a row.
    Phrase(String),
    /// Matches a word starting with this.
    Prefix(String),
}

impl Term {
    /// The text to match, whatever kind of term it is.
    pub fn text(&self) -> &str {
        match self {
            Term::Word(text) | Term::Phrase(text) | Term::Prefix(text) => text,
        }
    }
}

impl SearchQuery {
    /// The query in `input`, or `None` when it holds nothing searchable.
    pub fn parse(input: &str) -> Option<Self> {
        // Control characters separate words; no engine sees them (PostgreSQL refuses a NUL).
        let input = input.replace(char::is_control, " ");
        let mut terms = Vec::new();
        let mut rest = input.trim();
        while !rest.is_empty() && terms.len() < MAX_TERMS {
            if let Some(after_quote) = rest.strip_prefix('"') {
                // A phrase runs to the closing quote, or to the end if there is none.
                let (phrase, tail) = after_quote.split_once('"').unwrap_or((after_quote, ""));
                terms.extend(searchable(phrase).map(Term::Phrase));
                rest = tail.trim_start();
            } else {
                let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
                let (word, tail) = rest.split_at(end);
                let kind = if word.ends_with('*') { Term::Prefix } else { Term::Word };
                terms.extend(searchable(word.trim_end_matches('*')).map(kind));
                rest = tail.trim_start();
            }
        }
        (!terms.is_empty()).then_some(Self { terms })
    }
}

/// `text` trimmed, if it holds any letter or digit: a tokenizer finds no token in anything else.
fn searchable(text: &str) -> Option<String> {
    let text = text.trim();
    text.chars().any(char::is_alphanumeric).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(input: &str) -> Vec<Term> {
        SearchQuery::parse(input).map(|q| q.terms).unwrap_or_default()
    }

    fn word(text: &str) -> Term {
        Term::Word(text.into())
    }

    #[test]
    fn control_characters_separate_words() {
        assert_eq!(terms("abc\0"), [word("abc")]);
        assert_eq!(terms("budget\u{0}friday\r\n"), [word("budget"), word("friday")]);
        assert_eq!(terms("\0\u{7f}"), []);
    }

    #[test]
    fn words_are_terms() {
        assert_eq!(terms("budget  Friday"), [word("budget"), word("Friday")]);
    }

    #[test]
    fn phrases_and_prefixes_keep_their_meaning() {
        assert_eq!(
            terms(r#""quarterly budget" thurs*"#),
            [Term::Phrase("quarterly budget".into()), Term::Prefix("thurs".into())]
        );
    }

    #[test]
    fn syntax_is_plain_text() {
        assert_eq!(terms("a NEAR b"), [word("a"), word("NEAR"), word("b")]);
        assert_eq!(
            terms(r#"budget" OR 1=1; --"#),
            [word("budget"), Term::Phrase("OR 1=1; --".into())]
        );
        assert_eq!(terms("title:x ^y (z)"), [word("title:x"), word("^y"), word("(z)")]);
    }

    #[test]
    fn nothing_searchable_is_none() {
        for input in ["", "   ", "*", "\"", "\"\"", "-- ;", "()"] {
            assert_eq!(SearchQuery::parse(input), None, "{input:?}");
        }
    }

    #[test]
    fn unbalanced_quotes_and_non_ascii_are_fine() {
        assert_eq!(terms(r#""café crème"#), [Term::Phrase("café crème".into())]);
        assert_eq!(terms("日本語"), [word("日本語")]);
    }

    #[test]
    fn terms_are_capped() {
        assert_eq!(terms(&"w ".repeat(100)).len(), MAX_TERMS);
    }
}
