use serde::{Deserialize, Serialize};

/// What was said in a clip, and when. Times are milliseconds from the start of the clip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// ISO 639-1 code, e.g. "en".
    pub language: String,
    pub segments: Vec<Segment>,
}

/// A stretch of speech, about a sentence long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub words: Vec<Word>,
}

/// One word, punctuation attached, with how sure the model was of it (0–1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub probability: f32,
}

impl Transcript {
    /// The whole text, one segment per line.
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        lines.join("\n")
    }
}
