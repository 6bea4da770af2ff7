//! The way in: a take's bytes from the request to a stored clip. `ingest` stages, analyses and
//! stores a body and commits its row; `session_parts` sends a resumable session's whole parts on
//! to S3 while it records; `staging` writes a body to its staged file as it arrives; `quotas` bounds what a member may stage and a workspace store;
//! `files` keeps file work off the async runtime.

pub mod files;
pub mod ingest;
pub mod quotas;
pub mod session_parts;
pub mod staging;
