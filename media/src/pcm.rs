//! Small PCM helpers.

/// Averages interleaved frames down to one channel, appending to `out`.
///
/// Averaging (rather than summing) keeps a mono signal duplicated on every channel, as
/// PulseAudio and browsers deliver it, at its original level.
pub fn downmix_into(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    match channels {
        0 => {}
        1 => out.extend_from_slice(interleaved),
        n => {
            let scale = 1.0 / n as f32;
            out.extend(
                interleaved
                    .chunks_exact(n)
                    .map(|frame| frame.iter().sum::<f32>() * scale),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_averages_frames() {
        let mut out = Vec::new();
        downmix_into(&[1.0, 0.0, 0.5, 0.5, -1.0, -1.0], 2, &mut out);
        assert_eq!(out, vec![0.5, 0.5, -1.0]);
        downmix_into(&[0.25], 1, &mut out);
        assert_eq!(out.last(), Some(&0.25));
    }
}
