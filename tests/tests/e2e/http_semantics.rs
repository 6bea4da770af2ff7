//! HTTP as caches and clients expect it (issue 28): `If-Range` with a stale validator gets the
//! whole body, `If-Match` that fails gets 412, HEAD carries GET's validators and honours
//! `If-None-Match`, a 304 repeats the `Cache-Control`, text is compressed on request (never
//! media), and authenticated JSON is `no-store`.

use std::io::Read;

use offbeat_tests::http::{Reply, request};
use offbeat_tests::server::{Backend, ServerProc};

use crate::web_pages::as_user;

const CLIP: &[u8] = include_bytes!("../../fixtures/speech.opus");

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn validators_ranges_head_compression_and_no_store_behave() {
    let server = ServerProc::start(Backend::Local, &[]);
    let auth = as_user(&server.user);
    let clip = server.upload_file(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech.opus"));
    let media = clip["media_url"].as_str().unwrap().to_owned();
    let get = |url: &str, headers: &[(&str, &str)]| -> Reply { request("GET", url, headers, None) };

    let whole = get(&media, &[]);
    let etag = whole.header("etag").unwrap().to_owned();
    let cache = whole.header("cache-control").unwrap().to_owned();
    assert_eq!(whole.body, CLIP);

    // If-Range: the range for the version named, the whole body for any other.
    let ranged = get(&media, &[("Range", "bytes=0-9"), ("If-Range", &etag)]);
    assert_eq!((ranged.status, ranged.body.len()), (206, 10));
    let stale = get(&media, &[("Range", "bytes=0-9"), ("If-Range", "\"an-older-version\"")]);
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, CLIP);
    let dated = get(
        &media,
        &[("Range", "bytes=0-9"), ("If-Range", "Mon, 07 Dec 2026 10:00:00 GMT")],
    );
    assert_eq!(dated.status, 200, "no Last-Modified is given, so a date never matches");

    // If-Match: 412 for another version, the body for this one.
    let failed = get(&media, &[("If-Match", "\"an-older-version\"")]);
    assert_eq!(failed.status, 412);
    assert!(!failed.error_message().is_empty());
    assert_eq!(get(&media, &[("If-Match", &etag)]).status, 200);

    // HEAD: GET's validators and cache headers, no body, and 304 when nothing changed.
    let head = request("HEAD", &media, &[], None);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(head.header("cache-control"), Some(cache.as_str()));
    assert_eq!(head.header("content-length"), Some(CLIP.len().to_string().as_str()));
    assert!(head.body.is_empty());
    let not_modified = request("HEAD", &media, &[("If-None-Match", &etag)], None);
    assert_eq!(not_modified.status, 304);
    let again = get(&media, &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert_eq!(
        again.header("cache-control"),
        Some(cache.as_str()),
        "a 304 repeats Cache-Control"
    );

    // A page: HEAD carries the same tag as GET, and honours it.
    let page_url = clip["page_url"].as_str().unwrap();
    let page = get(page_url, &[]);
    let page_tag = page.header("etag").unwrap().to_owned();
    let page_head = request("HEAD", page_url, &[], None);
    assert_eq!(page_head.header("etag"), Some(page_tag.as_str()));
    assert_eq!(page_head.header("cache-control"), page.header("cache-control"));
    assert_eq!(
        request("HEAD", page_url, &[("If-None-Match", &page_tag)], None).status,
        304
    );
    let page_304 = get(page_url, &[("If-None-Match", &page_tag)]);
    assert_eq!(page_304.status, 304);
    assert_eq!(page_304.header("cache-control"), page.header("cache-control"));

    // Compression on request: the API description, JSON, pages, captions — never media.
    let description = server.api("/api/v1/openapi.json");
    let plain = get(&description, &[]);
    let gzipped = get(&description, &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&gzipped.body), plain.body);
    let brotli = get(&description, &[("Accept-Encoding", "br")]);
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    println!(
        "the API description: {} bytes, {} gzipped, {} with br",
        plain.body.len(),
        gzipped.body.len(),
        brotli.body.len()
    );
    assert!(gzipped.body.len() * 5 < plain.body.len());
    for url in [server.api("/api/v1/clips"), page_url.to_owned()] {
        let packed = get(&url, &[("Accept-Encoding", "gzip, br")]);
        assert!(packed.header("content-encoding").is_some(), "{url} is not compressed");
    }
    let media_asked = get(&media, &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(media_asked.header("content-encoding"), None, "media is sent as it is");
    assert_eq!(media_asked.body, CLIP);

    // Authenticated JSON is no-store; a shared link's public answer is not JSON of anyone's.
    let listed = get(&server.api("/api/v1/clips"), &[("Authorization", &auth)]);
    assert_eq!(listed.header("cache-control"), Some("no-store"));
    let me = get(&server.api("/api/v1/me"), &[("Authorization", &auth)]);
    assert_eq!(me.header("cache-control"), Some("no-store"));
}
