//! Cutting a clip's start and end without re-encoding: the packets are copied, only the
//! framing around them is rewritten.
//!
//! Ogg Opus ([`cut_ogg_opus`]) is cut to the sample: the stream starts a few packets early so
//! the decoder has warmed up, and the pre-skip in OpusHead drops exactly the samples before the
//! cut (RFC 7845 §4.2: pre-skip is also how a stream begun mid-way discards its pre-roll); the
//! end is the final page's granule position (§4.4 end trimming). WebM is cut in
//! [`crate::webm::WebmScan::write_cut`].

use std::io::{Read, Write};

use crate::error::{MediaError, Result};
use crate::ogg_opus_reader::OggOpusReader;
use crate::ogg_opus_writer::OggOpusWriter;
use crate::opus_header::OpusHead;
use crate::{OPUS_RATE, packet_samples};

/// What to keep of a recording, in milliseconds of its playable time: `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// What a cut kept, in the original's milliseconds: where the new file's time 0 is, where its
/// sound starts (later than `zero_ms` only in a WebM whose picture had to start at a keyframe
/// before the cut), and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutMade {
    pub zero_ms: u64,
    pub sound_from_ms: u64,
    pub end_ms: u64,
}

/// RFC 7845 §4.6 recommends at least 80 ms of pre-roll before a point decoded mid-stream.
const PRE_ROLL_PACKETS: usize = 4;
const SAMPLES_PER_MS: u64 = OPUS_RATE as u64 / 1000;

