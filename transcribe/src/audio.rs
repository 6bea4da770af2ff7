//! A clip's audio as whisper wants it: 16 kHz mono `f32`, in windows of bounded length, so a
//! long clip never sits in memory whole.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use media::{DecodeOptions, OggOpusReader, PcmDecoder, WebmScan};

use crate::{TranscribeError, WHISPER_RATE};

/// A stretch of the clip's audio and where it starts in the clip.
#[derive(Debug)]
pub struct Window {
    /// Offset of the first sample from the start of the clip, in 16 kHz samples.
    pub start_sample: u64,
    pub pcm: Vec<f32>,
}

impl Window {
    pub fn start_ms(&self) -> u64 {
        self.start_sample * 1000 / u64::from(WHISPER_RATE)
    }
}

/// Decodes a stored clip (Ogg Opus, or WebM with an Opus track) into [`Window`]s.
pub struct SpeechAudio {
    decoder: Decoder,
    pending: Vec<f32>,
    consumed: u64,
    finished: bool,
}

enum Decoder {
    Ogg(PcmDecoder<BufReader<File>>),
    /// WebM's audio track, remuxed into Ogg in memory first: compressed speech is small (a few
    /// hundred kB a minute), the decoded windows are what must stay bounded.
    Webm(PcmDecoder<Cursor<Vec<u8>>>),
}

impl std::fmt::Debug for SpeechAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechAudio")
            .field("consumed", &self.consumed)
            .field("pending", &self.pending.len())
            .finish()
    }
}

const OPTIONS: DecodeOptions = DecodeOptions {
    sample_rate: WHISPER_RATE,
    mono: true,
};

impl SpeechAudio {
    /// Opens a clip, telling Ogg from WebM by its first bytes.
    pub fn open(path: &Path) -> Result<Self, TranscribeError> {
        let mut magic = [0u8; 4];
        File::open(path)?
            .read_exact(&mut magic)
            .map_err(|_| TranscribeError::NotAClip)?;
        let decoder = if &magic == b"OggS" {
            let reader = OggOpusReader::new(BufReader::new(File::open(path)?))?;
            Decoder::Ogg(PcmDecoder::new(reader, OPTIONS)?)
        } else if magic == [0x1a, 0x45, 0xdf, 0xa3] {
            let scan = WebmScan::scan(BufReader::new(File::open(path)?))?;
            let (ogg, _) = scan.remux_audio(BufReader::new(File::open(path)?), Vec::new())?;
            let reader = OggOpusReader::new(Cursor::new(ogg))?;
            Decoder::Webm(PcmDecoder::new(reader, OPTIONS)?)
        } else {
            return Err(TranscribeError::NotAClip);
        };
        Ok(Self {
            decoder,
            pending: Vec::new(),
            consumed: 0,
            finished: false,
        })
    }

    /// The next window of at most `max_samples`. Unless it is the last, it ends in the quietest
    /// 100 ms of its final `search_samples`, so a cut rarely falls inside a word.
    pub fn next_window(
        &mut self,
        max_samples: usize,
        search_samples: usize,
    ) -> Result<Option<Window>, TranscribeError> {
        while !self.finished && self.pending.len() < max_samples {
            let chunk = match &mut self.decoder {
                Decoder::Ogg(d) => d.next_chunk()?,
                Decoder::Webm(d) => d.next_chunk()?,
            };
            match chunk {
                Some(pcm) => self.pending.extend_from_slice(pcm),
                None => self.finished = true,
            }
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let cut = if self.pending.len() <= max_samples {
            self.pending.len()
        } else {
            quietest_cut(&self.pending[..max_samples], search_samples)
        };
        let rest = self.pending.split_off(cut);
        let pcm = std::mem::replace(&mut self.pending, rest);
        let window = Window {
            start_sample: self.consumed,
            pcm,
        };
        self.consumed += cut as u64;
        Ok(Some(window))
    }
}

/// Where to end a window: the middle of the quietest 100 ms block among the last
/// `search_samples` of `pcm`.
fn quietest_cut(pcm: &[f32], search_samples: usize) -> usize {
    const BLOCK: usize = WHISPER_RATE as usize / 10;
    let from = pcm.len().saturating_sub(search_samples.max(BLOCK));
    let mut best = (f32::INFINITY, pcm.len());
    let mut start = from;
    while start + BLOCK <= pcm.len() {
        let energy: f32 = pcm[start..start + BLOCK].iter().map(|s| s * s).sum();
        if energy < best.0 {
            best = (energy, start + BLOCK / 2);
        }
        start += BLOCK / 2;
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_falls_in_the_quiet_stretch() {
        let mut pcm = vec![0.5f32; 48_000];
        pcm[40_000..42_000].fill(0.0);
        let cut = quietest_cut(&pcm, 16_000);
        assert!((40_000..42_000).contains(&cut), "cut at {cut}");
    }

    #[test]
    fn a_short_window_still_gets_a_cut_inside_it() {
        let pcm = vec![0.1f32; 100];
        assert!(quietest_cut(&pcm, 16_000) <= 100);
    }
}
