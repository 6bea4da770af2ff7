//! Helpers for Offbeat's end-to-end tests: real binaries, a real PulseAudio daemon with a
//! virtual microphone, real reference tools (opusinfo, ffprobe, espeak-ng, sox).
//!
//! Nothing here fakes a component. What a test needs and cannot find makes it fail, loudly,
//! saying what to install (`scripts/install-deps` installs all of it).

// Test support: a failed expectation here is a failed test, so panicking is the point.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod audio;
pub mod file_server;
pub mod http;
pub mod llama_server;
pub mod oidc_provider;
#[path = "../../server/tests/support/postgres.rs"]
pub mod postgres;
pub mod process;
pub mod proxy;
pub mod pulse;
pub mod s3;
pub mod seaweedfs;
pub mod server;
pub mod smtp;
pub mod speech;
pub mod tools;
pub mod usage;
pub mod wait;
pub mod webhook_receiver;

/// Whether a benchmark runs as a quick smoke test (`scripts/bench smoke`, which the test suite
/// runs): tiny inputs and one run, so a benchmark that breaks fails CI instead of rotting.
pub fn bench_smoke() -> bool {
    std::env::var_os("OFFBEAT_BENCH_SMOKE").is_some()
}
