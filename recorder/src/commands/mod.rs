//! One module per group of commands: each command's flags (a clap `Args` struct) and what it
//! does with them. The binary's own code, not the library's: the work is in `recorder::…`.

pub mod account;
pub mod files;
pub mod outbox;
pub mod parse;
pub mod record;
pub mod share;
pub mod takes;
pub mod threads;
pub mod transcript;

/// The server flag every command that talks to one takes.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
