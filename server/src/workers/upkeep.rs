//! Keeping the house: this process's registration among those sharing the database (renewed
//! every third of a lease, so the others forward to it and, once it stops, take over what it
//! held), the janitor that removes abandoned uploads and objects of clips that never came, and
//! the watcher that turns takes whose bytes stopped arriving into clips of what came.

use std::time::Duration;

use super::{lease_length, lease_until};
use crate::pipeline::ingest::sweep_stray_objects;
use crate::services::uploads::{clean_abandoned, finish_stalled};
use crate::state::AppState;

/// How often the janitor looks (and once at start-up).
const JANITOR_EVERY: Duration = Duration::from_secs(600);

/// Registers this process (before it serves: other processes forward to it at once) and keeps
/// it registered; starts the janitor.
pub(super) async fn start(state: &AppState) -> anyhow::Result<()> {
    heartbeat(state).await?;
    let beating = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(lease_length(&beating) / 3).await;
            if let Err(err) = heartbeat(&beating).await {
                tracing::warn!("cannot renew this process's registration: {err}");
            }
        }
    });
    let watcher = state.clone();
    tokio::spawn(async move {
        let after = Duration::from_secs(watcher.config.abandoned_after_secs);
        // Looked at four times per grace period (a take's link says "recording…" at most a
        // quarter longer than it should), at most every 30 s.
        let every = (after / 4).clamp(Duration::from_secs(1), Duration::from_secs(30));
        loop {
            tokio::time::sleep(every).await;
            match finish_stalled(&watcher, after).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(finished = n, "finished takes whose bytes stopped arriving"),
                Err(err) => tracing::warn!("finishing takes that stopped arriving: {err}"),
            }
        }
    });
    let janitor = state.clone();
    tokio::spawn(async move {
        let ttl = Duration::from_secs(janitor.config.upload_session_ttl_secs);
        loop {
            match clean_abandoned(&janitor, ttl).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "removed abandoned upload sessions"),
                Err(err) => tracing::warn!("cleaning abandoned uploads: {err}"),
            }
            match sweep_stray_objects(&janitor).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "removed objects stored for clips that never came"),
                Err(err) => tracing::warn!("removing stray objects: {err}"),
            }
            tokio::time::sleep(JANITOR_EVERY.min(ttl.max(Duration::from_secs(1)))).await;
        }
    });
    Ok(())
}

async fn heartbeat(state: &AppState) -> db::Result<()> {
    state
        .db
        .processes()
        .heartbeat(&state.process.id, &state.process.url, lease_until(state))
        .await
}
