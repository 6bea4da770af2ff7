//! A lane: the workers of one kind of job. Each claims due jobs of its kind under a lease,
//! renews the lease while it works, and ends every turn here — so retrying with backoff,
//! postponing, dropping and giving up are written once for every kind.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use db::domain::JobKind;
use db::queue::{Attempt, Ending, Job, Lease};

use super::{lease_length, lease_until};
use crate::state::AppState;

/// How long an idle worker sleeps at most before it looks again (for retries falling due, and
/// leases of dead processes running out).
const IDLE_POLL: Duration = Duration::from_secs(5);

/// What a kind of job does.
#[async_trait::async_trait]
pub(super) trait Worker: Send + Sync + 'static {
    fn kind(&self) -> JobKind;

    /// Workers of the lane, each taking its own jobs.
    fn workers(&self) -> usize {
        1
    }

    /// Jobs a worker claims at once.
    fn batch(&self) -> i64 {
        1
    }

    /// Whether a worker works its batch side by side (else one after the other).
    fn side_by_side(&self) -> bool {
        false
    }

    /// How long after a failed turn (its `attempts`, this one included) the job is tried
    /// again; `None`: it is given up.
    fn retry_after(&self, attempts: i64) -> Option<Duration>;

    /// One turn at `job`.
    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome;
}

/// A backoff that starts at `first` and doubles with each failed attempt; `None` (given up)
/// from the `max_attempts`th on.
pub(super) fn doubling(first: Duration, attempts: i64, max_attempts: i64) -> Option<Duration> {
    let doublings = u32::try_from(attempts - 1).unwrap_or(0).min(16);
    (attempts < max_attempts).then(|| first * 2u32.pow(doublings))
}

/// How a turn at a job went.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Done; what the other side said, if it was asked.
    Done(Attempt),
    /// Not yet (waiting for something else): again after this long; the turn does not count.
    NotYet(Duration),
    /// No longer worth doing, and why.
    Dropped(String),
    /// This attempt failed: tried again after the kind's backoff, or given up.
    Failed { why: String, tried: Attempt },
    /// Ended already, by another job's turn (a digest took it along).
    Ended,
}

/// One worker's turn at the jobs it claimed: what a job's work may use besides the job.
pub(super) struct Turn<'a> {
    pub state: &'a AppState,
    pub holder: &'a str,
    worker: &'a dyn Worker,
    /// Jobs of this batch already ended by another's turn.
    ended: Mutex<HashSet<String>>,
}

impl Turn<'_> {
    /// Claims every due job of the lane's kind for `to` (those this worker holds included).
    pub async fn claim_for(&self, to: &str) -> Vec<Job> {
        let lease = Lease {
            holder: self.holder,
            until: lease_until(self.state),
        };
        match self.state.db.jobs().claim_for(self.worker.kind(), to, lease).await {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::warn!(kind = %self.worker.kind(), "cannot claim the jobs for {to}: {err}");
                Vec::new()
            }
        }
    }

    /// Ends this worker's turn at `job` as `outcome` says.
    pub async fn end(&self, job: &Job, outcome: Outcome) {
        let now = Utc::now();
        let after = |wait: Duration| now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
        let (ending, tried) = match &outcome {
            Outcome::Ended => return,
            Outcome::Done(attempt) => (Ending::Done, Some(*attempt)),
            Outcome::NotYet(wait) => (Ending::Postpone { at: after(*wait) }, None),
            Outcome::Dropped(why) => (Ending::Dropped(why), None),
            Outcome::Failed { why, tried } => match self.worker.retry_after(job.attempts) {
                Some(wait) => {
                    tracing::info!(job = %job.id, kind = %self.worker.kind(), attempt = job.attempts, "failed; retrying in {} s: {why}", wait.as_secs());
                    (
                        Ending::Retry {
                            at: after(wait),
                            error: why,
                        },
                        Some(*tried),
                    )
                }
                None => {
                    tracing::warn!(job = %job.id, kind = %self.worker.kind(), attempt = job.attempts, "giving up: {why}");
                    (Ending::Failed(why), Some(*tried))
                }
            },
        };
        if let Err(err) = self.state.db.jobs().end(&job.id, self.holder, ending, tried).await {
            tracing::warn!(job = %job.id, "cannot record how a job's turn ended: {err}");
        }
        self.ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(job.id.clone());
    }

    fn is_ended(&self, job: &Job) -> bool {
        self.ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&job.id)
    }

    /// Works `job` under its renewed lease, then ends the turn.
    async fn take(&self, job: &Job) {
        if self.is_ended(job) {
            return;
        }
        let renewals = tokio::spawn(renew_while_working(
            self.state.clone(),
            job.id.clone(),
            self.holder.to_owned(),
        ));
        let outcome = self.worker.work(self, job).await;
        renewals.abort();
        self.end(job, outcome).await;
    }
}

/// Starts `worker`'s lane.
pub(super) fn start<W: Worker>(state: &AppState, worker: Arc<W>) {
    for n in 0..worker.workers() {
        let (state, worker) = (state.clone(), worker.clone());
        // Leases are held as `<process>/<kind>-<n>`, the process as the registry knows it.
        let holder = format!("{}/{}-{n}", state.process.id, worker.kind());
        tokio::spawn(async move { run(state, worker, holder).await });
    }
}

async fn run<W: Worker>(state: AppState, worker: Arc<W>, holder: String) {
    let kind = worker.kind();
    loop {
        let lease = Lease {
            holder: &holder,
            until: lease_until(&state),
        };
        match state.db.jobs().claim(kind, lease, worker.batch()).await {
            Ok(jobs) if !jobs.is_empty() => {
                let turn = Turn {
                    state: &state,
                    holder: &holder,
                    worker: worker.as_ref(),
                    ended: Mutex::default(),
                };
                if worker.side_by_side() {
                    futures_util::future::join_all(jobs.iter().map(|job| turn.take(job))).await;
                } else {
                    for job in &jobs {
                        turn.take(job).await;
                    }
                }
            }
            Ok(_) => {
                // Asleep until work is queued or the next job falls due.
                let until_due = match state.db.jobs().next_due(kind).await {
                    Ok(Some(due)) => (due - Utc::now()).to_std().unwrap_or(Duration::ZERO),
                    _ => IDLE_POLL,
                };
                tokio::select! {
                    () = state.wakes.job(kind).notified() => {},
                    () = tokio::time::sleep(until_due.clamp(Duration::from_millis(50), IDLE_POLL)) => {},
                }
            }
            Err(err) => {
                tracing::warn!(%kind, "cannot claim a job: {err}");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

/// Renews the lease on a job every third of its length while it is worked on, so no other
/// process takes it over; stops if the job is no longer this worker's.
async fn renew_while_working(state: AppState, id: String, holder: String) {
    loop {
        tokio::time::sleep(lease_length(&state) / 3).await;
        let lease = Lease {
            holder: &holder,
            until: lease_until(&state),
        };
        match state.db.jobs().renew(&id, lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = %id, worker = %holder, "the job's lease was lost (taken over, or the job is gone)");
                return;
            }
            // Not fatal yet: the lease has two more thirds to go.
            Err(err) => tracing::warn!(job = %id, "cannot renew the job's lease: {err}"),
        }
    }
}
