//! Whisper emits sub-word tokens; people read words. A token that starts with a space starts a
//! new word; any other token (the rest of a word, punctuation) continues the current one.

use crate::Word;

/// One text token of a segment, as whisper gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Raw bytes: one multi-byte character may be split across tokens, so text is only made
    /// once a word is whole.
    pub bytes: Vec<u8>,
    pub start_ms: u64,
    pub end_ms: u64,
    pub probability: f32,
}

/// Groups tokens into words: each word spans its first token's start to its last token's end,
/// and its probability is the mean of its tokens'.
pub fn group_words(tokens: &[Token]) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<(Vec<u8>, u64, u64, f32, u32)> = None;
    for token in tokens {
        let starts_word = token.bytes.first().is_some_and(u8::is_ascii_whitespace);
        match &mut current {
            Some((bytes, _, end, p, n)) if !starts_word => {
                bytes.extend_from_slice(&token.bytes);
                *end = (*end).max(token.end_ms);
                *p += token.probability;
                *n += 1;
            }
            _ => {
                if let Some(word) = current.take().and_then(finish) {
                    words.push(word);
                }
                current = Some((
                    token.bytes.clone(),
                    token.start_ms,
                    token.end_ms.max(token.start_ms),
                    token.probability,
                    1,
                ));
            }
        }
    }
    if let Some(word) = current.and_then(finish) {
        words.push(word);
    }
    words
}

fn finish((bytes, start_ms, end_ms, p_sum, n): (Vec<u8>, u64, u64, f32, u32)) -> Option<Word> {
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    (!text.is_empty()).then(|| Word {
        start_ms,
        end_ms,
        text,
        probability: p_sum / n as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &[u8], start_ms: u64, end_ms: u64, probability: f32) -> Token {
        Token {
            bytes: text.to_vec(),
            start_ms,
            end_ms,
            probability,
        }
    }

    #[test]
    fn pieces_and_punctuation_join_the_word_before() {
        let words = group_words(&[
            token(b" Good", 0, 300, 0.9),
            token(b" morn", 300, 500, 0.8),
            token(b"ing", 500, 700, 0.6),
            token(b",", 700, 700, 1.0),
            token(b" team", 800, 1100, 0.5),
        ]);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Good", "morning,", "team"]);
        assert_eq!((words[1].start_ms, words[1].end_ms), (300, 700));
        assert!((words[1].probability - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_character_split_across_tokens_comes_out_whole() {
        let euro = "€".as_bytes();
        let words = group_words(&[token(&[b' ', euro[0]], 0, 10, 1.0), token(&euro[1..], 10, 20, 1.0)]);
        assert_eq!(words.len(), 1);
        assert_eq!(words[0].text, "€");
    }

    #[test]
    fn blank_tokens_make_no_words() {
        assert!(group_words(&[token(b" ", 0, 10, 1.0)]).is_empty());
        assert!(group_words(&[]).is_empty());
    }
}
