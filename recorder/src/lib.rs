//! The Offbeat recorder: capture the microphone into Ogg Opus, and convert WAV to and from it.
//!
//! `capture` (cpal, real-time side) → `record` (drain, meter, encode) → `media` (Opus, Ogg).

pub mod account;
pub mod browser_login;
pub mod capture;
pub mod convert;
pub mod credentials;
pub mod devices;
pub mod error;
pub mod live_send;
pub mod members;
pub mod meter;
pub mod outbox;
pub mod record;
pub mod tags;
pub mod threads;
pub mod transcript;
pub mod tus;
pub mod upload;

pub use error::RecorderError;
