//! A WebM cut without re-encoding: its blocks copied, the clusters around them rewritten.
//!
//! A picture can only start at a keyframe, so the new file's time 0 is the last video keyframe
//! at or before the cut's start; the sound starts at the cut itself (the audio block holding
//! it), so nothing cut away is heard. The end is the last block that starts before the cut's
//! end. Two passes over the kept clusters: one to learn their new sizes (the Cues before them
//! point into them), one to write them; one cluster is held in memory at a time.

use std::io::{Read, Seek, SeekFrom, Write};

use super::{
    BLOCK, BLOCK_GROUP, CLUSTER, REFERENCE_BLOCK, SIMPLE_BLOCK, TIMESTAMP, WebmScan, children, eof_is_truncation,
};
use crate::cut::{Cut, CutMade};
use crate::ebml::{self, element_len, read_size};
use crate::error::{MediaError, Result};
use crate::packet_samples;

/// A cluster larger than this is not one a recorder wrote.
const MAX_CLUSTER_BYTES: u64 = 256 << 20;

/// Where the cut lies, in the file's timestamp units.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// The new time 0: a video keyframe (or the cut's start, without video).
    zero: i64,
    /// Audio blocks that end after this are kept.
    sound_from: i64,
    /// Blocks that start before this are kept.
    end: i64,
}

/// One cluster as the cut rewrites it.
#[derive(Debug, Default)]
struct Rewritten {
    payload: Vec<u8>,
    blocks: usize,
    /// Its first cue-worthy block's new time.
    cue_time: Option<u64>,
    first_audio: Option<i64>,
    audio_end: Option<i64>,
    video_times: [Option<i64>; 2],
}

impl WebmScan {
    /// Writes the part `cut` of the WebM `input` (the file this scan was made from) to `out`,
    /// seekable (Duration, Cues ahead of the clusters). Returns what was kept.
    pub fn write_cut<R: Read + Seek, W: Write>(&self, mut input: R, out: &mut W, cut: Cut) -> Result<CutMade> {
        if cut.end_ms <= cut.start_ms {
            return Err(MediaError::Unsupported("a cut must keep something".into()));
        }
        let scale = self.timestamp_scale.max(1);
        let units = |ms: u64| i64::try_from(ms.saturating_mul(1_000_000) / scale).unwrap_or(i64::MAX);
        let start = units(cut.start_ms);
        let zero = match self.video {
            Some(_) => self
                .clusters
                .iter()
                .filter_map(|c| c.cue_time)
                .map(|t| t as i64)
                .filter(|&t| t <= start)
                .max()
                .or_else(|| self.clusters.iter().find_map(|c| c.cue_time).map(|t| t as i64))
                .unwrap_or(0),
            None => start,
        };
        let window = Window {
            zero,
            sound_from: start.max(zero),
            end: units(cut.end_ms),
        };
        let kept: Vec<_> = self
            .clusters
            .iter()
            .filter(|c| (c.timestamp as i64) < window.end)
            .collect();

        // Pass 1: each kept cluster's new size, cue and timing.
        let mut cues = Vec::new();
        let mut len = 0u64;
        let mut first_audio = None;
        let mut audio_end = None;
        let mut video_times: [Option<i64>; 2] = [None, None];
        for cluster in &kept {
            let bytes = read_cluster(&mut input, cluster.start, cluster.end)?;
            let rewritten = self.rewrite(&bytes, cluster.timestamp, window)?;
            if rewritten.blocks == 0 {
                continue;
            }
            if let Some(time) = rewritten.cue_time {
                cues.push((time, len));
            }
            first_audio = first_audio.or(rewritten.first_audio);
            audio_end = rewritten.audio_end.or(audio_end);
            for time in rewritten.video_times.into_iter().flatten() {
                video_times = [video_times[1], Some(time)];
            }
            len += element_len(CLUSTER, rewritten.payload.len() as u64);
        }
        let Some(audio_end) = audio_end else {
            return Err(MediaError::Unsupported("the cut keeps no sound".into()));
        };
        let video_end = match video_times {
            [Some(before), Some(last)] => Some(last + (last - before)),
            [_, last] => last,
        };
        let end = audio_end.max(video_end.unwrap_or(0)).max(0);
        let to_ns = |units: i64| (units.max(0) as u64).saturating_mul(scale);
        self.write_head_with(&mut input, out, to_ns(end), Some(len), &cues)?;

        // Pass 2: the same clusters, written.
        for cluster in &kept {
            let bytes = read_cluster(&mut input, cluster.start, cluster.end)?;
            let rewritten = self.rewrite(&bytes, cluster.timestamp, window)?;
            if rewritten.blocks == 0 {
                continue;
            }
            ebml::write_id(out, CLUSTER)?;
            ebml::write_size(out, rewritten.payload.len() as u64)?;
            out.write_all(&rewritten.payload)?;
        }
        out.flush()?;
        let to_ms = |units: i64| to_ns(units) / 1_000_000;
        Ok(CutMade {
            zero_ms: to_ms(zero),
            sound_from_ms: to_ms(zero + first_audio.unwrap_or(0)),
            end_ms: to_ms(zero + end),
        })
    }

