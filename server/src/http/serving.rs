//! Serving HTTP connections within bounds, whatever clients do: a cap on open connections
//! (one more is answered 503 and closed, not queued unseen), a deadline for a request's headers
//! that also closes idle keep-alive connections, a deadline between the pieces of a request's
//! body (so an upload whose network vanished without a FIN ends, releasing its session, with
//! what arrived kept), and a shutdown that waits for requests in flight only so long.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The bounds connections are served within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at most.
    pub max_connections: usize,
    /// How long a client has to send a request's headers — and how long a kept-alive
    /// connection may wait idle for its next request.
    pub header_timeout: Duration,
    /// The longest wait for the next piece of a request's body.
    pub body_idle_timeout: Duration,
    /// How long a shutdown waits for requests in flight before it cuts them.
    pub shutdown_grace: Duration,
}

/// What a connection beyond the cap is told before it is closed.
fn no_room() -> Vec<u8> {
    let body = r#"{"error":{"code":"overloaded","message":"too many open connections; try again shortly"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish
/// for at most `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    // HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a proxy in front terminates —
    // and guessing the version would wait, without a deadline, for a silent client's first byte.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let app = app.layer(axum::middleware::map_request(move |request: Request| async move {
        request.map(|body| Body::new(tower_http::timeout::TimeoutBody::new(limits.body_idle_timeout, body)))
    }));
    let room = Arc::new(Semaphore::new(limits.max_connections));
    let stopping = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!("cannot accept a connection: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(place) = room.clone().try_acquire_owned() else {
            metrics::counter!("offbeat_connections_refused_total").increment(1);
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = app
            .clone()
            .map_request(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            });
        let hyper_service = hyper_util::service::TowerToHyperService::new(service);
        let builder = builder.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            let _place = place;
            let mut connection = std::pin::pin!(
                builder
                    .serve_connection(TokioIo::new(stream), hyper_service)
                    .with_upgrades()
            );
            let mut asked = false;
            loop {
                tokio::select! {
                    _ = connection.as_mut() => break,
                    () = stopping.cancelled(), if !asked => {
                        connection.as_mut().graceful_shutdown();
                        asked = true;
                    }
                }
            }
        });
    }
    drop(listener);
    stopping.cancel();
    // Every place back means every connection closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.shutdown_grace, room.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            open = limits.max_connections - room.available_permits(),
            "connections still open after the shutdown grace; cutting them"
        );
    }
    Ok(())
}

/// Tells a connection there is no room, and closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&no_room())).await;
    let _ = stream.shutdown().await;
}
