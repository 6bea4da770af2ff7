//! The SQL both engines run, written once as plain Rust. SQLite and PostgreSQL share nearly all
//! of it: `$1`-style parameters (SQLite reads `$N` as the N-th), `ON CONFLICT`, `RETURNING`,
//! row values.
//!
//! Each engine's module mounts this directory as a module of its own (`#[path =
//! "../shared/mod.rs"] mod shared;`) beside three names it defines: `Backend` (its database
//! type), `Engine` (its sqlx driver) and `dialect` (what differs between the engines: a few
//! SQL fragments and how a list of ids is bound). So one text is compiled once per engine,
//! against concrete types — no generic bounds over sqlx's traits, no macros — and both
//! go-to-definition and rustfmt see ordinary functions. Search is each engine's own.

use super::{Backend, Engine, dialect};

mod attempts;
mod checkins;
mod clips;
mod invites;
mod notifications;
mod processes;
mod queue;
mod reactions;
mod sign_in_flows;
mod summaries;
mod team;
mod threads;
mod transcripts;
mod uploads;
mod users;
mod webhooks;

/// A transaction that writes, begun as the engine needs (see `dialect::BEGIN_WRITE`).
async fn begin_write(pool: &sqlx::Pool<Engine>) -> sqlx::Result<sqlx::Transaction<'static, Engine>> {
    pool.begin_with(dialect::BEGIN_WRITE).await
}

/// A backend implements every interface on its one pool, so it is each of them itself.
#[async_trait::async_trait]
impl crate::Database for Backend {
    fn clips(&self) -> &dyn crate::ClipStore {
        self
    }
    fn threads(&self) -> &dyn crate::ThreadStore {
        self
    }
    fn users(&self) -> &dyn crate::UserStore {
        self
    }
    fn team(&self) -> &dyn crate::TeamStore {
        self
    }
    fn invites(&self) -> &dyn crate::InviteStore {
        self
    }
    fn notifications(&self) -> &dyn crate::NotificationStore {
        self
    }
    fn webhooks(&self) -> &dyn crate::WebhookStore {
        self
    }
    fn uploads(&self) -> &dyn crate::UploadStore {
        self
    }
    fn jobs(&self) -> &dyn crate::JobQueue {
        self
    }
    fn job_signals(&self) -> &dyn crate::JobSignals {
        self
    }
    fn attempts(&self) -> &dyn crate::AttemptLog {
        self
    }
    fn checkins(&self) -> &dyn crate::CheckinStore {
        self
    }
    fn processes(&self) -> &dyn crate::ProcessRegistry {
        self
    }
    fn transcripts(&self) -> &dyn crate::TranscriptStore {
        self
    }
    fn search(&self) -> &dyn crate::SearchIndex {
        self
    }
    fn summaries(&self) -> &dyn crate::SummaryStore {
        self
    }
    fn reactions(&self) -> &dyn crate::ReactionStore {
        self
    }
    fn sign_in_flows(&self) -> &dyn crate::SignInFlows {
        self
    }

    async fn ping(&self) -> crate::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn snapshot(&self, into: &std::path::Path) -> crate::Result<crate::Snapshot> {
        Ok(self.snapshot_into(into).await?)
    }
}