/// Writes the part `cut` of the Ogg Opus stream `input` to `out`, as a stream of its own.
pub fn cut_ogg_opus<R: Read, W: Write>(input: R, out: W, cut: Cut) -> Result<(W, CutMade)> {
    if cut.end_ms <= cut.start_ms {
        return Err(MediaError::Unsupported("a cut must keep something".into()));
    }
    let mut reader = OggOpusReader::new(input)?;
    let head = reader.head().clone();
    let tags = reader.tags().clone();
    let pre_skip = u64::from(head.pre_skip);
    // In the original's raw samples (pre-skip included): where the kept sound starts and ends.
    let start_raw = cut.start_ms * SAMPLES_PER_MS + pre_skip;
    let end_raw = cut.end_ms * SAMPLES_PER_MS + pre_skip;

    // Packets before the one holding `start_raw`, kept to warm the decoder up.
    let mut pre_roll: std::collections::VecDeque<(u64, Vec<u8>)> = std::collections::VecDeque::new();
    let mut at = 0u64; // raw position of the next packet
    let mut last_granule = None;
    let first = loop {
        let Some(packet) = reader.next_packet()? else {
            return Err(MediaError::Unsupported(
                "the cut starts after the recording ends".into(),
            ));
        };
        let samples = packet_samples(&packet.data)?;
        if let Some(granule) = packet.page_granule {
            last_granule = Some(granule);
        }
        if at + samples > start_raw {
            break (at, packet.data, samples, packet.end_of_stream);
        }
        pre_roll.push_back((at, packet.data));
        if pre_roll.len() > PRE_ROLL_PACKETS {
            pre_roll.pop_front();
        }
        at += samples;
    };
    let (first_at, first_data, first_samples, first_ends) = first;
    // The new stream's raw sample 0 is the original's raw sample `origin`.
    let origin = pre_roll.front().map_or(first_at, |(at, _)| *at);
    let new_pre_skip = u16::try_from(start_raw - origin)
        .map_err(|_| MediaError::Unsupported("a pre-skip too large for OpusHead".into()))?;
    let new_head = OpusHead {
        pre_skip: new_pre_skip,
        ..head
    };
    let mut writer = OggOpusWriter::new(out, &new_head, &tags, u64::from(OPUS_RATE))?;
    for (_, data) in &pre_roll {
        writer.write_packet(data, packet_samples(data)?)?;
    }
    // Packets are written one behind, so the last one can end the stream with its granule.
    let mut held = (first_data, first_samples);
    let mut held_end = first_at + first_samples;
    let mut ended = first_ends;
    while held_end < end_raw && !ended {
        let Some(packet) = reader.next_packet()? else { break };
        let samples = packet_samples(&packet.data)?;
        if let Some(granule) = packet.page_granule {
            last_granule = Some(granule);
        }
        ended = packet.end_of_stream;
        writer.write_packet(&held.0, held.1)?;
        held = (packet.data, samples);
        held_end += samples;
    }
    // The end: where the cut asked, or where the original's own end trimming put it.
    let mut end = end_raw.min(held_end);
    if ended && let Some(granule) = last_granule {
        end = end.min(granule.max(start_raw));
    }
    let end = end.max(start_raw + 1);
    writer.write_final_packet(&held.0, end - origin)?;
    Ok((
        writer.into_inner(),
        CutMade {
            zero_ms: cut.start_ms,
            sound_from_ms: cut.start_ms,
            end_ms: (end - pre_skip) / SAMPLES_PER_MS,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EncoderSettings, InputFormat, OggOpusEncoder, PcmDecoder};

    /// Two seconds of a tone whose pitch rises each 100 ms, so where a cut lands can be heard.
    fn tone_stream() -> Vec<u8> {
        let rate = 48_000;
        let mut pcm = Vec::new();
        for i in 0..(2 * rate) {
            let step = (i / (rate / 10)) as f32;
            let f = 200.0 + 50.0 * step;
            pcm.push(((i as f32 / rate as f32) * f * std::f32::consts::TAU).sin() * 0.5);
        }
        let mut out = Vec::new();
        let mut encoder = OggOpusEncoder::new(
            &mut out,
            InputFormat {
                sample_rate: rate,
                channels: 1,
            },
            EncoderSettings::default(),
            crate::OpusTags::new("test"),
        )
        .unwrap();
        encoder.push(&pcm).unwrap();
        encoder.finish().unwrap();
        out
    }

    fn decoded_len(bytes: &[u8]) -> usize {
        let reader = OggOpusReader::new(bytes).unwrap();
        PcmDecoder::new(reader, crate::DecodeOptions::default())
            .unwrap()
            .decode_to_end()
            .unwrap()
            .len()
    }

    #[test]
    fn ogg_cut_keeps_exactly_the_samples_asked_for() {
        let original = tone_stream();
        let (cut, made) = cut_ogg_opus(
            &original[..],
            Vec::new(),
            Cut {
                start_ms: 530,
                end_ms: 1_410,
            },
        )
        .unwrap();
        assert_eq!(made.zero_ms, 530);
        assert_eq!(made.end_ms, 1_410);
        assert_eq!(decoded_len(&cut), 880 * 48);
        let facts = OggOpusReader::new(&cut[..]).unwrap().scan().unwrap();
        assert_eq!(facts.duration_samples, 880 * 48);
        assert!(!facts.truncated);
        // Pre-roll: 4 packets plus the part of the first kept packet before the cut.
        assert!(facts.head.pre_skip >= 4 * 960, "{}", facts.head.pre_skip);
    }

    #[test]
    fn ogg_cut_past_the_end_stops_at_the_end_and_at_zero_keeps_the_start() {
        let original = tone_stream();
        let whole = OggOpusReader::new(&original[..]).unwrap().scan().unwrap();
        let (cut, made) = cut_ogg_opus(
            &original[..],
            Vec::new(),
            Cut {
                start_ms: 0,
                end_ms: 60_000,
            },
        )
        .unwrap();
        assert_eq!(made.end_ms * 48, whole.duration_samples);
        let facts = OggOpusReader::new(&cut[..]).unwrap().scan().unwrap();
        assert_eq!(facts.duration_samples, whole.duration_samples);
        assert_eq!(facts.head.pre_skip, whole.head.pre_skip);
        assert!(
            cut_ogg_opus(
                &original[..],
                Vec::new(),
                Cut {
                    start_ms: 5_000,
                    end_ms: 6_000
                }
            )
            .is_err()
        );
    }
}
