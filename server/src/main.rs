//! The Offbeat server. This is the skeleton the storage issue builds on: it serves a health
//! check and a landing page, so the README's "start the server" command is real today.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use clap::Parser;

/// Offbeat server.
#[derive(Debug, Parser)]
#[command(name = "server", version, about)]
struct Config {
    /// Address to listen on.
    #[arg(long, env = "OFFBEAT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::parse();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/",
            get(|| async { "Offbeat server: clip storage and playback pages are on their way.\n" }),
        );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
