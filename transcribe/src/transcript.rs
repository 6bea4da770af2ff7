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

    /// The transcript of a cut of the recording: what was said in `from_ms..end_ms` of the
    /// original, timed from the cut's `zero_ms`. A segment partly cut away keeps only its
    /// words inside the cut (its text is made of them); one with no word timings is kept
    /// whole if its middle is inside.
    pub fn within(&self, zero_ms: u64, from_ms: u64, end_ms: u64) -> Transcript {
        let inside = |start: u64, end: u64| {
            let middle = start + end.saturating_sub(start) / 2;
            from_ms <= middle && middle < end_ms
        };
        let shift = |ms: u64| ms.clamp(from_ms, end_ms) - zero_ms;
        let segments = self
            .segments
            .iter()
            .filter_map(|segment| {
                let words: Vec<Word> = segment
                    .words
                    .iter()
                    .filter(|w| inside(w.start_ms, w.end_ms))
                    .map(|w| Word {
                        start_ms: shift(w.start_ms),
                        end_ms: shift(w.end_ms),
                        ..w.clone()
                    })
                    .collect();
                let whole = words.len() == segment.words.len();
                let (start_ms, end_ms, text) = match (words.first(), words.last()) {
                    (Some(_), Some(_)) if whole => {
                        (shift(segment.start_ms), shift(segment.end_ms), segment.text.clone())
                    }
                    (Some(first), Some(last)) => (
                        first.start_ms,
                        last.end_ms,
                        words.iter().map(|w| w.text.trim()).collect::<Vec<_>>().join(" "),
                    ),
                    _ if segment.words.is_empty() && inside(segment.start_ms, segment.end_ms) => {
                        (shift(segment.start_ms), shift(segment.end_ms), segment.text.clone())
                    }
                    _ => return None,
                };
                Some(Segment {
                    start_ms,
                    end_ms,
                    text,
                    words,
                })
            })
            .collect();
        Transcript {
            language: self.language.clone(),
            segments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(start_ms: u64, end_ms: u64, text: &str) -> Word {
        Word {
            start_ms,
            end_ms,
            text: text.into(),
            probability: 0.9,
        }
    }

    #[test]
    fn a_cut_keeps_the_words_inside_it_timed_from_its_start() {
        let transcript = Transcript {
            language: "en".into(),
            segments: vec![
                Segment {
                    start_ms: 0,
                    end_ms: 2_000,
                    text: " Hello there, team.".into(),
                    words: vec![
                        word(0, 500, " Hello"),
                        word(600, 1_200, " there,"),
                        word(1_300, 2_000, " team."),
                    ],
                },
                Segment {
                    start_ms: 2_000,
                    end_ms: 4_000,
                    text: " The plan is ready.".into(),
                    words: vec![
                        word(2_000, 2_500, " The"),
                        word(2_500, 3_000, " plan"),
                        word(3_000, 4_000, " is ready."),
                    ],
                },
            ],
        };
        let cut = transcript.within(500, 600, 3_000);
        assert_eq!(cut.segments.len(), 2);
        assert_eq!(cut.segments[0].text, "there, team.");
        assert_eq!((cut.segments[0].start_ms, cut.segments[0].end_ms), (100, 1_500));
        assert_eq!(cut.segments[1].text, "The plan");
        assert_eq!((cut.segments[1].start_ms, cut.segments[1].end_ms), (1_500, 2_500));
        assert!(transcript.within(0, 4_500, 9_000).segments.is_empty());
        assert_eq!(transcript.within(0, 0, 4_000), transcript);
    }
}
