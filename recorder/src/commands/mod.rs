//! One module per group of commands: each command's flags (a clap `Args` struct) and what it
//! does with them. The binary's own code, not the library's: the work is in `recorder::…`.

pub mod account;
pub mod checkin;
pub mod files;
pub mod outbox;
pub mod parse;
pub mod record;
pub mod share;
pub mod takes;
pub mod threads;
pub mod transcript;

/// Where commands go when neither `--server`, `OFFBEAT_SERVER` nor a login says.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The `--server` flag every command that talks to a server takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerChoice {
    /// Server base URL [default: the one `recorder login` signed in to last, else
    /// http://127.0.0.1:8080]
    #[arg(long = "server", env = "OFFBEAT_SERVER")]
    given: Option<String>,
}

impl ServerChoice {
    /// The flag's (or the environment's) server, else the remembered one, else the default.
    pub fn url(&self) -> String {
        let chosen = self
            .given
            .clone()
            .or_else(|| recorder::credentials::load().default_server)
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        recorder::credentials::normalise(&chosen)
    }
}
