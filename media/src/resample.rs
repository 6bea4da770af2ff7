//! Streaming sample-rate conversion with an exact output length.

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::error::{MediaError, Result};

/// Input frames per resampler call: large enough to be efficient, small enough for live capture.
const CHUNK_FRAMES: usize = 1024;

/// How many frames `frames` input frames become at another rate: `round(frames × out / in)`.
/// What [`StreamResampler`] produces, exactly.
pub fn output_len(frames: u64, in_rate: u32, out_rate: u32) -> u64 {
    let (num, den) = (u128::from(frames) * u128::from(out_rate), u128::from(in_rate.max(1)));
    ((num + den / 2) / den) as u64
}

/// Converts interleaved PCM from one rate to another, chunk by chunk.
///
/// Uses rubato's FFT resampler (band-limited, fixed ratio). The resampler's start-up delay is
/// trimmed and the tail flushed, so `n` input frames always give exactly
/// `round(n * out_rate / in_rate)` output frames, aligned with the input. When the rates are
/// equal it is a pass-through.
pub struct StreamResampler {
    fft: Option<Fft<f32>>,
    channels: usize,
    in_rate: u32,
    out_rate: u32,
    pending: Vec<f32>,
    scratch: Vec<f32>,
    delay_left: usize,
    frames_in: u64,
    frames_out: u64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("in_rate", &self.in_rate)
            .field("out_rate", &self.out_rate)
            .field("channels", &self.channels)
            .finish()
    }
}

impl StreamResampler {
    pub fn new(in_rate: u32, out_rate: u32, channels: usize) -> Result<Self> {
        if in_rate == 0 || out_rate == 0 || channels == 0 {
            return Err(MediaError::Unsupported(format!(
                "cannot resample {in_rate} Hz × {channels} channels to {out_rate} Hz"
            )));
        }
        let fft = if in_rate == out_rate {
            None
        } else {
            let fft = Fft::new(
                in_rate as usize,
                out_rate as usize,
                CHUNK_FRAMES,
                channels,
                FixedSync::Input,
            )
            .map_err(|e| MediaError::Resample(e.to_string()))?;
            Some(fft)
        };
        let delay_left = fft.as_ref().map_or(0, |f| f.output_delay());
        let scratch_len = fft.as_ref().map_or(0, |f| f.output_frames_max() * channels);
        Ok(Self {
            fft,
            channels,
            in_rate,
            out_rate,
            pending: Vec::with_capacity(CHUNK_FRAMES * channels * 2),
            scratch: vec![0.0; scratch_len],
            delay_left,
            frames_in: 0,
            frames_out: 0,
        })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames of output the input so far is worth: `round(frames_in * out_rate / in_rate)`.
    fn expected_out(&self) -> u64 {
        output_len(self.frames_in, self.in_rate, self.out_rate)
    }

    /// Feeds interleaved samples and appends whatever output is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.frames_in += (input.len() / self.channels) as u64;
        let Some(fft) = self.fft.as_mut() else {
            out.extend_from_slice(input);
            self.frames_out = self.frames_in;
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let mut used = 0;
        loop {
            let need = fft.input_frames_next() * self.channels;
            if self.pending.len() - used < need {
                break;
            }
            let chunk = &self.pending[used..used + need];
            Self::run(
                fft,
                chunk,
                None,
                self.channels,
                &mut self.scratch,
                &mut self.delay_left,
                &mut self.frames_out,
                out,
            )?;
            used += need;
        }
        self.pending.drain(..used);
        Ok(())
    }

    /// Flushes the tail: pads with silence until exactly the expected number of frames is out.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let expected = self.expected_out();
        let Some(fft) = self.fft.as_mut() else {
            return Ok(());
        };
        let start_len = out.len();
        let before = self.frames_out;
        while self.frames_out < expected {
            let need = fft.input_frames_next() * self.channels;
            let have = self.pending.len().min(need);
            let mut chunk = std::mem::take(&mut self.pending);
            chunk.resize(need, 0.0);
            let partial = Indexing::new().partial_len(have / self.channels);
            Self::run(
                fft,
                &chunk,
                Some(&partial),
                self.channels,
                &mut self.scratch,
                &mut self.delay_left,
                &mut self.frames_out,
                out,
            )?;
        }
        // The last chunk overshoots; cut back to the exact length.
        let keep = (expected - before) as usize * self.channels;
        out.truncate(start_len + keep);
        self.frames_out = expected;
        self.pending.clear();
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        fft: &mut Fft<f32>,
        chunk: &[f32],
        indexing: Option<&Indexing>,
        channels: usize,
        scratch: &mut [f32],
        delay_left: &mut usize,
        frames_out: &mut u64,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let frames = chunk.len() / channels;
        let input = InterleavedSlice::new(chunk, channels, frames).map_err(|e| MediaError::Resample(e.to_string()))?;
        let capacity = scratch.len() / channels;
        let mut output =
            InterleavedSlice::new_mut(scratch, channels, capacity).map_err(|e| MediaError::Resample(e.to_string()))?;
        let (_, written) = fft
            .process_into_buffer(&input, &mut output, indexing)
            .map_err(|e| MediaError::Resample(e.to_string()))?;
        let skip = (*delay_left).min(written);
        *delay_left -= skip;
        out.extend_from_slice(&scratch[skip * channels..written * channels]);
        *frames_out += (written - skip) as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    fn resample_all(input: &[f32], from: u32, to: u32, piece: usize) -> Vec<f32> {
        let mut r = StreamResampler::new(from, to, 1).unwrap();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            r.push(chunk, &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn output_length_is_exact_for_any_chunking() {
        for (from, n) in [
            (44_100, 44_100 * 2 + 17),
            (16_000, 12_345),
            (8_000, 1),
            (22_050, 0),
            (48_000, 999),
        ] {
            for piece in [1, 441, 4096] {
                let out = resample_all(&vec![0.1; n], from, 48_000, piece);
                let expected = (n as u64 * 48_000 + u64::from(from) / 2) / u64::from(from);
                assert_eq!(out.len() as u64, expected, "{from} Hz, {n} frames, pieces of {piece}");
            }
        }
    }

    #[test]
    fn output_is_aligned_with_input() {
        // A 440 Hz tone resampled 44.1 → 48 kHz must match the same tone generated at 48 kHz.
        let out = resample_all(&sine(44_100, 440.0, 44_100), 44_100, 48_000, 1000);
        let reference = sine(48_000, 440.0, 48_000);
        let err: f32 = out[2000..46_000]
            .iter()
            .zip(&reference[2000..46_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn rejects_zero_rates() {
        assert!(StreamResampler::new(0, 48_000, 1).is_err());
    }
}
