//! The end-to-end suite, as one test binary: each module drives the real binaries for one
//! capability. One binary rather than one per file links the heavy dependency tree (S3 SDK,
//! s3s, whisper) once instead of a dozen times, which saves minutes and gigabytes on CI.

// A failed expectation in a test is the test failing, with its message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod accounts_sharing;
mod api_contract;
mod backups;
mod checkins;
mod cluster;
mod command_line;
mod hostile_clients;
mod http_semantics;
mod live_recording;
mod models;
mod notifications;
mod operations;
mod outbox;
mod probe;
mod recorder_capture;
mod recorder_convert;
mod server_storage;
mod server_webm;
mod single_sign_on;
mod summaries;
mod threads;
mod transcripts;
mod trims;
mod uploads;
mod web_pages;
mod web_threads;
