//! `recorder transcript`.

use std::time::Duration;

use anyhow::Result;

use super::parse::parse_duration;

#[derive(Debug, clap::Args)]
pub struct TranscriptArgs {
    /// The clip's page link (as `share` prints it), its API URL, or its id.
    clip: String,
    #[command(flatten)]
    server: super::ServerChoice,
    #[arg(long, value_enum, default_value_t = recorder::transcript::Format::Text)]
    format: recorder::transcript::Format,
    /// Give up waiting after this long, e.g. 30s or 5m [default: wait as long as it takes]
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
}

impl TranscriptArgs {
    pub fn run(self) -> Result<()> {
        let server = recorder::threads::server_of(&self.clip).unwrap_or_else(|| self.server.url());
        let id = recorder::threads::Api::new(&server).clip_id(&self.clip)?;
        let text = recorder::transcript::fetch(&server, &id, self.format, self.timeout)?;
        print!("{text}");
        Ok(())
    }
}
