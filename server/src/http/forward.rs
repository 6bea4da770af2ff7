//! A request about an upload session held by another process is sent on to it: the session's
//! bytes and its live analysis are there (see `services::uploads::locate`).

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{HeaderName, HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::services::uploads::{self, Holder, Via};
use crate::state::AppState;

/// Marks a request one process sent another: its receiver serves it or refuses, never sends
/// it on again.
const FORWARDED: HeaderName = HeaderName::from_static("offbeat-forwarded");

/// Serves the request here if this process holds the session, else forwards it to the one
/// that does. A request about no session (opening one) is served here.
pub async fn to_holder(
    State(state): State<AppState>,
    id: Option<Path<String>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(Path(id)) = id else {
        return next.run(request).await;
    };
    // Only a session's own methods are about its bytes; any other is the router's to refuse (405).
    use axum::http::Method;
    if !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PATCH | Method::DELETE
    ) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let viewer = match Viewer::from_request_parts(&mut parts, &state).await {
        Ok(viewer) => viewer,
        Err(refused) => return refused.into_response(),
    };
    let request = Request::from_parts(parts, body);
    let via = if request.headers().contains_key(&FORWARDED) {
        Via::Forwarded
    } else {
        Via::Client
    };
    match uploads::locate(&state, &viewer, &id, via).await {
        Ok(Holder::Here) => next.run(request).await,
        Ok(Holder::Elsewhere { url }) => forward(&url, request).await.unwrap_or_else(IntoResponse::into_response),
        Err(err) => err.into_response(),
    }
}

async fn forward(to: &str, mut request: Request) -> Result<Response, AppError> {
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let uri: Uri = format!("{to}{path}")
        .parse()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot forward to {to}: {e}")))?;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.remove(axum::http::header::HOST);
    headers.insert(FORWARDED, HeaderValue::from_static("1"));
    let response = client().request(request).await.map_err(|err| {
        // Gone between its last heartbeat and now: once its registration lapses this
        // process takes the session over; until then the client asks again.
        tracing::warn!("cannot reach the process holding an upload at {to}: {err}");
        AppError::Conflict(
            "the process holding this upload cannot be reached: ask where it is (HEAD) and resume".into(),
        )
    })?;
    Ok(response.map(Body::new))
}

fn client() -> &'static Client<HttpConnector, Body> {
    static CLIENT: OnceLock<Client<HttpConnector, Body>> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(3)));
        // A forwarded PATCH is a small head and a body written apart: without this, Nagle's
        // algorithm holds the body until the holder's delayed ACK (~40 ms a request).
        connector.set_nodelay(true);
        Client::builder(TokioExecutor::new()).build(connector)
    })
}
