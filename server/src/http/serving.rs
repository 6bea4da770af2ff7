//! Serving HTTP connections within bounds, whatever clients do: a cap on open connections
//! (one more is answered 503 and closed, not queued unseen) and a share of it per client
//! address (so one client trickling bytes cannot fill the server), a deadline for a request's
//! headers that also closes idle keep-alive connections, a deadline between the pieces of a
//! request's body (so an upload whose network vanished without a FIN ends, releasing its
//! session, with what arrived kept), a deadline for a small (JSON, form) body in all, and a
//! shutdown that waits for requests in flight only so long.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
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
    /// Open connections one client address (an IPv6 /64) may hold.
    pub max_per_address: usize,
    /// How long a JSON or form body may take to arrive in all.
    pub small_body_deadline: Duration,
    /// How long a client has to send a request's headers — and how long a kept-alive
    /// connection may wait idle for its next request.
    pub header_timeout: Duration,
    /// The longest wait for the next piece of a request's body.
    pub body_idle_timeout: Duration,
    /// How long a shutdown waits for requests in flight before it cuts them.
    pub shutdown_grace: Duration,
}

/// What a connection beyond the cap (or its address's share of it) is told before it is closed.
fn no_room(why: &str) -> Vec<u8> {
    let body = format!(r#"{{"error":{{"code":"overloaded","message":"{why}; try again shortly"}}}}"#);
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
        let small = is_small_body(&request);
        request.map(|body| {
            let body = Body::new(tower_http::timeout::TimeoutBody::new(limits.body_idle_timeout, body));
            if small {
                Body::new(DeadlineBody::new(body, limits.small_body_deadline))
            } else {
                body
            }
        })
    }));
    let shares = Shares::default();
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
        let Some(share) = shares.take(peer.ip(), limits.max_per_address) else {
            metrics::counter!("offbeat_connections_refused_total").increment(1);
            tokio::spawn(refuse(stream, "too many open connections from your address"));
            continue;
        };
        let Ok(place) = room.clone().try_acquire_owned() else {
            metrics::counter!("offbeat_connections_refused_total").increment(1);
            tokio::spawn(refuse(stream, "too many open connections"));
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
            let _share = share;
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
async fn refuse(mut stream: TcpStream, why: &'static str) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&no_room(why))).await;
    let _ = stream.shutdown().await;
}

/// Open connections by client address (IPv6 by /64, as sign-in limits count them).
#[derive(Debug, Clone, Default)]
struct Shares(Arc<std::sync::Mutex<HashMap<String, usize>>>);

/// One connection's place in its address's share; given back when dropped.
struct Share {
    shares: Shares,
    key: String,
}

impl Shares {
    fn take(&self, address: IpAddr, most: usize) -> Option<Share> {
        let key = crate::auth::rate_limit::client_key(address);
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(key.clone()).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Share {
            shares: self.clone(),
            key,
        })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut open = self.shares.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Whether a request's body is JSON or a form: small, read whole before anything is done.
fn is_small_body(request: &Request) -> bool {
    request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| {
            let t = t.trim_start().to_ascii_lowercase();
            t.starts_with("application/json") || t.starts_with("application/x-www-form-urlencoded")
        })
}

/// A body that must arrive within a deadline in all: one sent a byte every few seconds would
/// otherwise hold its connection (and a place under the cap) as long as it likes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Body, within: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body took too long to arrive",
            )))));
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
