//! `recorder record` and `recorder devices`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use recorder::record::RecordOptions;

use super::parse::{parse_bitrate, parse_duration};
use super::takes::{Announce, record, record_live, settings, take_meta};

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Also list devices that cannot be opened for recording now.
    #[arg(long)]
    all: bool,
}

impl DevicesArgs {
    pub fn run(self) -> Result<()> {
        Ok(recorder::devices::list_devices(
            &mut std::io::stdout().lock(),
            self.all,
        )?)
    }
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Output file [default: offbeat-YYYYMMDD-HHMMSS.opus]
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Input device, by name or id (see `recorder devices`) [default: the system default]
    #[arg(long)]
    device: Option<String>,
    /// Opus bitrate, e.g. 24k or 32000.
    #[arg(long, default_value = "24k", value_parser = parse_bitrate)]
    bitrate: u32,
    /// Stop by itself after this long, e.g. 90s, 10m, 1h30m.
    #[arg(long, value_parser = parse_duration)]
    max_duration: Option<Duration>,
    /// Also keep the raw capture as a 32-bit float WAV (device rate and channels).
    #[arg(long)]
    wav: Option<PathBuf>,
    /// Title stored in the file.
    #[arg(long)]
    title: Option<String>,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
    /// Also send it to the server while recording, and print its share link (the link
    /// works from the start; its page says "recording…" until you stop).
    #[arg(long)]
    share: bool,
    /// With --share: anyone with the link may watch (not only your workspace).
    #[arg(long, requires = "share")]
    public: bool,
    #[command(flatten)]
    server: super::ServerChoice,
}

impl RecordArgs {
    pub fn run(self) -> Result<()> {
        let output = self
            .output
            .unwrap_or_else(|| PathBuf::from(chrono::Local::now().format("offbeat-%Y%m%d-%H%M%S.opus").to_string()));
        let options = RecordOptions {
            output,
            device: self.device,
            settings: settings(self.bitrate),
            max_duration: self.max_duration,
            wav: self.wav,
            title: self.title.clone(),
            force: self.force,
            interactive: recorder::record::stderr_is_terminal(),
            settled: None,
        };
        if self.share {
            if options.output.exists() && !self.force {
                return Err(recorder::RecorderError::OutputExists { path: options.output }.into());
            }
            // Recorded in the outbox (so it is sent even if this run dies), and kept at the
            // output path too.
            let meta = take_meta(&self.server.url(), self.title, self.public, None, None);
            let clip = record_live(meta, options.clone(), Announce::Link)?;
            println!("{}", options.output.display());
            println!("{}", clip["page_url"].as_str().unwrap_or_default());
            return Ok(());
        }
        let recorded = record(&options);
        // The file's path is the result, even when the device failed part-way.
        if options.output.exists() {
            println!("{}", options.output.display());
        }
        recorded
    }
}
