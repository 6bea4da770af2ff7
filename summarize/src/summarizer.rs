//! The work around the model: what it is asked, in what pieces, and what of its answers is
//! kept — only what the message's own words bear out.

use serde_json::Value;

use crate::actions::{self, Candidate};
use crate::generator::{object, plain_text};
use crate::message::{Line, Message, join};
use crate::words::borne_out;
use crate::{ActionItem, Chapter, Generator, Request, SummarizeError, Summary, chapters};

/// Messages of fewer words have nothing to condense: no summary (action items still).
const MIN_WORDS: usize = 30;
/// The share of a summary's meaningful words the transcript must contain.
const SUMMARY_GROUNDING: f64 = 0.5;
/// … of a title's, of a chapter title's (in its chapter), of a task's (in its sentence).
const TITLE_GROUNDING: f64 = 0.5;
const TASK_GROUNDING: f64 = 0.6;
/// Words of a chapter a chapter-title prompt carries.
const CHAPTER_WORDS: usize = 250;

const SYSTEM: &str = "You write short, factual notes about voice messages that people record for their team. \
                      Use only what the transcript says.";

/// Summaries by one model.
pub struct Summarizer {
    generator: Box<dyn Generator>,
}

impl std::fmt::Debug for Summarizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summarizer")
            .field("model", &self.generator.model_name())
            .finish()
    }
}

impl Summarizer {
    pub fn new(generator: Box<dyn Generator>) -> Self {
        Self { generator }
    }

    pub fn model_name(&self) -> String {
        self.generator.model_name()
    }

    /// The summary, title, chapters and action items of `message`.
    pub fn summarize(&self, message: &Message) -> Result<Summary, SummarizeError> {
        let text = message.text();
        let action_items = self.action_items(message)?;
        if text.split_whitespace().count() < MIN_WORDS {
            return Ok(Summary {
                action_items,
                ..Summary::default()
            });
        }
        let overview = self.overview(message, &text)?;
        let chapters = self.chapters(message)?;
        match overview {
            Overview::Found { summary, title } => Ok(Summary {
                summary,
                title,
                chapters,
                action_items,
            }),
            // Chapters and tasks are the transcript's own: they stand without a summary.
            Overview::NotBorneOut(_) if !chapters.is_empty() || !action_items.is_empty() => Ok(Summary {
                chapters,
                action_items,
                ..Summary::default()
            }),
            Overview::NotBorneOut(said) => Err(SummarizeError::Ungrounded(said)),
        }
    }

    /// A summary shorter than the transcript, and a title when the words bear it out; a long
    /// transcript is summarised piece by piece, then the pieces' summaries together. A summary
    /// the words do not bear out is asked for once more, differently, before none is given.
    fn overview(&self, message: &Message, text: &str) -> Result<Overview, SummarizeError> {
        let longest = (text.chars().count() * 2 / 3).clamp(40, 320);
        let pieces = pieces(&message.lines, self.generator.words_per_prompt());
        let source = if pieces.len() <= 1 {
            text.to_owned()
        } else {
            let mut parts = Vec::new();
            for piece in &pieces {
                let piece_text = join(piece);
                let answer = self.ask(
                    format!("{piece_text}\n\nSummarize the text above in one or two sentences."),
                    object(&[("summary", plain_text(20, 300))]),
                    160,
                )?;
                parts.push(tidy(field(&answer, "summary")?));
            }
            parts.join("\n")
        };
        // The summary first: asked for a title first, small models copy the opening line.
        let answer = self.ask(
            format!(
                "{source}\n\nSummarize the text above in one or two sentences, and give it a title of three to eight words."
            ),
            object(&[("summary", plain_text(20, longest)), ("title", plain_text(3, 60))]),
            220,
        )?;
        let mut summary = without_repeats(&tidy(field(&answer, "summary")?));
        let mut title = Some(tidy(field(&answer, "title")?)).filter(|t| borne_out(t, text) >= TITLE_GROUNDING);
        if borne_out(&summary, text) < SUMMARY_GROUNDING {
            // Once more, held to the text's own words (small models drift into stock phrases).
            let again = self.ask_text(
                format!("{source}\n\nSummarize the text above in one or two sentences, using its own words."),
                "summary",
                plain_text(20, longest),
                160,
            )?;
            match again.map(|said| without_repeats(&said)) {
                Some(said) if borne_out(&said, text) >= SUMMARY_GROUNDING => (summary, title) = (said, None),
                _ => return Ok(Overview::NotBorneOut(summary)),
            }
        }
        if title.is_none() {
            // Once more, from the summary alone: a short text is easier to name.
            title = self
                .ask_text(
                    format!("{summary}\n\nGive the text above a title of three to eight words."),
                    "title",
                    plain_text(3, 60),
                    40,
                )?
                .filter(|t| borne_out(t, text) >= TITLE_GROUNDING);
        }
        Ok(Overview::Found { summary, title })
    }

