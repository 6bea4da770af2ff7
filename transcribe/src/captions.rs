//! A transcript as WebVTT, SubRip and plain text.

use std::fmt::Write;

use crate::Transcript;

/// WebVTT (the `<track>` format browsers play). Cue text is escaped: `&`, `<` and `>` would
/// otherwise be markup.
pub fn to_vtt(transcript: &Transcript) -> String {
    cues(transcript, String::from("WEBVTT\n\n"), '.', escape_vtt)
}

/// SubRip (.srt).
pub fn to_srt(transcript: &Transcript) -> String {
    cues(transcript, String::new(), ',', |text| text.replace("-->", "->"))
}

/// Numbered cues, `start --> end`, one per segment, after `header`.
fn cues(transcript: &Transcript, mut out: String, separator: char, text: impl Fn(&str) -> String) -> String {
    for (i, segment) in transcript.segments.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(segment.start_ms, separator),
            timestamp(segment.end_ms, separator),
            text(&segment.text)
        );
    }
    out
}

/// Plain text: one segment per line.
pub fn to_txt(transcript: &Transcript) -> String {
    let mut text = transcript.text();
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

/// `HH:MM:SS.mmm` (SubRip wants a comma before the milliseconds).
pub fn timestamp(ms: u64, separator: char) -> String {
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}{separator}{milli:03}")
}

fn escape_vtt(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Segment;

    fn transcript() -> Transcript {
        Transcript {
            language: "en".into(),
            segments: vec![
                Segment {
                    start_ms: 0,
                    end_ms: 2_340,
                    text: "Ship it <now> & then -->".into(),
                    words: vec![],
                },
                Segment {
                    start_ms: 3_723_004,
                    end_ms: 3_725_000,
                    text: "Later.".into(),
                    words: vec![],
                },
            ],
        }
    }

    #[test]
    fn vtt_has_header_cues_and_escaped_text() {
        let vtt = to_vtt(&transcript());
        assert!(vtt.starts_with("WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.340\n"));
        assert!(vtt.contains("Ship it &lt;now&gt; &amp; then --&gt;\n"));
        assert!(vtt.contains("2\n01:02:03.004 --> 01:02:05.000\nLater.\n"));
    }

    #[test]
    fn srt_uses_commas_and_numbers_cues() {
        let srt = to_srt(&transcript());
        assert!(srt.starts_with("1\n00:00:00,000 --> 00:00:02,340\nShip it <now> & then ->\n\n2\n"));
    }

    #[test]
    fn txt_is_one_line_per_segment() {
        assert_eq!(to_txt(&transcript()), "Ship it <now> & then -->\nLater.\n");
        assert_eq!(to_txt(&Transcript::default()), "");
    }
}
