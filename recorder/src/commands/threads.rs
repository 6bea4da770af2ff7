//! `recorder reply`, `recorder thread` and `recorder inbox`: conversations; `recorder members`:
//! who is around to have them.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use recorder::threads::Api;

use super::parse::parse_duration;
use super::takes::{Announce, record_live, take_meta, take_options};

#[derive(Debug, clap::Args)]
pub struct ReplyArgs {
    /// A share link, clip or thread URL, or clip id.
    link: String,
    /// Point at a moment of the clip answered, e.g. 1:23.
    #[arg(long, value_parser = recorder::threads::parse_moment)]
    at: Option<i64>,
    #[arg(long, conflicts_with = "file")]
    text: Option<String>,
    /// Reply with this clip instead of recording one.
    #[arg(long)]
    file: Option<PathBuf>,
    #[command(flatten)]
    server: super::ServerChoice,
    /// Stop recording by itself after this long.
    #[arg(long, value_parser = parse_duration)]
    max_duration: Option<Duration>,
}

impl ReplyArgs {
    pub fn run(self) -> Result<()> {
        let server = recorder::threads::server_of(&self.link).unwrap_or_else(|| self.server.url());
        let api = Api::new(&server);
        let clip_id = api.clip_id(&self.link)?;
        let mut body = serde_json::json!({ "at_ms": self.at });
        let anchor = if let Some(text) = self.text {
            body["text"] = serde_json::json!(text);
            posted(&api, &clip_id, &body)?
        } else if let Some(file) = self.file {
            // A reply is read in its thread: no title of its own (not the file's name, nor a
            // title tag the file carries).
            let clip = recorder::upload::upload(&file, api.server(), Some(""), None)?;
            body["clip_id"] = serde_json::json!(clip.id);
            posted(&api, &clip_id, &body)?
        } else {
            // Recorded into the outbox and sent as it is recorded; finishing also posts the
            // reply.
            let meta = take_meta(api.server(), None, false, Some(clip_id.clone()), self.at);
            record_live(meta, take_options(self.max_duration, None), Announce::Quietly)?;
            self.at.map(|a| format!("{}:{:02}", a / 60_000, a / 1000 % 60))
        };
        eprintln!("Replied{}", anchor.map(|a| format!(" at {a}")).unwrap_or_default());
        // The page of the thread, which a person can open.
        let thread = api.get(&format!("/api/v1/threads/{clip_id}"))?;
        match thread["root"]["clip"]["page_url"].as_str() {
            Some(page) => println!("{page}"),
            None => println!("{}/api/v1/threads/{clip_id}", api.server()),
        }
        Ok(())
    }
}

/// Posts a reply; returns its anchor ("1:23") if it has one.
fn posted(api: &Api, clip_id: &str, body: &serde_json::Value) -> Result<Option<String>> {
    let reply = api.post(&format!("/api/v1/threads/{clip_id}/replies"), body)?;
    Ok(reply["anchor"].as_str().map(str::to_owned))
}

#[derive(Debug, clap::Args)]
pub struct ThreadArgs {
    link: String,
    #[command(flatten)]
    server: super::ServerChoice,
    /// Print the server's JSON.
    #[arg(long)]
    json: bool,
}

impl ThreadArgs {
    pub fn run(self) -> Result<()> {
        let server = recorder::threads::server_of(&self.link).unwrap_or_else(|| self.server.url());
        let api = Api::new(&server);
        let clip_id = api.clip_id(&self.link)?;
        let thread = api.get(&format!("/api/v1/threads/{clip_id}"))?;
        if self.json {
            println!("{thread}");
        } else {
            print!("{}", recorder::threads::render_thread(&thread));
        }
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub struct InboxArgs {
    #[command(flatten)]
    server: super::ServerChoice,
}

#[derive(Debug, clap::Args)]
pub struct MembersArgs {
    #[command(flatten)]
    server: super::ServerChoice,
}

impl MembersArgs {
    pub fn run(self) -> Result<()> {
        let api = Api::new(&self.server.url());
        print!("{}", recorder::members::render_members(&api.get("/api/v1/members")?));
        Ok(())
    }
}

impl InboxArgs {
    pub fn run(self) -> Result<()> {
        let api = Api::new(&self.server.url());
        print!("{}", recorder::threads::render_inbox(&api.get("/api/v1/inbox")?));
        Ok(())
    }
}
