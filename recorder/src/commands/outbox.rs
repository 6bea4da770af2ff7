//! `recorder outbox`: takes left waiting (after a crash or without a network), sent now.

use anyhow::{Result, bail};

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Only list them.
    #[arg(long)]
    list: bool,
}

impl OutboxArgs {
    pub fn run(self) -> Result<()> {
        let strays = recorder::outbox::strays();
        let pending = recorder::outbox::pending();
        if pending.is_empty() && strays.is_empty() {
            eprintln!("The outbox is empty.");
            return Ok(());
        }
        for take in &strays {
            let size = std::fs::metadata(take).map(|m| m.len()).unwrap_or(0);
            eprintln!(
                "{} ({size} bytes): no note of where it goes — send it with `recorder upload {}`, or delete it",
                take.display(),
                take.display()
            );
        }
        let mut failed = if self.list { 0 } else { strays.len() };
        for (take, meta) in pending {
            let size = std::fs::metadata(&take).map(|m| m.len()).unwrap_or(0);
            eprintln!("{} ({} bytes) → {}", take.display(), size, meta.server);
            if self.list {
                continue;
            }
            match recorder::outbox::send(&take, meta, 5) {
                Ok(clip) => println!(
                    "{}",
                    clip["page_url"].as_str().or(clip["url"].as_str()).unwrap_or_default()
                ),
                Err(err) => {
                    eprintln!("error: {err}");
                    failed += 1;
                }
            }
        }
        if failed > 0 {
            bail!("{failed} take(s) are still in the outbox");
        }
        Ok(())
    }
}
