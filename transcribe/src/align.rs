//! Word times that land on the speech.
//!
//! Whisper's own token times drift by seconds around pauses, and its DTW alignment (one time
//! per token, from the cross-attention) is better but still lands a word somewhere inside it.
//! We know where the sound is, though: a word that follows a pause starts where the sound
//! resumes, and a word that precedes one ends where the sound stops. [`place_words`] takes one
//! anchor time per word (the DTW time of its first token) and the pauses found in the PCM, and
//! sets every word's start and end from them.

use crate::{WHISPER_RATE, Word};

/// 10 ms analysis frames.
const FRAME_MS: u64 = 10;
const FRAME_SAMPLES: usize = WHISPER_RATE as usize / 100;
/// A pause is at least this long (shorter gaps are stops and breaths inside words).
const MIN_PAUSE_MS: u64 = 200;
/// Quieter than the loudest frame by this much is silence…
const RELATIVE_FLOOR_DB: f32 = -40.0;
/// …and so is anything under this, however quiet the clip.
const ABSOLUTE_FLOOR_DBFS: f32 = -60.0;

/// The pauses in `pcm` (16 kHz mono), as `[start_ms, end_ms)` from its start.
pub fn pauses(pcm: &[f32]) -> Vec<(u64, u64)> {
    let levels: Vec<f32> = pcm
        .chunks(FRAME_SAMPLES)
        .map(|frame| {
            let mean_square = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
            10.0 * mean_square.max(1e-12).log10()
        })
        .collect();
    let loudest = levels.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let floor = (loudest + RELATIVE_FLOOR_DB).max(ABSOLUTE_FLOOR_DBFS);
    let mut pauses = Vec::new();
    let mut run_start = None;
    for (i, &level) in levels.iter().chain(std::iter::once(&f32::INFINITY)).enumerate() {
        match (level < floor, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                let (a, b) = (start as u64 * FRAME_MS, i as u64 * FRAME_MS);
                if b - a >= MIN_PAUSE_MS {
                    pauses.push((a, b));
                }
                run_start = None;
            }
            _ => {}
        }
    }
    pauses
}

/// DTW anchors the last word before a pause inside it more often than not (the alignment
/// smears across the silence). Such a word belongs before the pause when it ends its segment
/// (whisper ends segments at pauses): it moves halfway between the previous anchor and the
/// pause's start. Any other anchor inside a pause belongs to the word after it and is left for
/// [`place_words`] to move to the pause's end.
pub fn unstrand(anchors: &mut [u64], ends_segment: &[bool], pauses: &[(u64, u64)]) {
    for i in 0..anchors.len() {
        let anchor = anchors[i];
        let Some(&(start, _)) = pauses.iter().find(|&&(start, end)| start < anchor && anchor < end) else {
            continue;
        };
        if ends_segment.get(i).copied().unwrap_or(false) {
            let previous = if i == 0 { 0 } else { anchors[i - 1].min(start) };
            anchors[i] = previous + (start - previous) / 2;
        }
    }
}

