//! Pages answer `If-None-Match`: each carries an ETag of its own bytes, and asking again with
//! it costs a 304 while nothing changed. This is what lets `live.js` keep an open page current
//! by asking often, and it works the same however many server processes answer.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Larger than any page (they are held to 60 KB with their assets); a page this big is sent
/// as it is, without an ETag.
const LARGEST_PAGE: usize = 1024 * 1024;

pub async fn etag(request: Request, next: Next) -> Response {
    // HEAD is answered as GET is (axum routes it there, and drops the body): the same tag.
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let asked = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if response.status() != StatusCode::OK || !is_page {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LARGEST_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; try again.").into_response();
    };
    let tag = {
        use sha2::{Digest, Sha256};
        format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..12]))
    };
    // Pages are per person and change: the browser asks again every time (with the tag).
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, value);
    }
    if asked
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|asked| crate::http::headers::tag_list_names(asked, &tag))
    {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
