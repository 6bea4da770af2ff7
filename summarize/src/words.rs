//! Words that carry meaning, and how much of one text another bears out — what keeps a
//! model's answer tied to the message it was asked about.

use std::collections::HashSet;

/// Words too common to say what a text is about.
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
    "doing", "done", "down", "during", "each", "even", "every", "few", "for", "from", "further", "get", "gets", "go",
    "going", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "let", "like", "me", "more", "most", "much", "my", "need", "no",
    "nor", "not", "now", "of", "off", "ok", "okay", "on", "once", "one", "only", "or", "other", "our", "ours", "out",
    "over", "own", "please", "really", "same", "say", "says", "she", "should", "so", "some", "still", "such", "than",
    "thank", "thanks", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "thing", "things",
    "this", "those", "through", "to", "today", "too", "under", "until", "up", "us", "very", "want", "was", "we",
    "well", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "yes",
    "yet", "you", "your", "yours", "team", "everyone", "good", "morning", "hi", "hello", "um", "uh", "yeah", "so",
    "know", "think", "see", "make", "made", "take", "put", "way", "two", "three", "first", "second", "third", "next",
    "last",
];

/// The meaningful words of `text`, lower-cased, in order (repeats kept).
pub fn content_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.chars().count() > 1 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// A crude stem, so "migration" and "migrations", "check" and "checked" meet.
fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "s"] {
        if let Some(root) = word.strip_suffix(suffix)
            && root.chars().count() >= 3
        {
            return root.to_owned();
        }
    }
    word.to_owned()
}

/// The share (0–1) of `claim`'s meaningful words that `source` contains; 0 for a claim without
/// any.
pub fn borne_out(claim: &str, source: &str) -> f64 {
    let known: HashSet<String> = content_words(source).into_iter().collect();
    let said = content_words(claim);
    if said.is_empty() {
        return 0.0;
    }
    said.iter().filter(|w| known.contains(*w)).count() as f64 / said.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaningful_words_leave_the_glue_out() {
        assert_eq!(
            content_words("Manu, could you please check the backup jobs by Wednesday?"),
            ["manu", "check", "backup", "job", "wednesday"]
        );
    }

    #[test]
    fn a_claim_is_borne_out_by_the_words_it_shares() {
        let source = "We finished moving the customer tables to the new cluster on Friday.";
        assert!((borne_out("The customer tables moved to a new cluster", source) - 1.0).abs() < 1e-9);
        assert!(borne_out("Lunch is at noon in Paris", source) < 0.01);
        assert_eq!(borne_out("and the", source), 0.0);
    }
}
