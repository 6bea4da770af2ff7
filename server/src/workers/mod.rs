//! Everything the server does in the background, started in one place ([`start`]).
//!
//! Work is a job in the database's one queue (`db::queue`): each kind of job has a lane of
//! workers here ([`lane`]) that claims its jobs under a lease, renews the lease while it works,
//! ends each turn the same way (done, retried with the kind's backoff, postponed, dropped or
//! given up, the reason kept), and sleeps until the kind's bell rings (work queued here or,
//! through the database, anywhere) or its next job falls due. A kind is a [`lane::Worker`]:
//! [`transcripts`], [`summaries`], [`mail`], [`webhooks`], [`checkins`] (whose planner opens
//! rounds), [`compose`] (one object of a head and a body, for presigned media). Beside
//! the lanes: [`events`] turns what happened into notification jobs, and [`upkeep`] keeps this
//! process registered and the storage tidy.

mod checkins;
mod compose;
mod events;
mod lane;
mod mail;
mod summaries;
mod transcripts;
mod upkeep;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use db::domain::JobKind;

use crate::state::AppState;

pub use transcripts::title_from;

/// Starts every background task of this process (each runs until the process ends): its
/// registration among the processes, the janitor, the events worker, and a lane per kind of
/// job — transcripts and summaries when their models are there, mail when SMTP is set, webhook
/// deliveries and check-ins always.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    upkeep::start(state).await?;
    events::start(state);
    if let Some(transcriber) = state.transcription.transcriber() {
        lane::start(
            state,
            Arc::new(transcripts::Transcripts::new(state, transcriber.clone())),
        );
    }
    if let Some(summarizer) = state.summarization.summarizer() {
        lane::start(state, Arc::new(summaries::Summaries::new(summarizer.clone())));
    }
    if let Some(mailer) = &state.mailer {
        lane::start(state, Arc::new(mail::Mail::new(mailer.clone())));
    }
    lane::start(state, Arc::new(webhooks::Webhooks));
    lane::start(state, Arc::new(checkins::Checkins));
    checkins::plan(state);
    let composing = crate::storage::clip_media::composing(&state.storage, state.config.s3_presign_media);
    if composing == db::clips::Composing::InBackground {
        lane::start(state, Arc::new(compose::Compose));
    }
    // A job queued by another process rings the bell here too.
    let wakes = state.wakes.clone();
    state.db.job_signals().watch(Arc::new(move |kind| match kind {
        Some(kind) => wakes.job(kind).notify_one(),
        None => {
            for kind in [
                JobKind::Transcript,
                JobKind::Summary,
                JobKind::Mail,
                JobKind::Webhook,
                JobKind::Checkin,
                JobKind::Compose,
            ] {
                wakes.job(kind).notify_one();
            }
        }
    }));
    Ok(())
}

/// How long this process holds a claim (a job, its registration) without renewing it.
fn lease_length(state: &AppState) -> Duration {
    Duration::from_secs(state.config.job_lease_secs.max(1))
}

/// Until when a claim made now holds.
fn lease_until(state: &AppState) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease_length(state)).unwrap_or(chrono::Duration::seconds(30))
}
