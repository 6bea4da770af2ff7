//! Where a message asks for something or promises it: the sentences that can hold an action
//! item, and whose it is when the sentence says. The model only rewrites such a sentence as a
//! task; a message that asks and promises nothing has no action items, whatever a model says.

use crate::message::Line;

/// At most this many action items from one message.
pub const MAX_ITEMS: usize = 5;

/// Phrases that ask someone to do something.
const ASKS: &[&str] = &[
    "could you",
    "can you",
    "would you",
    "will you",
    "please",
    "i'd like you",
    "i would like you",
    "i would like each",
    "i'd like each",
    "make sure",
    "don't forget",
    "do not forget",
    "remember to",
    "need you to",
    "needs to",
    "let's",
    "let us",
];
/// Phrases that promise something.
const PROMISES: &[&str] = &[
    "i will ",
    "i'll ",
    "i am going to",
    "i'm going to",
    "i promise",
    "we will ",
    "we'll ",
];
/// Openings that are not someone's name ("So, could you …").
const NOT_NAMES: &[&str] = &[
    "So", "Also", "Now", "Okay", "Ok", "Well", "Good", "Hi", "Hello", "Thanks", "First", "Second", "Third", "Next",
    "Finally", "Lastly", "Then", "And", "But", "Yes", "No", "Oh", "Right", "Sure", "Please",
];

/// A sentence that asks or promises, and whose the task is when it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub sentence: String,
    pub owner: Option<String>,
}

/// The sentences of `lines` that ask for something or promise it, in order (at most
/// [`MAX_ITEMS`]); promises by "I" are `author`'s.
pub fn candidates(lines: &[Line], author: &str) -> Vec<Candidate> {
    let text = crate::message::join(lines);
    sentences(&text)
        .into_iter()
        .filter_map(|sentence| {
            let lower = format!("{} ", sentence.to_lowercase());
            let asks = ASKS.iter().any(|p| contains_phrase(&lower, p));
            let promises = PROMISES.iter().any(|p| contains_phrase(&lower, p));
            if !asks && !promises {
                return None;
            }
            let mine = ["i will ", "i'll ", "i am going to", "i'm going to", "i promise"]
                .iter()
                .any(|p| contains_phrase(&lower, p));
            let owner = addressee(&sentence).or_else(|| (mine && !asks).then(|| author.to_owned()));
            Some(Candidate { sentence, owner })
        })
        .take(MAX_ITEMS)
        .collect()
}

/// Whether `phrase` starts a word in `text`.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase)
        .any(|(at, _)| at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric()))
}

/// The sentences of a text, ended by `.`, `?` or `!`.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '.' | '?' | '!') {
            let sentence = current.trim().to_owned();
            if sentence.chars().filter(|c| c.is_alphabetic()).count() > 3 {
                out.push(sentence);
            }
            current.clear();
        }
    }
    let rest = current.trim();
    if rest.chars().filter(|c| c.is_alphabetic()).count() > 3 {
        out.push(rest.to_owned());
    }
    out
}

/// The person a sentence speaks to by name: "Manu, could you …" or "… by Friday, Sam?".
fn addressee(sentence: &str) -> Option<String> {
    let name = |word: &str| {
        let word = word.trim();
        let mut letters = word.chars();
        (letters.next().is_some_and(char::is_uppercase)
            && letters.all(|c| c.is_alphabetic() || c == '-' || c == '\'')
            && word.chars().count() > 1
            && !NOT_NAMES.contains(&word))
        .then(|| word.to_owned())
    };
    if let Some((first, _)) = sentence.split_once(',')
        && !first.contains(' ')
        && let Some(found) = name(first)
    {
        return Some(found);
    }
    let end = sentence.trim_end_matches(['.', '?', '!']);
    end.rsplit_once(", ")
        .and_then(|(_, last)| if last.contains(' ') { None } else { name(last) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            start_ms: 0,
            end_ms: 1_000,
            text: text.to_owned(),
        }
    }

    #[test]
    fn asks_and_promises_are_found_with_their_owners() {
        let lines = [
            line("First, the migration. The old servers will be switched off next week."),
            line("Manu, could you please check the backup jobs by Wednesday."),
            line(
                "Sam, please send the portfolio links to the panel today, and I will write the scoring sheet tonight.",
            ),
            line("I'll book the hotel. Can we vote on Friday, Tala?"),
            line("That is all from me."),
        ];
        let found = candidates(&lines, "Olive");
        let owners: Vec<Option<&str>> = found.iter().map(|c| c.owner.as_deref()).collect();
        assert_eq!(owners, [Some("Manu"), Some("Sam"), Some("Olive")], "{found:#?}");
        assert!(found[0].sentence.starts_with("Manu, could you"));
        assert_eq!(found[2].sentence, "I'll book the hotel.");
    }

    #[test]
    fn statements_hold_no_action_items() {
        let lines = [line(
            "The migration took six hours. Reads are twice as fast. The hotel will be near the river.",
        )];
        assert!(candidates(&lines, "Olive").is_empty());
    }

    #[test]
    fn phrases_start_words() {
        assert!(contains_phrase("could you check ", "could you"));
        assert!(!contains_phrase("unpleased people ", "please"));
    }
}
