//! Hostile and broken upload bodies against the router in process: each gets a 4xx with a
//! clear message, nothing is stored or left staged, and the server answers on.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::Method;
use media::{EncoderSettings, InputFormat, OggOpusEncoder, OpusHead, OpusTags};
use ogg::{PacketWriteEndInfo as End, PacketWriter};
use support::{Backend, CLIP, Harness};

/// A valid clip from our encoder: one second of a tone.
fn valid_clip() -> Vec<u8> {
    let input = InputFormat {
        sample_rate: 48_000,
        channels: 1,
    };
    let mut enc = OggOpusEncoder::new(Vec::new(), input, EncoderSettings::default(), OpusTags::new("t")).unwrap();
    let tone: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    enc.push(&tone).unwrap();
    enc.finish().unwrap().0
}

/// An Ogg stream of the given packets (serial 1): (data, page ending, granule).
fn ogg(packets: &[(Vec<u8>, End, u64)]) -> Vec<u8> {
    let mut w = PacketWriter::new(Vec::new());
    for (data, end, granule) in packets {
        w.write_packet(data.clone(), 1, *end, *granule).unwrap();
    }
    w.into_inner()
}

fn head() -> Vec<u8> {
    OpusHead::mono(312, 48_000).to_bytes()
}

fn tags() -> Vec<u8> {
    OpusTags::new("test").to_bytes()
}

/// 20 ms of silence as a real Opus packet.
fn silent_packet() -> Vec<u8> {
    let mut enc = opus_encoder();
    let mut out = vec![0u8; 1275];
    let n = enc.encode_float(&[0.0; 960], &mut out).unwrap();
    out.truncate(n);
    out
}

fn opus_encoder() -> opus::Encoder {
    opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap()
}

/// 0.3 s of a tone in Ogg, made by FFmpeg's encoders for other codecs than Opus.
const VORBIS_IN_OGG: &[u8] = include_bytes!("../../tests/fixtures/tone-vorbis.ogg");
const FLAC_IN_OGG: &[u8] = include_bytes!("../../tests/fixtures/tone-flac.ogg");

fn lcg_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

