//! Encode → Ogg → decode round trips through real libopus.

// A failed expectation is a failed test: panicking is the point.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Cursor;

use media::{
    DecodeOptions, EncoderSettings, InputFormat, MediaError, OggOpusEncoder, OggOpusReader, OpusTags, PcmDecoder,
};

fn tone(rate: u32, channels: u16, secs: f64) -> Vec<f32> {
    let frames = (f64::from(rate) * secs).round() as usize;
    (0..frames)
        .flat_map(|i| {
            let t = i as f32 / rate as f32;
            let s = (2.0 * std::f32::consts::PI * 300.0 * t).sin() * 0.4;
            std::iter::repeat_n(s, usize::from(channels))
        })
        .collect()
}

fn encode(pcm: &[f32], rate: u32, channels: u16, settings: EncoderSettings) -> Vec<u8> {
    let input = InputFormat {
        sample_rate: rate,
        channels,
    };
    let mut enc = OggOpusEncoder::new(Vec::new(), input, settings, OpusTags::new("test")).unwrap();
    for chunk in pcm.chunks(1234 * usize::from(channels)) {
        enc.push(chunk).unwrap();
    }
    enc.finish().unwrap().0
}

#[test]
fn duration_is_exact_at_every_rate() {
    for rate in [8_000, 16_000, 44_100, 48_000] {
        for secs in [0.0, 0.013, 1.0, 2.345_67] {
            let pcm = tone(rate, 1, secs);
            let bytes = encode(&pcm, rate, 1, EncoderSettings::default());
            let facts = OggOpusReader::new(Cursor::new(&bytes)).unwrap().scan().unwrap();
            let expected = (pcm.len() as u64 * 48_000 + u64::from(rate) / 2) / u64::from(rate);
            assert_eq!(facts.duration_samples, expected, "{rate} Hz, {secs} s");
            assert!(!facts.truncated);
            assert_eq!(facts.head.input_sample_rate, rate);
            let decoded = PcmDecoder::new(
                OggOpusReader::new(Cursor::new(&bytes)).unwrap(),
                DecodeOptions::default(),
            )
            .unwrap()
            .decode_to_end()
            .unwrap();
            assert_eq!(decoded.len() as u64, expected, "decoded length, {rate} Hz, {secs} s");
        }
    }
}

#[test]
fn decoded_audio_matches_the_input() {
    let pcm = tone(48_000, 2, 1.0);
    let bytes = encode(&pcm, 48_000, 2, EncoderSettings::default());
    let decoded = PcmDecoder::new(
        OggOpusReader::new(Cursor::new(&bytes)).unwrap(),
        DecodeOptions::default(),
    )
    .unwrap()
    .decode_to_end()
    .unwrap();
    let mono: Vec<f32> = pcm.chunks(2).map(|f| f[0]).collect();
    // Pre-skip removal aligns the output with the input: the best lag must be within 8 samples
    // (0.17 ms; SILK's own phase shifts it a few samples), where a wrong pre-skip would be 312.
    let best = (-8i64..=8)
        .map(|lag| {
            correlation(
                &mono[2000..46_000],
                &decoded[(2000 + lag) as usize..(46_000 + lag) as usize],
            )
        })
        .fold(f64::MIN, f64::max);
    assert!(best > 0.95, "correlation {best}");
}

fn correlation(x: &[f32], y: &[f32]) -> f64 {
    let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
    for (a, b) in x.iter().zip(y) {
        xy += f64::from(*a) * f64::from(*b);
        xx += f64::from(*a).powi(2);
        yy += f64::from(*b).powi(2);
    }
    xy / (xx * yy).sqrt()
}

#[test]
fn decodes_to_16k_mono_for_speech_models() {
    let pcm = tone(48_000, 1, 1.5);
    let bytes = encode(&pcm, 48_000, 1, EncoderSettings::default());
    let options = DecodeOptions {
        sample_rate: 16_000,
        mono: true,
    };
    let decoded = PcmDecoder::new(OggOpusReader::new(Cursor::new(&bytes)).unwrap(), options)
        .unwrap()
        .decode_to_end()
        .unwrap();
    assert_eq!(decoded.len(), 24_000);
}

#[test]
fn headers_carry_tags_and_pre_skip() {
    let tags = OpusTags::new("offbeat test")
        .with("TITLE", "Q3 budget")
        .with("DATE", "2026-11-25T09:30:00+09:00");
    let input = InputFormat {
        sample_rate: 48_000,
        channels: 1,
    };
    let enc = OggOpusEncoder::new(Vec::new(), input, EncoderSettings::default(), tags).unwrap();
    let bytes = enc.finish().unwrap().0;
    let reader = OggOpusReader::new(Cursor::new(&bytes)).unwrap();
    assert!(reader.head().pre_skip > 0, "pre-skip must be the encoder's lookahead");
    assert_eq!(reader.tags().get("title"), Some("Q3 budget"));
    assert_eq!(reader.tags().get("DATE"), Some("2026-11-25T09:30:00+09:00"));
    assert!(reader.tags().get("ENCODER").is_some_and(|v| v.contains("libopus")));
}

#[test]
fn pages_are_flushed_every_second_so_a_cut_file_plays() {
    let pcm = tone(48_000, 1, 5.0);
    let bytes = encode(&pcm, 48_000, 1, EncoderSettings::default());
    // Cut the file in the middle of a page, as a killed process would.
    let cut = &bytes[..bytes.len() * 7 / 10 + 3];
    let facts = OggOpusReader::new(Cursor::new(cut)).unwrap().scan().unwrap();
    assert!(facts.truncated);
    let secs = facts.duration_secs();
    assert!((2.5..4.0).contains(&secs), "kept {secs} s of 5 s");
}

#[test]
fn dropping_the_encoder_still_ends_the_stream() {
    let mut out = Vec::new();
    {
        let input = InputFormat {
            sample_rate: 48_000,
            channels: 1,
        };
        let mut enc = OggOpusEncoder::new(&mut out, input, EncoderSettings::default(), OpusTags::new("t")).unwrap();
        enc.push(&tone(48_000, 1, 0.5)).unwrap();
    }
    let facts = OggOpusReader::new(Cursor::new(&out)).unwrap().scan().unwrap();
    assert!(!facts.truncated);
    assert_eq!(facts.duration_samples, 24_000);
}

#[test]
fn rejects_what_is_not_ogg_opus() {
    let wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".repeat(4);
    let err = OggOpusReader::new(Cursor::new(&wav)).unwrap_err();
    assert!(err.to_string().contains("WAV"), "{err}");
    assert!(matches!(
        OggOpusReader::new(Cursor::new(b"")),
        Err(MediaError::Truncated)
    ));

    // A valid Ogg page carrying Vorbis instead of Opus.
    let mut pages = ogg::PacketWriter::new(Vec::new());
    pages
        .write_packet(
            b"\x01vorbis\x00\x00\x00\x00\x01".to_vec(),
            7,
            ogg::PacketWriteEndInfo::EndPage,
            0,
        )
        .unwrap();
    let err = OggOpusReader::new(Cursor::new(pages.into_inner())).unwrap_err();
    assert!(err.to_string().contains("Vorbis"), "{err}");

    // A flipped bit in the body fails the page checksum.
    let mut bytes = encode(&tone(48_000, 1, 0.2), 48_000, 1, EncoderSettings::default());
    let n = bytes.len();
    bytes[n - 5] ^= 0x40;
    let err = OggOpusReader::new(Cursor::new(&bytes)).unwrap().scan().unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
}
