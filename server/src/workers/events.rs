//! The events worker: what happened (a new message, a reply; written in the same transaction)
//! becomes notification jobs — mail for each member it concerns, a delivery for each webhook
//! that wants it — and only then goes. Several processes may do it at once: a job is queued at
//! most once by its unique key.

use std::time::Duration;

use crate::services::notifications::fan_out;
use crate::state::AppState;

/// How long an idle events worker waits before it looks again (events written by another
/// process are found then).
const POLL: Duration = Duration::from_secs(2);

pub(super) fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let fanned = match fan_out(&state).await {
                Ok(n) => n,
                Err(err) => {
                    tracing::warn!("cannot turn events into notifications: {err}");
                    0
                }
            };
            if fanned == 0 {
                let _ = tokio::time::timeout(POLL, state.wakes.events().notified()).await;
            }
        }
    });
}
