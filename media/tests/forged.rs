//! Ogg Opus streams forged to lie about their length (issue 28): granule positions of 2^62,
//! negative, or going backwards, and a second stream chained after the first. The length is
//! what the packets hold; the rest is refused.

// A failed expectation is a failed test: panicking is the point.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Cursor;

use media::{
    DecodeOptions, EncoderSettings, InputFormat, OggOpusEncoder, OggOpusReader, OpusHead, OpusTags, PcmDecoder,
};
use ogg::{PacketWriteEndInfo, PacketWriter};

/// One second of a tone, as Ogg Opus.
fn second() -> Vec<u8> {
    let pcm: Vec<f32> = (0..48_000)
        .map(|i| (i as f32 / 48_000.0 * 440.0 * std::f32::consts::TAU).sin() * 0.3)
        .collect();
    let input = InputFormat {
        sample_rate: 48_000,
        channels: 1,
    };
    let mut encoder = OggOpusEncoder::new(Vec::new(), input, EncoderSettings::default(), OpusTags::new("t")).unwrap();
    encoder.push(&pcm).unwrap();
    encoder.finish().unwrap().0
}

/// The same packets, one per page, with the granule positions `granule` gives (by packet).
fn repaged(original: &[u8], granule: impl Fn(usize, u64) -> u64) -> Vec<u8> {
    let mut reader = OggOpusReader::new(Cursor::new(original)).unwrap();
    let head: OpusHead = reader.head().clone();
    let mut packets = Vec::new();
    while let Some(packet) = reader.next_packet().unwrap() {
        packets.push(packet.data);
    }
    let mut out = Vec::new();
    let mut writer = PacketWriter::new(&mut out);
    writer
        .write_packet(head.to_bytes(), 7, PacketWriteEndInfo::EndPage, 0)
        .unwrap();
    writer
        .write_packet(OpusTags::new("forged").to_bytes(), 7, PacketWriteEndInfo::EndPage, 0)
        .unwrap();
    let last = packets.len() - 1;
    let mut honest = 0;
    for (i, packet) in packets.into_iter().enumerate() {
        honest += 960;
        let end = if i == last {
            PacketWriteEndInfo::EndStream
        } else {
            PacketWriteEndInfo::EndPage
        };
        writer.write_packet(packet, 7, end, granule(i, honest)).unwrap();
    }
    drop(writer);
    out
}

fn decoded_secs(bytes: &[u8]) -> f64 {
    let reader = OggOpusReader::new(Cursor::new(bytes)).unwrap();
    let mut decoder = PcmDecoder::new(reader, DecodeOptions::default()).unwrap();
    while decoder.next_chunk().unwrap().is_some() {}
    decoder.facts().duration_samples as f64 / 48_000.0
}

#[test]
fn a_huge_last_granule_does_not_make_a_huge_clip() {
    let forged = repaged(&second(), |i, honest| if i == 50 { 1 << 62 } else { honest });
    let scanned = OggOpusReader::new(Cursor::new(&forged)).unwrap().scan().unwrap();
    let secs = scanned.duration_samples as f64 / 48_000.0;
    println!(
        "granule 2^62 claims {} minutes; the length is {secs:.3} s",
        (1u64 << 62) / 48_000 / 60
    );
    assert!((0.99..1.03).contains(&secs), "{secs}");
    assert!((0.99..1.03).contains(&decoded_secs(&forged)));
}

#[test]
fn negative_and_backward_granules_are_refused() {
    let negative = repaged(&second(), |i, honest| if i == 10 { (-6i64) as u64 } else { honest });
    let err = OggOpusReader::new(Cursor::new(&negative)).unwrap().scan().unwrap_err();
    assert!(err.to_string().contains("negative granule"), "{err}");
    let backwards = repaged(&second(), |i, honest| if i == 20 { 960 } else { honest });
    let err = OggOpusReader::new(Cursor::new(&backwards)).unwrap().scan().unwrap_err();
    assert!(err.to_string().contains("backwards"), "{err}");
}

#[test]
fn a_chained_second_stream_is_refused() {
    let mut chained = second();
    chained.extend_from_slice(&second());
    let err = OggOpusReader::new(Cursor::new(&chained)).unwrap().scan().unwrap_err();
    assert!(err.to_string().contains("chained"), "{err}");
}
