//! Waiting for something observable to happen, instead of sleeping and hoping it did.

use std::path::Path;
use std::time::{Duration, Instant};

/// Polls `probe` every 50 ms until it finds something; fails the test after `timeout`,
/// naming `what` did not happen.
pub fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How much audio the Ogg Opus file at `path` holds so far, by the granule position of its
/// last complete page (48 kHz samples, pre-skip included): what a recording has written.
pub fn ogg_seconds(path: &Path) -> f64 {
    let Ok(bytes) = std::fs::read(path) else { return 0.0 };
    let mut granule = 0u64;
    let mut at = 0;
    // Walk the pages front to back, trusting only whole ones (a page being written is not).
    while let Some(page) = bytes.get(at..at + 27).filter(|header| header.starts_with(b"OggS")) {
        let segments = usize::from(page[26]);
        let Some(lacing) = bytes.get(at + 27..at + 27 + segments) else {
            break;
        };
        let end = at + 27 + segments + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
        if end > bytes.len() {
            break;
        }
        let position = u64::from_le_bytes(page[6..14].try_into().unwrap_or_default());
        if position != u64::MAX {
            granule = granule.max(position);
        }
        at = end;
    }
    granule as f64 / 48_000.0
}
