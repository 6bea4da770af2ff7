//! The check-in lane and its planner. The planner (every half minute in every process, and at
//! once when a check-in is made, changed or resumed here) opens
//! rounds as their first ask nears, with their jobs; the lane carries those jobs out — asking
//! each person at their time, reminding, closing the round — once each, under the queue's
//! lease, whichever process holds it (see `services::checkins::schedule`).

use std::time::Duration;

use chrono::Utc;
use db::domain::JobKind;
use db::queue::{Attempt, Job, Work};

use super::lane::{Outcome, Turn, Worker};
use crate::services::checkins::schedule::{self, Stepped};
use crate::state::AppState;

/// How often the planner looks for rounds to open.
const PLAN_EVERY: Duration = Duration::from_secs(30);

/// Starts the planner.
pub(super) fn plan(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            if let Err(err) = schedule::plan(&state, Utc::now()).await {
                tracing::warn!("cannot plan check-in rounds: {err}");
            }
            tokio::select! {
                () = tokio::time::sleep(PLAN_EVERY) => {}
                () = state.wakes.plan().notified() => {}
            }
        }
    });
}

/// Asks, reminds and closes rounds, side by side.
pub(super) struct Checkins;

#[async_trait::async_trait]
impl Worker for Checkins {
    fn kind(&self) -> JobKind {
        JobKind::Checkin
    }

    fn batch(&self) -> i64 {
        16
    }

    fn side_by_side(&self) -> bool {
        true
    }

    /// 10 s, 20 s, 40 s … at most five minutes; given up after ten attempts.
    fn retry_after(&self, attempts: i64) -> Option<Duration> {
        let doublings = u32::try_from(attempts - 1).unwrap_or(0).min(5);
        (attempts < 10).then(|| Duration::from_secs((10u64 << doublings).min(300)))
    }

    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome {
        let Work::Checkin { round_id, step } = &job.work else {
            return Outcome::Dropped("not a check-in job".into());
        };
        match schedule::step(turn.state, round_id, step).await {
            Ok(Stepped::Done) => Outcome::Done(Attempt::default()),
            Ok(Stepped::NotYet(at)) => Outcome::NotYet((at - Utc::now()).to_std().unwrap_or(Duration::ZERO)),
            Ok(Stepped::Dropped(why)) => Outcome::Dropped(why.to_owned()),
            Err(err) => Outcome::Failed {
                why: err.to_string(),
                tried: Attempt::default(),
            },
        }
    }
}