async fn malformed_bodies_get_clear_4xx_and_leave_nothing(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let olive = server.person("Olive", "Team").await;
    let valid = valid_clip();
    let audio = silent_packet();

    let mut bad_version = head();
    bad_version[8] = 0x10;
    let mut zero_channels = head();
    zero_channels[9] = 0;
    let mut multistream = head();
    multistream[9] = 2;
    multistream[18] = 1;
    multistream.extend_from_slice(&[2, 0, 0, 1]);
    let mut absurd_tags = tags();
    let n = absurd_tags.len();
    absurd_tags[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut bad_crc = valid.clone();
    let last = bad_crc.len() - 3;
    bad_crc[last] ^= 0xff;
    let mut wrong_magic = valid.clone();
    wrong_magic[3] = b'X';
    let mut bad_structure = valid.clone();
    bad_structure[4] = 1;
    let header_pages = ogg(&[(head(), End::EndPage, 0), (tags(), End::EndPage, 0)]);
    let mut junk_between_pages = header_pages.clone();
    junk_between_pages.extend_from_slice(b"not a page at all");
    junk_between_pages.extend_from_slice(&valid[header_pages.len()..]);
    let mut two_streams = ogg(&[(head(), End::EndPage, 0)]);
    let mut second = PacketWriter::new(Vec::new());
    second.write_packet(head(), 2, End::EndPage, 0).unwrap();
    two_streams.extend(second.into_inner());
    two_streams.extend(ogg(&[(tags(), End::EndPage, 0)]));
    let webm_video_only: Vec<u8> = [
        &[0x1a, 0x45, 0xdf, 0xa3, 0x9f][..],
        &[
            0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3, 0x81, 0x08,
        ],
        &[
            0x42, 0x82, 0x84, b'w', b'e', b'b', b'm', 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02,
        ],
        // Segment (unknown size) → Tracks → one VP8 video track.
        &[0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[
            0x16, 0x54, 0xae, 0x6b, 0x8f, 0xae, 0x8d, 0xd7, 0x81, 0x01, 0x83, 0x81, 0x01, 0x86, 0x85, b'V', b'_', b'V',
            b'P', b'8',
        ],
    ]
    .concat();

    let chromium_audio = CLIP;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("empty body", Vec::new(), 400),
        ("only the Ogg magic", b"OggS".to_vec(), 400),
        ("a page header and nothing else", valid[..27].to_vec(), 400),
        ("truncated inside the OpusHead page", valid[..40].to_vec(), 400),
        ("wrong magic", wrong_magic, 415),
        ("random bytes", lcg_bytes(4096), 415),
        (
            "a WAV file",
            [b"RIFF\x24\x00\x00\x00WAVEfmt ".as_slice(), &[0; 64]].concat(),
            415,
        ),
        ("an MP3 with ID3", [b"ID3\x04\x00".as_slice(), &[0; 64]].concat(), 415),
        (
            "an MP4",
            [b"\x00\x00\x00\x18ftypmp42".as_slice(), &[0; 64]].concat(),
            415,
        ),
        ("HTML", b"<html><body>hello</body></html>".to_vec(), 415),
        ("JSON", br#"{"title": "not audio"}"#.to_vec(), 415),
        ("Ogg carrying Vorbis", VORBIS_IN_OGG.to_vec(), 415),
        ("Ogg carrying FLAC", FLAC_IN_OGG.to_vec(), 415),
        (
            "OpusHead of an unknown major version",
            ogg(&[(bad_version, End::EndPage, 0), (tags(), End::EndPage, 0)]),
            415,
        ),
        (
            "multistream Opus",
            ogg(&[(multistream, End::EndPage, 0), (tags(), End::EndPage, 0)]),
            415,
        ),
        (
            "OpusHead with zero channels",
            ogg(&[(zero_channels, End::EndPage, 0), (tags(), End::EndPage, 0)]),
            400,
        ),
        (
            "OpusHead too short",
            ogg(&[
                (b"OpusHead\x01\x01".to_vec(), End::EndPage, 0),
                (tags(), End::EndPage, 0),
            ]),
            400,
        ),
        (
            "no OpusTags (audio in its place)",
            ogg(&[(head(), End::EndPage, 0), (audio.clone(), End::EndPage, 960)]),
            400,
        ),
        (
            "OpusTags with an absurd comment count",
            ogg(&[(head(), End::EndPage, 0), (absurd_tags, End::EndPage, 0)]),
            400,
        ),
        (
            "headers and no audio",
            ogg(&[(head(), End::EndPage, 0), (tags(), End::EndStream, 0)]),
            400,
        ),
        ("a corrupted page (checksum)", bad_crc, 400),
        ("an unknown Ogg structure version", bad_structure, 400),
        ("junk between pages", junk_between_pages, 400),
        ("two multiplexed streams", two_streams, 400),
        (
            "an invalid Opus packet",
            ogg(&[
                (head(), End::EndPage, 0),
                (tags(), End::EndPage, 0),
                (vec![0x03, 0x00], End::EndStream, 960),
            ]),
            400,
        ),
        (
            "an absurdly large packet (5 MiB over many pages)",
            ogg(&[
                (head(), End::EndPage, 0),
                (tags(), End::EndPage, 0),
                (vec![0x55; 5 << 20], End::EndStream, 960),
            ]),
            400,
        ),
        ("WebM without an audio track", webm_video_only.clone(), 415),
        ("a WebM header cut short", chromium_audio[..10].to_vec(), 400),
        ("WebM cut off before any audio", chromium_audio[..400].to_vec(), 400),
        (
            "EBML that is not WebM",
            [&webm_video_only[..24], b"mkv!", &webm_video_only[28..]].concat(),
            400,
        ),
    ];
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (name, body, expected) in &cases {
        let answer = server
            .call(Method::POST, "/api/v1/clips", Some(&olive), Body::from(body.clone()))
            .await;
        let status = answer.status.as_u16();
        let message = if status >= 400 {
            answer.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        } else {
            String::new()
        };
        println!("{name}: {status} {message}");
        if status != *expected || message.trim().is_empty() {
            failures.push(format!("{name}: expected {expected}, got {status} ({message:?})"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Nothing stored or left staged, and the server is still fine.
    let listing = server.get("/api/v1/clips", &olive).await.json();
    assert_eq!(listing["clips"].as_array().unwrap().len(), 0);
    assert_eq!(server.get("/readyz", &olive).await.status, 200);
    let staged = std::fs::read_dir(&server.state.staging_dir).unwrap().count();
    assert_eq!(staged, 0, "files left in staging");
}

on_every_database!(malformed_bodies_get_clear_4xx_and_leave_nothing,);
