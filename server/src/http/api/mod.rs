//! The JSON API's handlers, one file per domain; their URLs (and their descriptions, from
//! each handler's `#[utoipa::path]`) are registered in `http/mod.rs`.

pub mod auth;
pub mod checkins;
pub mod clips;
pub mod health;
pub mod media;
pub mod members;
pub mod posters;
pub mod profile;
pub mod reactions;
pub mod search;
pub mod sharing;
pub mod summaries;
pub mod threads;
pub mod transcripts;
pub mod trims;
pub mod uploads;
pub mod webhooks;
