//! `recorder transcript`.

use std::time::Duration;

use anyhow::Result;

use super::DEFAULT_SERVER;
use super::parse::parse_duration;

#[derive(Debug, clap::Args)]
pub struct TranscriptArgs {
    /// The clip's id, or its URL as `recorder upload` prints it.
    clip: String,
    /// Server base URL (when CLIP is an id).
    #[arg(long, env = "OFFBEAT_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    #[arg(long, value_enum, default_value_t = recorder::transcript::Format::Text)]
    format: recorder::transcript::Format,
    /// Give up waiting after this long, e.g. 30s or 5m [default: wait as long as it takes]
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
}

impl TranscriptArgs {
    pub fn run(self) -> Result<()> {
        let (server, id) = recorder::transcript::locate(&self.clip, &self.server);
        let text = recorder::transcript::fetch(&server, &id, self.format, self.timeout)?;
        print!("{text}");
        Ok(())
    }
}
