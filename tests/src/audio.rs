//! Reading audio back and comparing it.

use std::path::Path;

use media::{DecodeOptions, OggOpusReader, PcmDecoder, StreamFacts};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// A WAV file as mono f32 (channels averaged) and its rate.
pub fn read_wav_mono(path: &Path) -> (u32, Vec<f32>) {
    let mut reader = hound::WavReader::open(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(|s| s.expect("sample")).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.expect("sample") as f32 * scale)
                .collect()
        }
    };
    let channels = usize::from(spec.channels);
    let mono = samples
        .chunks_exact(channels)
        .map(|f| f.iter().sum::<f32>() / channels as f32)
        .collect();
    (spec.sample_rate, mono)
}

/// Decodes an Ogg Opus file with our own decoder to mono at `rate`.
pub fn decode_opus_mono(path: &Path, rate: u32) -> Vec<f32> {
    let file = std::fs::File::open(path).expect("open opus");
    let reader = OggOpusReader::new(std::io::BufReader::new(file)).expect("valid Ogg Opus");
    let options = DecodeOptions {
        sample_rate: rate,
        mono: true,
    };
    PcmDecoder::new(reader, options)
        .expect("decoder")
        .decode_to_end()
        .expect("decode")
}

/// Scans an Ogg Opus file: headers, exact duration, truncation.
pub fn opus_facts(path: &Path) -> StreamFacts {
    let file = std::fs::File::open(path).expect("open opus");
    OggOpusReader::new(std::io::BufReader::new(file))
        .expect("valid Ogg Opus")
        .scan()
        .expect("scan")
}

/// Where `needle` sits best inside `haystack`: the lag (in samples, `haystack[lag + i]` lines
/// up with `needle[i]`) and the normalised cross-correlation there, computed over the overlap.
pub fn best_alignment(needle: &[f32], haystack: &[f32]) -> (isize, f64) {
    let n = (needle.len() + haystack.len()).next_power_of_two();
    let mut planner = FftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(n);
    let spectrum = |x: &[f32]| {
        let mut buf: Vec<Complex<f64>> = x.iter().map(|&s| Complex::new(f64::from(s), 0.0)).collect();
        buf.resize(n, Complex::new(0.0, 0.0));
        forward.process(&mut buf);
        buf
    };
    let a = spectrum(haystack);
    let b = spectrum(needle);
    let mut cross: Vec<Complex<f64>> = a.iter().zip(&b).map(|(x, y)| x * y.conj()).collect();
    inverse.process(&mut cross);
    // Index k holds lag k; indices past n/2 hold negative lags.
    let (best, _) = cross
        .iter()
        .enumerate()
        .map(|(k, c)| (k, c.re))
        .fold((0, f64::MIN), |acc, (k, v)| if v > acc.1 { (k, v) } else { acc });
    let lag = if best > n / 2 {
        best as isize - n as isize
    } else {
        best as isize
    };
    (lag, correlation_at(needle, haystack, lag))
}

/// Normalised correlation of `needle` against `haystack` shifted by `lag`, over their overlap.
pub fn correlation_at(needle: &[f32], haystack: &[f32], lag: isize) -> f64 {
    let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &x) in needle.iter().enumerate() {
        let j = i as isize + lag;
        if j < 0 || j as usize >= haystack.len() {
            continue;
        }
        let y = haystack[j as usize];
        xy += f64::from(x) * f64::from(y);
        xx += f64::from(x) * f64::from(x);
        yy += f64::from(y) * f64::from(y);
    }
    if xx == 0.0 || yy == 0.0 {
        0.0
    } else {
        xy / (xx * yy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_finds_a_known_shift() {
        let signal: Vec<f32> = (0..4000).map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0).collect();
        let mut shifted = vec![0.0; 1234];
        shifted.extend_from_slice(&signal);
        let (lag, corr) = best_alignment(&signal, &shifted);
        assert_eq!(lag, 1234);
        assert!(corr > 0.999);
        let (_, corr) = best_alignment(&signal, &vec![0.0; 5000]);
        assert_eq!(corr, 0.0);
    }
}
