//! `recorder encode` and `recorder decode`: files in, files out, no server.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::parse::parse_bitrate;
use super::takes::settings;

#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    input: PathBuf,
    output: PathBuf,
    /// Opus bitrate, e.g. 24k or 32000.
    #[arg(long, default_value = "24k", value_parser = parse_bitrate)]
    bitrate: u32,
    /// Title stored in the file [default: the input's file name]
    #[arg(long)]
    title: Option<String>,
    /// Overwrite an existing output.
    #[arg(long)]
    force: bool,
}

impl EncodeArgs {
    pub fn run(self) -> Result<()> {
        let summary = recorder::convert::encode_wav(
            &self.input,
            &self.output,
            settings(self.bitrate),
            self.title.as_deref(),
            self.force,
        )?;
        eprintln!(
            "Encoded {} → {} ({:.3} s)",
            self.input.display(),
            self.output.display(),
            summary.duration_samples as f64 / 48_000.0
        );
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    input: PathBuf,
    output: PathBuf,
    /// Output sample rate in Hz.
    #[arg(long, default_value_t = 48_000)]
    rate: u32,
    /// Write 32-bit float samples instead of 16-bit PCM.
    #[arg(long)]
    float: bool,
    /// Overwrite an existing output.
    #[arg(long)]
    force: bool,
}

impl DecodeArgs {
    pub fn run(self) -> Result<()> {
        if !(8_000..=192_000).contains(&self.rate) {
            bail!("--rate must be between 8000 and 192000 Hz");
        }
        let report = recorder::convert::decode_to_wav(&self.input, &self.output, self.rate, self.float, self.force)?;
        if report.truncated {
            eprintln!(
                "note: {} was cut off (an interrupted recording?); decoded the {:.2} s it holds",
                self.input.display(),
                report.seconds
            );
        }
        eprintln!(
            "Decoded {} → {} ({:.3} s)",
            self.input.display(),
            self.output.display(),
            report.seconds
        );
        Ok(())
    }
}