    /// Chapters where the topic changes, each named by the model from its own words (or by its
    /// opening words, when the model's name for it is not borne out).
    fn chapters(&self, message: &Message) -> Result<Vec<Chapter>, SummarizeError> {
        let starts = chapters::starts(&message.lines, message.duration_ms);
        let mut found = Vec::new();
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(message.lines.len());
            let lines = &message.lines[start..end];
            let text: String = join(lines)
                .split_whitespace()
                .take(CHAPTER_WORDS)
                .collect::<Vec<_>>()
                .join(" ");
            let named = self.ask_text(
                format!("{text}\n\nGive the text above a title of two to five words."),
                "title",
                plain_text(3, 48),
                30,
            )?;
            let title = named
                .filter(|named| borne_out(named, &text) >= TITLE_GROUNDING)
                .unwrap_or_else(|| opening_words(&text, 6));
            found.push(Chapter {
                start_ms: lines.first().map_or(0, |l| l.start_ms),
                title,
            });
        }
        Ok(found)
    }

    /// A task for each sentence that asks or promises something.
    fn action_items(&self, message: &Message) -> Result<Vec<ActionItem>, SummarizeError> {
        let mut items = Vec::new();
        for Candidate { sentence, owner } in actions::candidates(&message.lines, &message.author) {
            let task = self.ask_text(
                format!(
                    "{sentence}\n\nRewrite the sentence above as a short task (what is to be done), without the \
                     person's name."
                ),
                "task",
                plain_text(5, 120),
                60,
            )?;
            let text = task
                .filter(|task| borne_out(task, &sentence) >= TASK_GROUNDING)
                .unwrap_or_else(|| sentence.clone());
            items.push(ActionItem { text, owner });
        }
        Ok(items)
    }

    /// One text field asked for where a fallback exists: an answer that is not the JSON asked
    /// for (a server that ran out of tokens mid-string, say) is `None`, like one not borne out;
    /// a model or server that fails is still an error.
    fn ask_text(
        &self,
        user: String,
        name: &str,
        text: Value,
        max_tokens: usize,
    ) -> Result<Option<String>, SummarizeError> {
        match self.ask(user, object(&[(name, text)]), max_tokens) {
            Ok(answer) => Ok(answer[name].as_str().map(tidy)),
            Err(SummarizeError::Unparsable(why)) => {
                tracing::debug!("an answer that is not the JSON asked for: {why}");
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    fn ask(&self, user: String, schema: Value, max_tokens: usize) -> Result<Value, SummarizeError> {
        self.generator.generate(&Request {
            system: SYSTEM.to_owned(),
            user,
            schema,
            max_tokens,
        })
    }
}

/// What the model said of the whole message.
enum Overview {
    Found {
        summary: String,
        title: Option<String>,
    },
    /// Twice a summary the transcript's words do not bear out: the last one, for the record.
    NotBorneOut(String),
}

/// Sentences said again dropped (greedy decoding of a small model loops).
fn without_repeats(text: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    text.split_inclusive(['.', '!', '?'])
        .filter(|sentence| seen.insert(sentence.trim().to_lowercase()))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A string field of an answer.
fn field<'a>(answer: &'a Value, name: &str) -> Result<&'a str, SummarizeError> {
    answer[name]
        .as_str()
        .ok_or_else(|| SummarizeError::Unparsable(format!("no {name:?} in {answer}")))
}

/// Spaces collapsed, ends trimmed.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `n` words of a text, without the punctuation that ends them.
fn opening_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().take(n).collect();
    words
        .join(" ")
        .trim_end_matches([',', '.', ';', ':', '?', '!'])
        .to_owned()
}

/// Consecutive runs of lines of at most `words` words each (a longer line is a piece alone).
fn pieces(lines: &[Line], words: usize) -> Vec<&[Line]> {
    let mut pieces = Vec::new();
    let (mut start, mut count) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let n = line.text.split_whitespace().count();
        if count > 0 && count + n > words {
            pieces.push(&lines[start..i]);
            (start, count) = (i, 0);
        }
        count += n;
    }
    if start < lines.len() {
        pieces.push(&lines[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: usize) -> Line {
        Line {
            start_ms: 0,
            end_ms: 0,
            text: vec!["word"; words].join(" "),
        }
    }

    #[test]
    fn pieces_keep_lines_whole_and_within_the_budget() {
        let lines = [line(40), line(40), line(40), line(100), line(10)];
        let sizes: Vec<usize> = pieces(&lines, 90).iter().map(|p| p.len()).collect();
        assert_eq!(sizes, [2, 1, 1, 1]);
        assert_eq!(pieces(&lines, 1_000).len(), 1);
        assert!(pieces(&[], 10).is_empty());
    }

    #[test]
    fn a_sentence_said_twice_is_kept_once() {
        assert_eq!(
            without_repeats("The launch moves. The tests failed. The tests failed. Maria fixes them."),
            "The launch moves. The tests failed. Maria fixes them."
        );
        assert_eq!(without_repeats("No full stop"), "No full stop");
    }

    #[test]
    fn a_chapter_without_a_good_name_is_named_by_its_opening() {
        assert_eq!(
            opening_words("Second, hiring. We have three designers", 3),
            "Second, hiring. We"
        );
        assert_eq!(opening_words("Third, the offsite.", 6), "Third, the offsite");
    }
}
