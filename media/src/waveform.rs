//! What the player draws and skips: waveform peaks and silent ranges, from a stream of PCM.

/// Peaks per second of audio: enough for a smooth waveform at any width a page draws.
pub const PEAKS_PER_SECOND: u32 = 20;
/// A window this quiet (peak below −40 dBFS) counts as silence.
const SILENCE_PEAK: f32 = 0.01;
/// Only pauses at least this long are worth skipping.
const MIN_SILENCE_MS: u64 = 700;
/// Leave this much of each pause in place, so skipping does not clip the words around it.
const SILENCE_MARGIN_MS: u64 = 150;

/// Peaks (0–255, linear) per window, and silent ranges in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waveform {
    pub peaks: Vec<u8>,
    pub silences: Vec<(u64, u64)>,
}

/// Builds a [`Waveform`] from mono PCM pushed in pieces of any size.
#[derive(Debug)]
pub struct WaveformBuilder {
    window: usize,
    in_window: usize,
    window_peak: f32,
    ms_per_window: u64,
    silent_since: Option<u64>,
    windows: u64,
    out: Waveform,
}

impl WaveformBuilder {
    pub fn new(sample_rate: u32) -> Self {
        let window = (sample_rate / PEAKS_PER_SECOND).max(1) as usize;
        Self {
            window,
            in_window: 0,
            window_peak: 0.0,
            ms_per_window: 1000 / u64::from(PEAKS_PER_SECOND),
            silent_since: None,
            windows: 0,
            out: Waveform::default(),
        }
    }

    pub fn push(&mut self, mono: &[f32]) {
        let mut rest = mono;
        while !rest.is_empty() {
            let (this_window, after) = rest.split_at((self.window - self.in_window).min(rest.len()));
            self.window_peak = self.window_peak.max(peak(this_window));
            self.in_window += this_window.len();
            if self.in_window == self.window {
                self.close_window();
            }
            rest = after;
        }
    }

    pub fn finish(mut self) -> Waveform {
        if self.in_window > 0 {
            self.close_window();
        }
        self.end_silence();
        self.out
    }

    fn close_window(&mut self) {
        let peak = self.window_peak.min(1.0);
        self.out.peaks.push((peak * 255.0).round() as u8);
        let start_ms = self.windows * self.ms_per_window;
        if peak < SILENCE_PEAK {
            self.silent_since.get_or_insert(start_ms);
        } else {
            self.end_silence();
        }
        self.windows += 1;
        self.in_window = 0;
        self.window_peak = 0.0;
    }

    fn end_silence(&mut self) {
        let end = self.windows * self.ms_per_window;
        if let Some(start) = self.silent_since.take()
            && end - start >= MIN_SILENCE_MS
        {
            self.out
                .silences
                .push((start + SILENCE_MARGIN_MS, end - SILENCE_MARGIN_MS));
        }
    }
}

/// The largest magnitude in `samples`, in eight lanes at once: a waveform is made of every
/// sample a clip has, and one running maximum cannot be vectorised.
fn peak(samples: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = samples.chunks_exact(lanes.len());
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, sample) in lanes.iter_mut().zip(chunk) {
            *lane = lane.max(sample.abs());
        }
    }
    lanes
        .iter()
        .chain(rest)
        .fold(0.0, |peak, sample| peak.max(sample.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_the_largest_magnitude_of_each_window_however_the_samples_come() {
        let rate = 48_000;
        let samples: Vec<f32> = (0..rate as usize * 3 + 123)
            .map(|i| ((i as f32 * 0.37).sin() * (i % 977) as f32 / 977.0) * if i % 5 == 0 { -1.0 } else { 1.0 })
            .collect();
        let window = (rate / PEAKS_PER_SECOND) as usize;
        let expected: Vec<u8> = samples
            .chunks(window)
            .map(|w| (w.iter().fold(0.0f32, |m, s| m.max(s.abs())).min(1.0) * 255.0).round() as u8)
            .collect();
        for piece in [1, 7, 960, window, window + 1, samples.len()] {
            let mut builder = WaveformBuilder::new(rate);
            for chunk in samples.chunks(piece) {
                builder.push(chunk);
            }
            assert_eq!(builder.finish().peaks, expected, "pushed {piece} at a time");
        }
    }

    #[test]
    fn finds_peaks_and_long_pauses_only() {
        let rate = 1000;
        let mut builder = WaveformBuilder::new(rate);
        let loud = vec![0.5f32; 500];
        builder.push(&loud); // 0–500 ms speech
        builder.push(&vec![0.0; 2000]); // 500–2500 ms pause
        builder.push(&loud); // 2500–3000 ms speech
        builder.push(&vec![0.0; 300]); // a short breath: not a silence
        builder.push(&loud);
        let waveform = builder.finish();
        assert_eq!(waveform.peaks.len(), 76);
        assert_eq!(waveform.peaks[0], 128);
        assert_eq!(waveform.peaks[20], 0);
        assert_eq!(waveform.silences, vec![(650, 2350)]);
    }
}
