//! The administration commands (`server user …`, `server models fetch`, `server backup`,
//! `server restore`), run against the same data directory as the server (which may be running).

pub mod backup;
pub mod models;
pub mod users;