    /// A cluster's children with only the blocks inside `window`, timed from its `zero`.
    fn rewrite(&self, bytes: &[u8], cluster_time: u64, window: Window) -> Result<Rewritten> {
        let cluster_time = cluster_time as i64;
        let new_cluster_time = cluster_time.max(window.zero) - window.zero;
        let mut out = Rewritten::default();
        ebml::write_uint(&mut out.payload, TIMESTAMP, new_cluster_time as u64)?;
        let audio = self.audio.number;
        let video = self.video.as_ref().map(|v| v.number);
        for (id, body) in children(bytes)? {
            let (block, keyframe) = match id {
                SIMPLE_BLOCK => (body, None),
                BLOCK_GROUP => {
                    let inner = children(body)?;
                    let Some((_, block)) = inner.iter().find(|(id, _)| *id == BLOCK) else {
                        continue;
                    };
                    (*block, Some(!inner.iter().any(|(id, _)| *id == REFERENCE_BLOCK)))
                }
                _ => continue,
            };
            let mut cursor = block;
            let (track, track_len) = read_size(&mut cursor).map_err(eof_is_truncation)?;
            let Some(track) = track else { continue };
            let [hi, lo, flags, ..] = *cursor else {
                return Err(MediaError::Webm("a block too short for its header".into()));
            };
            let time = cluster_time + i64::from(i16::from_be_bytes([hi, lo]));
            let keyframe = keyframe.unwrap_or(flags & 0x80 != 0);
            let new_time = time - window.zero;
            let is_audio = track == audio;
            let keep = if is_audio {
                let samples = packet_samples(&cursor[3..])?;
                let length = i64::try_from(samples * 1_000_000_000 / u64::from(crate::OPUS_RATE)).unwrap_or(0)
                    / self.timestamp_scale.max(1) as i64;
                let kept = time >= window.zero && time + length > window.sound_from && time < window.end;
                if kept {
                    out.first_audio = out.first_audio.or(Some(new_time));
                    out.audio_end = Some(new_time + length);
                }
                kept
            } else if Some(track) == video {
                let kept = time >= window.zero && time < window.end;
                if kept {
                    out.video_times = [out.video_times[1], Some(new_time)];
                }
                kept
            } else {
                false
            };
            if !keep {
                continue;
            }
            let relative = i16::try_from(new_time - new_cluster_time)
                .map_err(|_| MediaError::Webm("a block too far from its cluster's time".into()))?;
            // The block with its timestamp changed; a BlockGroup keeps its other children.
            let at = track_len;
            let mut changed = block.to_vec();
            changed[at..at + 2].copy_from_slice(&relative.to_be_bytes());
            match id {
                SIMPLE_BLOCK => write_element(&mut out.payload, SIMPLE_BLOCK, &changed)?,
                _ => {
                    let mut group = Vec::new();
                    for (inner_id, inner) in children(body)? {
                        let inner: &[u8] = if inner_id == BLOCK { &changed } else { inner };
                        write_element(&mut group, inner_id, inner)?;
                    }
                    write_element(&mut out.payload, BLOCK_GROUP, &group)?;
                }
            }
            out.blocks += 1;
            let cue_worthy = match video {
                Some(v) => track == v && keyframe,
                None => is_audio,
            };
            if cue_worthy && out.cue_time.is_none() {
                out.cue_time = Some(new_time.max(0) as u64);
            }
        }
        Ok(out)
    }
}

fn write_element(out: &mut Vec<u8>, id: u32, payload: &[u8]) -> Result<()> {
    ebml::write_id(out, id)?;
    ebml::write_size(out, payload.len() as u64)?;
    out.extend_from_slice(payload);
    Ok(())
}

fn read_cluster<R: Read + Seek>(input: &mut R, start: u64, end: u64) -> Result<Vec<u8>> {
    let len = end.saturating_sub(start);
    if len > MAX_CLUSTER_BYTES {
        return Err(MediaError::Webm(format!("a cluster of {len} bytes")));
    }
    input.seek(SeekFrom::Start(start))?;
    let mut bytes = vec![0; len as usize];
    input.read_exact(&mut bytes).map_err(eof_is_truncation)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn fixture() -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/chromium-video.webm");
        std::fs::read(path).unwrap()
    }

    #[test]
    fn webm_cut_keeps_the_window_and_starts_the_picture_at_a_keyframe() {
        let original = fixture();
        let scan = WebmScan::scan(Cursor::new(&original)).unwrap();
        let mut out = Vec::new();
        let made = scan
            .write_cut(
                Cursor::new(&original),
                &mut out,
                Cut {
                    start_ms: 1_000,
                    end_ms: 2_500,
                },
            )
            .unwrap();
        // Chromium's only keyframe is its first frame (4 ms); its Opus packets are 60 ms.
        assert_eq!(made.zero_ms, 4, "{made:?}");
        assert!((940..=1_000).contains(&made.sound_from_ms), "{made:?}");
        assert!((2_500..2_560).contains(&made.end_ms), "{made:?}");
        let cut = WebmScan::scan(Cursor::new(&out)).unwrap();
        let kept_ms: u64 = cut
            .audio_blocks
            .iter()
            .map(|b| {
                let at = b.offset as usize;
                packet_samples(&out[at..at + b.len as usize]).unwrap() / 48
            })
            .sum();
        assert_eq!(kept_ms, made.end_ms - made.sound_from_ms, "{kept_ms} ms of sound");
        assert!(cut.video.is_some());
        assert!(cut.verbatim_clusters().is_some(), "sized, contiguous clusters");
        assert!(out.len() < original.len());
    }
}
