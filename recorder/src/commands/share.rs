//! `recorder upload` and `recorder share`: a clip onto the server, and its link.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::parse::parse_duration;
use super::takes::{Announce, record_live, take_meta, take_options};

#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    file: PathBuf,
    #[command(flatten)]
    server: super::ServerChoice,
    /// Title [default: the one stored in the file]
    #[arg(long)]
    title: Option<String>,
    /// Kept for older scripts; the server names the signed-in uploader as the author.
    #[arg(long, env = "OFFBEAT_AUTHOR", hide = true)]
    author: Option<String>,
}

impl UploadArgs {
    pub fn run(self) -> Result<()> {
        let clip = recorder::upload::upload(
            &self.file,
            &self.server.url(),
            self.title.as_deref(),
            self.author.as_deref(),
        )?;
        eprintln!("Uploaded {:?} ({:.1} s)", clip.title, clip.duration_ms as f64 / 1000.0);
        println!("{}", clip.page_url.as_deref().unwrap_or(&clip.url));
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub struct ShareArgs {
    /// Share this file instead of recording: Ogg Opus, WebM, or a WAV (encoded first).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Its title. At a terminal, asked for when not given; left empty, the transcript's first
    /// words become the title.
    #[arg(long)]
    title: Option<String>,
    /// Anyone with the link may watch (not only your workspace).
    #[arg(long)]
    public: bool,
    #[command(flatten)]
    server: super::ServerChoice,
    /// Stop recording by itself after this long.
    #[arg(long, value_parser = parse_duration)]
    max_duration: Option<Duration>,
}

/// What was shared, as the command reports it.
struct Shared {
    title: String,
    duration_ms: u64,
    link: String,
}

impl ShareArgs {
    pub fn run(mut self) -> Result<()> {
        if self.title.is_none() {
            self.title = ask_title()?;
        }
        let shared = match &self.file {
            Some(file) => self.share_file(file)?,
            None => {
                let meta = take_meta(&self.server.url(), self.title.clone(), self.public, None, None);
                let clip = record_live(meta, take_options(self.max_duration, self.title), Announce::Link)?;
                Shared {
                    title: clip["title"].as_str().unwrap_or_default().to_owned(),
                    duration_ms: clip["duration_ms"].as_u64().unwrap_or(0),
                    link: clip["page_url"].as_str().unwrap_or_default().to_owned(),
                }
            }
        };
        let copied = recorder::threads::copy_to_clipboard(&shared.link);
        eprintln!(
            "Shared {:?} ({:.1} s){}",
            shared.title,
            shared.duration_ms as f64 / 1000.0,
            if copied { "; link copied to the clipboard" } else { "" }
        );
        println!("{}", shared.link);
        Ok(())
    }

    /// Uploads `file`, opening its link to anyone with it when `--public`.
    fn share_file(&self, file: &std::path::Path) -> Result<Shared> {
        let clip = recorder::upload::upload(file, &self.server.url(), self.title.as_deref(), None)?;
        let api = recorder::threads::Api::new(&self.server.url());
        let mut shown = api.get(&format!("/api/v1/clips/{}", clip.id))?;
        if self.public {
            shown = api.call_patch(
                &format!("/api/v1/clips/{}/sharing", clip.id),
                &serde_json::json!({ "visibility": "link" }),
            )?;
        }
        let link = shown["sharing"]["url"]
            .as_str()
            .or(clip.page_url.as_deref())
            .unwrap_or(&clip.url)
            .to_owned();
        Ok(Shared {
            title: clip.title,
            duration_ms: clip.duration_ms,
            link,
        })
    }
}

/// At a terminal, the title the user types (`None` for none); elsewhere (scripts, pipes) none,
/// without asking.
fn ask_title() -> Result<Option<String>> {
    use std::io::{BufRead, IsTerminal, Write};
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(None);
    }
    eprint!("Title (Enter for none: the first words you say become it): ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let title = line.trim();
    Ok((!title.is_empty()).then(|| title.to_owned()))
}
