//! Where a message's topics begin: on the starts of transcript segments where the words used
//! before and after differ most (TextTiling's depth scores over windows of meaningful words),
//! helped by the cues speakers use to move on ("Second, …", "Next, …"). The model names the
//! chapters; it does not place them, so a chapter always starts where a segment does.

use std::collections::HashMap;

use crate::message::Line;
use crate::words::content_words;

/// Messages shorter than this have no chapters.
pub const MIN_MESSAGE_MS: u64 = 120_000;
/// No chapter is shorter than this.
const MIN_CHAPTER_MS: u64 = 25_000;
/// At most this many chapters.
const MAX_CHAPTERS: usize = 8;
/// Meaningful words compared on each side of a possible boundary.
const WINDOW_WORDS: usize = 30;
/// The least score a boundary needs, however flat the rest of the message is.
const MIN_SCORE: f64 = 0.3;
/// What a speaker's cue to a new topic adds to a boundary's score.
const CUE_BONUS: f64 = 0.5;
/// How a new topic is announced, at the start of a segment.
const CUES: &[&str] = &[
    "first",
    "second",
    "secondly",
    "third",
    "thirdly",
    "fourth",
    "next",
    "finally",
    "lastly",
    "another thing",
    "moving on",
    "on another note",
    "one more thing",
    "also,",
    "now,",
    "then,",
    "and finally",
    "the other thing",
    "the last thing",
    "the next thing",
    "last,",
    "other news",
];

/// The lines (indices into `lines`) where chapters start, the first being 0; empty for a
/// message under two minutes or one without a change of topic.
pub fn starts(lines: &[Line], duration_ms: u64) -> Vec<usize> {
    if duration_ms < MIN_MESSAGE_MS || lines.len() < 2 {
        return Vec::new();
    }
    let words: Vec<Vec<String>> = lines.iter().map(|l| content_words(&l.text)).collect();
    let similarity: Vec<f64> = (1..lines.len()).map(|gap| cohesion(&words, gap)).collect();
    let mut scored: Vec<(usize, f64)> = (1..lines.len())
        .map(|gap| {
            let depth = depth(&similarity, gap - 1);
            let cue = if has_cue(&lines[gap].text) { CUE_BONUS } else { 0.0 };
            (gap, depth + cue)
        })
        .collect();
    let threshold = threshold(&scored);
    scored.retain(|(_, score)| *score >= threshold.max(MIN_SCORE));
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let end_ms = duration_ms.max(lines.last().map_or(0, |l| l.end_ms));
    let mut chosen = vec![0usize];
    for (gap, _) in scored {
        if chosen.len() >= MAX_CHAPTERS {
            break;
        }
        let at = lines[gap].start_ms;
        let room = chosen.iter().all(|&c| lines[c].start_ms.abs_diff(at) >= MIN_CHAPTER_MS)
            && end_ms.saturating_sub(at) >= MIN_CHAPTER_MS
            && at >= MIN_CHAPTER_MS;
        if room {
            chosen.push(gap);
        }
    }
    chosen.sort_unstable();
    if chosen.len() < 2 { Vec::new() } else { chosen }
}

/// How alike the words just before and just after the boundary before line `gap` are (cosine).
fn cohesion(words: &[Vec<String>], gap: usize) -> f64 {
    let before = window(words[..gap].iter().rev());
    let after = window(words[gap..].iter());
    cosine(&before, &after)
}

/// Counts of the first `WINDOW_WORDS` meaningful words met, line by line.
fn window<'a>(lines: impl Iterator<Item = &'a Vec<String>>) -> HashMap<&'a str, f64> {
    let mut counts = HashMap::new();
    let mut taken = 0;
    for line in lines {
        for word in line {
            *counts.entry(word.as_str()).or_insert(0.0) += 1.0;
        }
        taken += line.len();
        if taken >= WINDOW_WORDS {
            break;
        }
    }
    counts
}

fn cosine(a: &HashMap<&str, f64>, b: &HashMap<&str, f64>) -> f64 {
    let dot: f64 = a.iter().filter_map(|(w, x)| b.get(w).map(|y| x * y)).sum();
    let norm = |m: &HashMap<&str, f64>| m.values().map(|x| x * x).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}

/// How far the similarity at `i` sinks below the peaks on either side of it.
fn depth(similarity: &[f64], i: usize) -> f64 {
    let here = similarity[i];
    let peak = |range: &mut dyn Iterator<Item = &f64>| {
        let mut best = here;
        for &s in range {
            if s < best {
                break;
            }
            best = s;
        }
        best
    };
    let left = peak(&mut similarity[..i].iter().rev());
    let right = peak(&mut similarity[i + 1..].iter());
    (left - here) + (right - here)
}

/// Scores worth a boundary: above the mean by half a standard deviation.
fn threshold(scored: &[(usize, f64)]) -> f64 {
    let n = scored.len().max(1) as f64;
    let mean = scored.iter().map(|(_, s)| s).sum::<f64>() / n;
    let variance = scored.iter().map(|(_, s)| (s - mean).powi(2)).sum::<f64>() / n;
    mean + variance.sqrt() / 2.0
}

fn has_cue(text: &str) -> bool {
    let opening = text.trim_start().to_lowercase();
    CUES.iter()
        .any(|cue| opening.starts_with(cue) && opening[cue.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str], each_ms: u64) -> Vec<Line> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Line {
                start_ms: i as u64 * each_ms,
                end_ms: (i as u64 + 1) * each_ms,
                text: (*t).to_owned(),
            })
            .collect()
    }

    #[test]
    fn three_topics_make_three_chapters_on_segment_starts() {
        let texts = [
            "Good morning, three things today.",
            "First, the database migration.",
            "We moved the customer tables to the new database cluster.",
            "The migration took six hours because the database index was slow.",
            "Reads on the new cluster are twice as fast since the migration.",
            "Second, hiring a designer.",
            "Three designers are in the final interview round.",
            "The interviews with each designer are on Tuesday and Thursday.",
            "We want to make a designer an offer this month.",
            "Third, the offsite in Lisbon.",
            "The Lisbon hotel is booked near the river for the offsite.",
            "Flights to Lisbon are in the offsite budget.",
            "Suggest a workshop topic for the offsite.",
        ];
        let lines = lines(&texts, 12_000);
        let starts = starts(&lines, 156_000);
        assert_eq!(starts, [0, 5, 9], "{starts:?}");
    }

    #[test]
    fn short_or_single_topic_messages_have_none() {
        let texts = ["The migration is done.", "Reads are faster.", "Backups next."];
        assert!(starts(&lines(&texts, 20_000), 60_000).is_empty(), "under two minutes");
        let same = ["the database migration", "the database migration again"].repeat(6);
        assert!(starts(&lines(&same, 12_000), 144_000).is_empty(), "one topic");
    }

    #[test]
    fn cues_are_whole_words() {
        assert!(has_cue("Second, hiring."));
        assert!(has_cue("next we talk"));
        assert!(!has_cue("Nextcloud is down"));
        assert!(!has_cue("Thirdparty tools broke"));
    }
}
