//! `recorder checkin`: what check-ins wait for my answer, and answering one — recorded (sent
//! while it is recorded, like `share`), from a file, or in writing.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use recorder::threads::Api;
use serde_json::{Value, json};

use super::parse::parse_duration;
use super::takes::{Announce, record_live, take_meta, take_options};

#[derive(Debug, clap::Args)]
pub struct CheckinArgs {
    /// Answer the round soonest due, by recording it now.
    #[arg(long, conflicts_with_all = ["text", "file"])]
    record: bool,
    /// Answer in writing.
    #[arg(long, conflicts_with = "file")]
    text: Option<String>,
    /// Answer with this clip (Ogg Opus, WebM or WAV).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The round to answer (its page link or id) [default: the one soonest due].
    #[arg(long)]
    round: Option<String>,
    #[command(flatten)]
    server: super::ServerChoice,
    /// Stop recording by itself after this long.
    #[arg(long, value_parser = parse_duration)]
    max_duration: Option<Duration>,
}

impl CheckinArgs {
    pub fn run(self) -> Result<()> {
        let api = Api::new(&self.server.url());
        let due = api.get("/api/v1/checkins/due")?;
        let due = due["due"].as_array().cloned().unwrap_or_default();
        if !self.record && self.text.is_none() && self.file.is_none() {
            print!("{}", render_due(&due));
            return Ok(());
        }
        let round = match (&self.round, due.first()) {
            (Some(given), _) => round_id(given),
            (None, Some(soonest)) => soonest["round_id"].as_str().unwrap_or_default().to_owned(),
            (None, None) => bail!("nothing is due: no check-in waits for your answer"),
        };
        let answers = format!("/api/v1/checkins/rounds/{round}/answers");
        if let Some(text) = self.text {
            api.post(&answers, &json!({ "text": text }))?;
        } else if let Some(file) = self.file {
            let clip = recorder::upload::upload(&file, api.server(), None, None)?;
            api.post(&answers, &json!({ "clip_id": clip.id }))?;
        } else {
            // Recorded into the outbox and sent as it is recorded; finishing posts the answer.
            let mut meta = take_meta(api.server(), None, false, None, None);
            meta.answer_round = Some(round.clone());
            record_live(meta, take_options(self.max_duration, None), Announce::Quietly)?;
        }
        eprintln!("Answered.");
        println!("{}/checkins/rounds/{round}", api.server());
        Ok(())
    }
}

/// A round's id from its page link (`…/checkins/rounds/<id>`) or the id itself.
fn round_id(link_or_id: &str) -> String {
    link_or_id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(link_or_id)
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// What is due, as a person reads it.
fn render_due(due: &[Value]) -> String {
    if due.is_empty() {
        return "Nothing is due: no check-in waits for your answer.\n".to_owned();
    }
    let mut out = String::new();
    for item in due {
        let due_at = item["due_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Local).format("%H:%M").to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "{} ({}) — due by {due_at}\n",
            item["title"].as_str().unwrap_or_default(),
            item["date"].as_str().unwrap_or_default()
        ));
        for (n, question) in item["questions"].as_array().into_iter().flatten().enumerate() {
            out.push_str(&format!("  {}. {}\n", n + 1, question.as_str().unwrap_or_default()));
        }
        out.push_str(&format!("  {}\n", item["page_url"].as_str().unwrap_or_default()));
    }
    out.push_str("Answer with: recorder checkin --record | --text \"…\" | --file F\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_is_named_by_its_page_or_its_id() {
        assert_eq!(round_id("http://h:8080/checkins/rounds/abc123/"), "abc123");
        assert_eq!(round_id("http://h/checkins/rounds/abc123#r-x"), "abc123");
        assert_eq!(round_id("abc123"), "abc123");
    }

    #[test]
    fn nothing_due_says_so_and_due_lists_the_questions() {
        assert!(render_due(&[]).starts_with("Nothing is due"));
        let due = vec![json!({
            "title": "Stand-up", "date": "2026-12-08", "due_at": "2026-12-08T12:00:00Z",
            "questions": ["What did you do?", "What next?"], "page_url": "http://h/checkins/rounds/r1"
        })];
        let text = render_due(&due);
        assert!(text.contains("Stand-up (2026-12-08) — due by "), "{text}");
        assert!(
            text.contains("  2. What next?\n") && text.contains("http://h/checkins/rounds/r1"),
            "{text}"
        );
    }
}
