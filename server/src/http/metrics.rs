//! Operations: Prometheus metrics, served on their own address (`--metrics-listen`) so they
//! never sit beside the app where users reach it. Requests by route and status with their
//! latency, upload sessions open, the job queue's depth and age, transcription's real-time
//! factor, storage and database errors.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::metrics::database_error;
use crate::state::AppState;

/// Request latency buckets, in seconds: from a cached page to a long upload.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// Real-time factor buckets (seconds of work per second of audio): from a fast machine's
/// 0.02 to falling behind (over 1).
const REAL_TIME_FACTOR_BUCKETS: [f64; 10] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0];

/// Composing buckets, in seconds: from a short take on a local S3 to a long one far away.
const COMPOSE_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

/// Installs the process's recorder and serves its text at `listen` (`GET /metrics`), with
/// the database-backed gauges read at each scrape.
pub async fn serve(listen: SocketAddr, state: AppState) -> anyhow::Result<SocketAddr> {
    // Histograms, never summaries: a summary's quantiles read 0 a minute after the last
    // observation, and cannot be added up across processes.
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &LATENCY_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full("offbeat_transcription_real_time_factor".into()),
            &REAL_TIME_FACTOR_BUCKETS,
        )?
        .set_buckets_for_metric(Matcher::Full("offbeat_compose_seconds".into()), &COMPOSE_BUCKETS)?
        .install_recorder()?;
    crate::metrics::describe();
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            upkeep.run_upkeep();
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || render(handle.clone(), state.clone())),
    );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::warn!("the metrics listener stopped: {err}");
        }
    });
    Ok(local)
}

async fn render(handle: PrometheusHandle, state: AppState) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    refresh_gauges(&state).await;
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}

/// What the database knows that no single request sees.
async fn refresh_gauges(state: &AppState) {
    match state.db.uploads().open_count().await {
        Ok(open) => metrics::gauge!("offbeat_upload_sessions_open").set(open as f64),
        Err(err) => database_error(&err),
    }
    match state.db.jobs().backlog(db::domain::JobKind::Transcript).await {
        Ok(backlog) => {
            metrics::gauge!("offbeat_jobs_pending").set(backlog.pending as f64);
            let age = backlog
                .oldest_due
                .map_or(0.0, |due| (Utc::now() - due).num_milliseconds().max(0) as f64 / 1000.0);
            metrics::gauge!("offbeat_jobs_oldest_pending_seconds").set(age);
        }
        Err(err) => database_error(&err),
    }
}

/// A request's method as a label: the ones HTTP and tus define, else `OTHER` — a client
/// inventing methods (`curl -X ANYTHING`) must not add series without limit.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Counts and times every request by its route (the pattern, never the path: ids would make a
/// series each), method and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method.to_owned()),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::method_label;
    use axum::http::Method;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for invented in ["ANYTHING", "BREW", "X1", "PROPFIND"] {
            assert_eq!(method_label(&Method::from_bytes(invented.as_bytes()).unwrap()), "OTHER");
        }
    }
}
