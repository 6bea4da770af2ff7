//! The fuzz targets (`server::fuzzing`), replayed on every test run over their seeds, inputs
//! built to sit on their edges, and every input a fuzzer ever found that broke one
//! (`fuzz/regressions/<target>/`, kept there by `scripts/fuzz`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

/// Every input kept for `target` after it broke it once.
fn regressions(target: &str) -> Vec<Vec<u8>> {
    std::fs::read_dir(Path::new(REGRESSIONS).join(target))
        .map(|dir| dir.flatten().map(|e| std::fs::read(e.path()).unwrap()).collect())
        .unwrap_or_default()
}

/// `input`, and every shorter prefix of it at a spread of lengths, and a few with a byte changed.
fn mangled(input: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![input.to_vec()];
    for n in [
        0,
        1,
        4,
        27,
        28,
        64,
        100,
        512,
        4096,
        input.len() / 2,
        input.len().saturating_sub(1),
    ] {
        out.push(input[..n.min(input.len())].to_vec());
    }
    for (i, at) in [4usize, 27, 40, 64, 200, 1000].iter().enumerate() {
        if *at < input.len() {
            let mut changed = input.to_vec();
            changed[*at] ^= 0x5a + i as u8;
            out.push(changed);
        }
    }
    out
}

#[test]
fn the_ogg_opus_reader_takes_anything() {
    let mut inputs = Vec::new();
    for seed in ["speech.opus", "tone-flac.ogg", "tone-vorbis.ogg"] {
        inputs.extend(mangled(&fixture(seed)));
    }
    inputs.extend(regressions("ogg_opus"));
    for input in &inputs {
        server::fuzzing::ogg_opus(input);
    }
    let mut pieces: Vec<Vec<u8>> = inputs
        .iter()
        .flat_map(|i| [1u8, 3, 200].map(|size| [&[size][..], i].concat()))
        .collect();
    pieces.extend(regressions("ogg_opus_in_pieces"));
    for input in &pieces {
        server::fuzzing::ogg_opus_in_pieces(input);
    }
}

#[test]
fn the_webm_walk_takes_anything() {
    let mut inputs = Vec::new();
    for seed in ["chromium-audio.webm", "chromium-video.webm"] {
        inputs.extend(mangled(&fixture(seed)));
    }
    // A header claiming sizes far past the end, and an element of unknown size.
    inputs.push(vec![
        0x1a, 0x45, 0xdf, 0xa3, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    inputs.push(vec![
        0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x18, 0x53, 0x80, 0x67, 0xff,
    ]);
    inputs.extend(regressions("webm"));
    for input in &inputs {
        server::fuzzing::webm(input);
    }
}

#[test]
fn tus_headers_take_anything() {
    let mut inputs: Vec<Vec<u8>> = [
        "0",
        "-1",
        "18446744073709551616",
        "9223372036854775807",
        " 12",
        "title SGVsbG8=,filename dGFrZS53ZWJt",
        "title ,,, x",
        "title !!!notbase64",
        "title /w==",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    inputs.push(vec![0xff, 0xfe, b'1']);
    inputs.extend(regressions("tus_headers"));
    for input in &inputs {
        server::fuzzing::tus_headers(input);
    }
}

#[test]
fn ranges_stay_inside_the_body() {
    let mut inputs = Vec::new();
    for size in [0u64, 1, 10, 10_000, u64::MAX] {
        for spec in [
            "bytes=0-99",
            "bytes=-500",
            "bytes=-0",
            "bytes=100-",
            "bytes=5-4",
            "bytes=0-0,5-9",
            "bytes=18446744073709551615-",
            "bytes=-18446744073709551615",
            "bytes= 1 - 2 ",
            "items=0-1",
            "bytes=--1",
        ] {
            inputs.push([&size.to_le_bytes()[..], spec.as_bytes()].concat());
        }
    }
    inputs.extend(regressions("range"));
    for input in &inputs {
        server::fuzzing::range(input);
    }
}

#[test]
fn search_text_is_never_syntax() {
    let mut inputs: Vec<Vec<u8>> = [
        "budget \"quarterly review\" thurs*",
        "NEAR(a b) OR NOT c:* & | ! <->",
        "\"unclosed phrase",
        "\"\"\"\"",
        "***",
        "a\0b",
        "x:* y<->z",
        "'; DROP TABLE clips; --",
        "Ω≈ç√∫ 東京 ﷽",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    inputs.push(vec![0xc3, 0x28, b'"', 0xa0, 0xa1]);
    inputs.extend(regressions("search_query"));
    for input in &inputs {
        server::fuzzing::search_query(input);
    }
}
