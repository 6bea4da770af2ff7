//! Input level: what the live meter shows, and the muted-microphone warning.

use std::time::Duration;

/// Below this peak level a stretch of input counts as silence (a muted or dead microphone).
const SILENCE_DBFS: f32 = -55.0;

/// Follows the input level of mono samples and notices long silences.
#[derive(Debug)]
pub struct LevelMeter {
    rate: u32,
    peak: f32,
    silent_samples: u64,
    warn_after: u64,
    warned: bool,
}

/// What the meter says about the latest block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// Peak of the block in dBFS (−∞ for digital silence).
    pub peak_dbfs: f32,
    /// True exactly once per silent stretch, when it reaches the warning length.
    pub silence_warning: bool,
}

impl LevelMeter {
    pub fn new(rate: u32, warn_after: Duration) -> Self {
        Self {
            rate,
            peak: 0.0,
            silent_samples: 0,
            warn_after: (warn_after.as_secs_f64() * f64::from(rate)) as u64,
            warned: false,
        }
    }

    /// Measures a block of mono samples.
    pub fn update(&mut self, mono: &[f32]) -> Level {
        let peak = mono.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        // Fall back slowly so the bar is readable, rise at once so peaks show.
        let decay = 0.5f32.powf(mono.len() as f32 / (self.rate as f32 * 0.15));
        self.peak = peak.max(self.peak * decay);
        let peak_dbfs = to_dbfs(peak);
        let mut silence_warning = false;
        if peak_dbfs < SILENCE_DBFS {
            self.silent_samples += mono.len() as u64;
            if self.silent_samples >= self.warn_after && !self.warned {
                self.warned = true;
                silence_warning = true;
            }
        } else {
            self.silent_samples = 0;
            self.warned = false;
        }
        Level {
            peak_dbfs,
            silence_warning,
        }
    }

    /// A bar of `width` cells for the held peak, over −60…0 dBFS.
    pub fn bar(&self, width: usize) -> String {
        let db = to_dbfs(self.peak).max(-60.0);
        let filled = (((db + 60.0) / 60.0) * width as f32).round() as usize;
        let filled = filled.min(width);
        format!("{}{}", "█".repeat(filled), "·".repeat(width - filled))
    }

    pub fn held_dbfs(&self) -> f32 {
        to_dbfs(self.peak)
    }
}

fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude <= 0.0 {
        f32::NEG_INFINITY
    } else {
        20.0 * amplitude.log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_once_per_silent_stretch() {
        let mut meter = LevelMeter::new(1000, Duration::from_secs(3));
        let quiet = vec![0.0001; 500];
        let loud = vec![0.5; 500];
        let warnings: Vec<bool> = (0..7).map(|_| meter.update(&quiet).silence_warning).collect();
        assert_eq!(warnings, [false, false, false, false, false, true, false]);
        assert!(!meter.update(&loud).silence_warning);
        let again = (0..6).filter(|_| meter.update(&quiet).silence_warning).count();
        assert_eq!(again, 1);
    }

    #[test]
    fn bar_tracks_level() {
        let mut meter = LevelMeter::new(1000, Duration::from_secs(3));
        meter.update(&[1.0]);
        assert_eq!(meter.bar(10), "██████████");
        let mut meter = LevelMeter::new(1000, Duration::from_secs(3));
        meter.update(&[0.0]);
        assert_eq!(meter.bar(4), "····");
        assert!((to_dbfs(0.5) + 6.02).abs() < 0.01);
    }
}
