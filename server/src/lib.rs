//! The Offbeat server as a library: `app` builds the real router, so tests drive exactly what
//! `main` serves.

pub mod admin;
pub mod analyze;
pub mod auth;
pub mod backup;
pub mod config;
pub mod container;
pub mod db;
pub mod domain;
pub mod error;
pub mod files;
pub mod fuzzing;
pub mod hashing;
pub mod ids;
pub mod ingest;
pub mod live_analysis;
pub mod mail;
pub mod metrics;
pub mod models;
pub mod routes;
pub mod search;
pub mod services;
pub mod serving;
pub mod session_parts;
pub mod state;
pub mod storage;
pub mod transcription;
pub mod web;
pub mod working_hours;

use axum::Router;

pub use config::Config;
pub use state::AppState;

pub fn app(state: AppState) -> Router {
    let cors = web::embed_cors(&state.config.embed_origins);
    let uploads_cors = web::uploads_cors(&state.config.embed_origins);
    routes::router(state.clone())
        .layer(cors)
        .merge(routes::uploads_router(state, uploads_cors))
        .layer(axum::middleware::from_fn(web::security_headers))
        .route_layer(axum::middleware::from_fn(metrics::record_request))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

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
    // Registered (and kept alive) before serving: other processes forward to it at once.
    heartbeat(&state).await?;
    let beating = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(lease(&beating) / 3).await;
            if let Err(err) = heartbeat(&beating).await {
                tracing::warn!("cannot renew this process's registration: {err}");
            }
        }
    });
    state.transcription.start_workers(&state);
    services::notifications::start_worker(&state);
    // Abandoned resumable uploads and the objects of clips that never came go, every ten
    // minutes (and once now).
    let janitor = state.clone();
    tokio::spawn(async move {
        let ttl = std::time::Duration::from_secs(janitor.config.upload_session_ttl_secs);
        loop {
            match services::uploads::clean_abandoned(&janitor, ttl).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "removed abandoned upload sessions"),
                Err(err) => tracing::warn!("cleaning abandoned uploads: {err}"),
            }
            match ingest::sweep_stray_objects(&janitor).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "removed objects stored for clips that never came"),
                Err(err) => tracing::warn!("removing stray objects: {err}"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(600).min(ttl.max(std::time::Duration::from_secs(1))))
                .await;
        }
    });
    // On stdout, plainly, so scripts and tests can read it.
    println!("Offbeat server listening on http://{local} (public URL {public_url})");
    if let Some(link) = services::invites::setup_link(&state).await? {
        println!("No accounts yet: open {link} to set up your workspace and its first admin (the link works once)");
    }
    if let Some(listen) = state.config.metrics_listen {
        let at = metrics::serve(listen, state.clone()).await?;
        println!("Offbeat metrics on http://{at}/metrics");
    }
    let live_analyses = state.live_analyses.clone();
    let leaving = state.clone();
    let limits = serving::Limits {
        max_connections: state.config.max_connections.max(1),
        header_timeout: std::time::Duration::from_secs(state.config.header_timeout_secs.max(1)),
        body_idle_timeout: std::time::Duration::from_secs(state.config.body_idle_timeout_secs.max(1)),
        shutdown_grace: std::time::Duration::from_secs(state.config.shutdown_grace_secs),
    };
    serving::serve(listener, app(state), limits, shutdown_signal()).await?;
    // Threads following takes still being recorded would hold the exit up: let them go (the
    // sessions catch up from their files after the restart).
    live_analyses.forget_all();
    // Gone: what this process held is the others' to take over now, not once its lease ends.
    if let Err(err) = leaving.db.processes().leave(&leaving.process.id).await {
        tracing::warn!("cannot deregister this process: {err}");
    }
    Ok(())
}

/// How long this process counts as alive after its last heartbeat.
fn lease(state: &AppState) -> std::time::Duration {
    std::time::Duration::from_secs(state.config.job_lease_secs.max(1))
}

async fn heartbeat(state: &AppState) -> sqlx::Result<()> {
    let until = chrono::Utc::now() + chrono::Duration::from_std(lease(state)).unwrap_or(chrono::Duration::seconds(30));
    state
        .db
        .processes()
        .heartbeat(&state.process.id, &state.process.url, until)
        .await
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
