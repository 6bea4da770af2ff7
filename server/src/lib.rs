//! The Offbeat server as a library: `app` builds the real router, so tests drive exactly what
//! `main` serves.

pub mod analysis;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod fuzzing;
pub mod hashing;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod pipeline;
pub mod services;
pub mod state;
pub mod storage;
pub mod summarization;
pub mod transcription;
pub mod workers;

pub use config::Config;
pub use http::app;
pub use state::AppState;

/// Serves until Ctrl-C/SIGTERM, printing the address (handy with `--listen 127.0.0.1:0`).
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    let public_url = config.public_url(local);
    config.internal_url.get_or_insert_with(|| format!("http://{local}"));
    let state = AppState::open(config, public_url.clone()).await?;
    // Registered before serving: other processes forward to it at once.
    workers::start(&state).await?;
    // On stdout, plainly, so scripts and tests can read it.
    println!("Offbeat server listening on http://{local} (public URL {public_url})");
    if let Some(link) = services::invites::setup_link(&state).await? {
        println!("No accounts yet: open {link} to set up your workspace and its first admin (the link works once)");
    }
    if let Some(listen) = state.config.metrics_listen {
        let at = http::metrics::serve(listen, state.clone()).await?;
        println!("Offbeat metrics on http://{at}/metrics");
    }
    let live_analyses = state.live_analyses.clone();
    let leaving = state.clone();
    let limits = http::serving::Limits {
        max_connections: state.config.max_connections.max(1),
        max_per_address: state
            .config
            .max_connections_per_address
            .unwrap_or(state.config.max_connections / 4)
            .max(1),
        small_body_deadline: std::time::Duration::from_secs(state.config.small_body_deadline_secs.max(1)),
        header_timeout: std::time::Duration::from_secs(state.config.header_timeout_secs.max(1)),
        body_idle_timeout: std::time::Duration::from_secs(state.config.body_idle_timeout_secs.max(1)),
        shutdown_grace: std::time::Duration::from_secs(state.config.shutdown_grace_secs),
    };
    http::serving::serve(listener, app(state), limits, shutdown_signal()).await?;
    // Threads following takes still being recorded would hold the exit up: let them go (the
    // sessions catch up from their files after the restart).
    live_analyses.forget_all();
    // Gone: what this process held is the others' to take over now, not once its lease ends.
    if let Err(err) = leaving.db.processes().leave(&leaving.process.id).await {
        tracing::warn!("cannot deregister this process: {err}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            term.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        () = term => {},
    }
}