/// Sets each word's start and end. `anchors[i]` is a time inside word `i` (or at its start);
/// `pauses` are sorted and disjoint; `end_ms` bounds the last word. All in the same time base.
pub fn place_words(words: &mut [Word], anchors: &[u64], pauses: &[(u64, u64)], end_ms: u64) {
    let n = words.len().min(anchors.len());
    let mut starts = Vec::with_capacity(n);
    let mut previous = 0u64;
    for (i, &anchor) in anchors.iter().take(n).enumerate() {
        let anchor = anchor.clamp(previous, end_ms);
        // The last pause that began before this word's anchor and ended after the previous
        // word's: the word starts where it ends (its anchor may even sit inside it).
        let after_pause = pauses
            .iter()
            .rev()
            .find(|&&(start, end)| start < anchor && (i == 0 || end > previous))
            .map(|&(_, end)| end);
        let start = match after_pause {
            Some(end) if end <= end_ms => end.max(previous),
            _ => anchor,
        };
        starts.push(start);
        previous = anchor.max(start);
    }
    for i in 0..n {
        let start = starts[i];
        let next = starts.get(i + 1).copied().unwrap_or(end_ms).max(start);
        // A pause between this word and the next ends this word.
        let end = pauses
            .iter()
            .find(|&&(p_start, _)| p_start > start && p_start < next)
            .map_or(next, |&(p_start, _)| p_start);
        words[i].start_ms = start;
        words[i].end_ms = end.max(start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Vec<Word> {
        (0..n)
            .map(|i| Word {
                start_ms: 0,
                end_ms: 0,
                text: format!("w{i}"),
                probability: 1.0,
            })
            .collect()
    }

    fn tone(ms: usize) -> Vec<f32> {
        (0..ms * 16).map(|i| (i as f32 * 0.2).sin() * 0.3).collect()
    }

    #[test]
    fn pauses_are_found_where_the_sound_stops() {
        let mut pcm = tone(1000);
        pcm.extend(vec![0.0; 16 * 2000]);
        pcm.extend(tone(500));
        pcm.extend(vec![0.0; 16 * 100]); // too short to be a pause
        pcm.extend(tone(500));
        assert_eq!(pauses(&pcm), [(1000, 3000)]);
    }

    #[test]
    fn a_word_after_a_pause_starts_where_the_sound_resumes() {
        let mut w = words(3);
        // The anchor of the third word lies late in it; its sound starts at 6050.
        place_words(&mut w, &[280, 1300, 6540], &[(4000, 6050)], 7300);
        assert_eq!((w[0].start_ms, w[0].end_ms), (280, 1300));
        assert_eq!((w[1].start_ms, w[1].end_ms), (1300, 4000));
        assert_eq!((w[2].start_ms, w[2].end_ms), (6050, 7300));
    }

    #[test]
    fn an_anchor_inside_a_pause_moves_to_its_end() {
        let mut w = words(2);
        place_words(&mut w, &[100, 3000], &[(1000, 3500)], 5000);
        assert_eq!((w[1].start_ms, w[1].end_ms), (3500, 5000));
        assert_eq!(w[0].end_ms, 1000);
    }

    #[test]
    fn anchors_out_of_order_still_give_ordered_words() {
        let mut w = words(3);
        place_words(&mut w, &[500, 400, 900], &[], 1000);
        assert!(
            w.windows(2)
                .all(|p| p[0].start_ms <= p[1].start_ms && p[0].end_ms <= p[1].start_ms)
        );
        assert!(w.iter().all(|w| w.start_ms <= w.end_ms && w.end_ms <= 1000));
    }

    #[test]
    fn a_segment_end_stranded_in_a_pause_moves_before_it() {
        let mut anchors = [280, 3120, 5040, 6540];
        unstrand(&mut anchors, &[false, false, true, false], &[(3750, 6060)]);
        assert_eq!(anchors, [280, 3120, 3435, 6540]);
        let mut w = words(4);
        place_words(&mut w, &anchors, &[(3750, 6060)], 7300);
        assert_eq!((w[2].start_ms, w[2].end_ms), (3435, 3750));
        assert_eq!((w[3].start_ms, w[3].end_ms), (6060, 7300));
    }

    #[test]
    fn a_stranded_word_inside_a_segment_stays_after_the_pause() {
        let mut anchors = [280, 5040, 6540];
        unstrand(&mut anchors, &[false, false, true], &[(3750, 6060)]);
        assert_eq!(anchors, [280, 5040, 6540]);
    }

    #[test]
    fn silence_at_the_start_delays_the_first_word() {
        let mut w = words(1);
        place_words(&mut w, &[300], &[(0, 800)], 2000);
        assert_eq!(w[0].start_ms, 800);
    }
}
