//! Resumable uploads (tus 1.0) against the router in process: what the protocol announces and
//! enforces, a take sent in pieces becoming the clip its link was reserved for, and sessions
//! that are private, refused whole, or abandoned.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use sha2::{Digest, Sha256};
use support::{Answer, Backend, CLIP, Harness, Person};

const OCTETS: (&str, &str) = ("content-type", "application/offset+octet-stream");

/// `POST /api/v1/uploads` with these headers.
async fn open(server: &Harness, who: &Person, headers: &[(&str, &str)]) -> Answer {
    server.tus(Method::POST, "/api/v1/uploads", who, headers, b"").await
}

/// A new session's path.
async fn create(server: &Harness, who: &Person, headers: &[(&str, &str)]) -> String {
    let created = open(server, who, headers).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let location = created.headers["location"].to_str().unwrap();
    location
        .split_once("/api/")
        .map(|(_, path)| format!("/api/{path}"))
        .unwrap()
}

async fn patch(
    server: &Harness,
    who: &Person,
    path: &str,
    offset: usize,
    bytes: &[u8],
    length: Option<usize>,
) -> Answer {
    let offset = offset.to_string();
    let length = length.map(|l| l.to_string());
    let mut headers = vec![OCTETS, ("upload-offset", offset.as_str())];
    if let Some(length) = &length {
        headers.push(("upload-length", length));
    }
    server.tus(Method::PATCH, path, who, &headers, bytes).await
}

fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn the_protocol_is_announced_and_enforced(backend: Backend) {
    let server = Harness::on(backend, &["--max-upload-bytes", "1000000"]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let options = server.tus(Method::OPTIONS, "/api/v1/uploads", &olive, &[], b"").await;
    assert_eq!(header(&options, "tus-version"), Some("1.0.0"));
    assert_eq!(header(&options, "tus-max-size"), Some("1000000"));
    assert!(
        header(&options, "tus-extension")
            .unwrap()
            .contains("creation-defer-length")
    );

    let no_length = open(&server, &olive, &[]).await;
    assert_eq!(no_length.status, 400, "{}", no_length.text());
    let too_long = open(&server, &olive, &[("upload-length", "1000001")]).await;
    assert_eq!(too_long.status, 413, "{}", too_long.text());

    let path = create(&server, &olive, &[("upload-length", "10")]).await;
    let head = server.tus(Method::HEAD, &path, &olive, &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(header(&head, "upload-offset"), Some("0"));
    assert_eq!(header(&head, "upload-length"), Some("10"));
    assert_eq!(header(&head, "cache-control"), Some("no-store"));

    let not_octets = server
        .tus(Method::PATCH, &path, &olive, &[("upload-offset", "0")], b"0123")
        .await;
    assert_eq!(not_octets.status, 415, "{}", not_octets.text());
    let no_offset = server.tus(Method::PATCH, &path, &olive, &[OCTETS], b"0123").await;
    assert_eq!(no_offset.status, 400, "{}", no_offset.text());
    assert_eq!(patch(&server, &olive, &path, 0, b"RIFF", None).await.status, 204);
    let behind = patch(&server, &olive, &path, 0, b"RIFF", None).await;
    assert_eq!(behind.status, 409);
    assert_eq!(behind.json()["error"]["message"], "the upload is at offset 4, not 0");
    let other_length = patch(&server, &olive, &path, 4, b"", Some(12)).await;
    assert_eq!(other_length.status, 400, "{}", other_length.text());
    let overflow = patch(&server, &olive, &path, 4, b"0123456789", None).await;
    assert_eq!(overflow.status, 413, "{}", overflow.text());
    assert_eq!(
        header(
            &server.tus(Method::HEAD, &path, &olive, &[], b"").await,
            "upload-offset"
        ),
        Some("4"),
        "nothing past the declared length is kept"
    );

    // Someone else's session is the same 404 as none, whatever they try.
    for method in [Method::HEAD, Method::GET, Method::DELETE] {
        let theirs = server.tus(method.clone(), &path, &manu, &[], b"").await;
        assert_eq!(theirs.status, 404, "{method}");
    }
    let theirs = patch(&server, &manu, &path, 4, b"x", None).await;
    assert_eq!(theirs.json()["error"]["message"], "no such upload session");

    // A whole body that is not a clip: a clear 4xx, and the session is gone.
    let refused = patch(&server, &olive, &path, 4, b"\0\0\0\0\0\0", None).await;
    assert_eq!(refused.status, 415, "{}", refused.text());
    assert_eq!(server.tus(Method::HEAD, &path, &olive, &[], b"").await.status, 404);
    let clips = server.get("/api/v1/clips", &olive).await.json();
    assert_eq!(clips["clips"].as_array().map(Vec::len), Some(0), "no clip: {clips}");
}

async fn a_take_sent_in_pieces_becomes_the_clip_its_link_was_reserved_for(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let created = open(&server, &olive, &[("upload-defer-length", "1")]).await;
    let page_url = header(&created, "offbeat-page-url").unwrap().to_owned();
    let path = create(&server, &olive, &[("upload-defer-length", "1")]).await;
    let head = server.tus(Method::HEAD, &path, &olive, &[], b"").await;
    assert_eq!(header(&head, "upload-defer-length"), Some("1"));
    let page_url_2 = header(&head, "offbeat-page-url").unwrap().to_owned();
    assert_ne!(page_url, page_url_2, "each session reserves its own link");

    let thirds = [0, CLIP.len() / 3, 2 * CLIP.len() / 3, CLIP.len()];
    for piece in thirds.windows(2).take(2) {
        let sent = patch(&server, &olive, &path, piece[0], &CLIP[piece[0]..piece[1]], None).await;
        assert_eq!(sent.status, 204, "{}", sent.text());
        assert_eq!(header(&sent, "upload-offset"), Some(piece[1].to_string().as_str()));
        assert!(header(&sent, "offbeat-clip-id").is_none(), "not a clip before the end");
    }
    let last = patch(&server, &olive, &path, thirds[2], &CLIP[thirds[2]..], Some(CLIP.len())).await;
    assert_eq!(last.status, 204, "{}", last.text());
    let clip_id = header(&last, "offbeat-clip-id").unwrap().to_owned();

    let shown = server.tus(Method::GET, &path, &olive, &[], b"").await.json();
    assert_eq!(shown["offset"], CLIP.len());
    assert_eq!(
        shown["sha256"],
        hex::encode(Sha256::digest(CLIP)),
        "what arrived, hashed"
    );
    assert_eq!(shown["clip"]["id"], clip_id.as_str());
    assert_eq!(
        shown["clip"]["sharing"]["url"],
        page_url_2.as_str(),
        "the link reserved at the start"
    );

    let again = patch(&server, &olive, &path, CLIP.len(), b"", None).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["error"]["message"], "this upload is already complete");
    assert_eq!(server.tus(Method::DELETE, &path, &olive, &[], b"").await.status, 204);
    assert_eq!(server.tus(Method::HEAD, &path, &olive, &[], b"").await.status, 404);
}

async fn abandoned_sessions_go_with_their_bytes_and_live_ones_stay(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let path = create(&server, &olive, &[("upload-defer-length", "1")]).await;
    assert_eq!(patch(&server, &olive, &path, 0, b"OggS", None).await.status, 204);
    let id = path.rsplit('/').next().unwrap();
    let part = server.state.uploads_dir.join(format!("{id}.part"));
    assert!(part.exists());
    let clean = |ttl| server::services::uploads::clean_abandoned(&server.state, ttl);
    assert_eq!(clean(Duration::from_secs(3600)).await.unwrap(), 0, "touched just now");
    assert_eq!(clean(Duration::ZERO).await.unwrap(), 1);
    assert!(!part.exists(), "its bytes are gone");
    assert_eq!(server.tus(Method::HEAD, &path, &olive, &[], b"").await.status, 404);
}

/// The record button's Cancel: the take's bytes go, nobody is told, and its link (sent early to
/// the team, maybe) says it was cancelled instead of "recording…" or nothing.
async fn a_take_cancelled_while_recording_leaves_a_link_that_says_so(backend: Backend) {
    let server = Harness::on(backend, &["--smtp-url", "smtp://127.0.0.1:9"]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let path = create(&server, &olive, &[("upload-defer-length", "1")]).await;
    let head = server.tus(Method::HEAD, &path, &olive, &[], b"").await;
    let page_url = header(&head, "offbeat-page-url").unwrap().to_owned();
    let page = format!("/c/{}", page_url.rsplit('/').next().unwrap());
    assert_eq!(
        patch(&server, &olive, &path, 0, &CLIP[..CLIP.len() / 2], None)
            .await
            .status,
        204
    );
    let cookie = server.session("manu@example.com").await;
    assert!(server.page(&cookie, &page).await.contains("is recording this message"));

    assert_eq!(server.tus(Method::DELETE, &path, &olive, &[], b"").await.status, 204);
    let id = path.rsplit('/').next().unwrap();
    assert!(
        !server.state.uploads_dir.join(format!("{id}.part")).exists(),
        "its bytes are gone"
    );
    assert_eq!(server.tus(Method::HEAD, &path, &olive, &[], b"").await.status, 404);
    let said = server.page(&cookie, &page).await;
    assert!(said.contains("This recording was cancelled"), "{said}");
    assert!(
        said.contains("Olive cancelled it"),
        "her team is told whose it was: {said}"
    );
    assert!(!said.contains("is recording this message"), "{said}");
    // Outside the team the link says no more than that.
    let stranger = server
        .call(axum::http::Method::GET, &page, None, axum::body::Body::empty())
        .await;
    assert_eq!(stranger.status, 200);
    assert!(stranger.text().contains("Whoever recorded it cancelled it"));
    // Nobody hears of it.
    server::services::notifications::fan_out(&server.state).await.unwrap();
    assert!(
        server
            .state
            .db
            .notifications()
            .of_recipient(&manu.user.id)
            .await
            .unwrap()
            .is_empty(),
        "a cancelled take is never announced"
    );
}

/// A take whose bytes stop arriving (a tab closed for good mid-take) becomes, after the grace,
/// a clip of what arrived: its link plays that and says where it stopped. One with nothing in
/// it says it stopped, with nothing to play.
async fn a_take_whose_bytes_stop_arriving_becomes_a_clip_of_what_came(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let cookie = server.session("manu@example.com").await;
    let page_of = |head: &Answer| {
        format!(
            "/c/{}",
            header(head, "offbeat-page-url").unwrap().rsplit('/').next().unwrap()
        )
    };
    let path = create(&server, &olive, &[("upload-defer-length", "1")]).await;
    let page = page_of(&server.tus(Method::HEAD, &path, &olive, &[], b"").await);
    let part = CLIP.len() * 2 / 3;
    assert_eq!(patch(&server, &olive, &path, 0, &CLIP[..part], None).await.status, 204);
    let empty = create(&server, &olive, &[("upload-defer-length", "1")]).await;
    let empty_page = page_of(&server.tus(Method::HEAD, &empty, &olive, &[], b"").await);
    // One whose bytes are on no disk of this process (its holder's, gone): not finished here,
    // and no hindrance to the others.
    let elsewhere = create(&server, &olive, &[("upload-defer-length", "1")]).await;
    assert_eq!(
        patch(&server, &olive, &elsewhere, 0, &CLIP[..part], None).await.status,
        204
    );
    let elsewhere_id = elsewhere.rsplit('/').next().unwrap();
    std::fs::remove_file(server.state.uploads_dir.join(format!("{elsewhere_id}.part"))).unwrap();
    let stalled = |after| server::services::uploads::finish_stalled(&server.state, after);

    assert_eq!(stalled(Duration::from_secs(120)).await.unwrap(), 0, "still arriving");
    assert!(server.page(&cookie, &page).await.contains("is recording this message"));
    assert_eq!(stalled(Duration::ZERO).await.unwrap(), 2);

    let said = server.page(&cookie, &page).await;
    assert!(said.contains("This recording stopped at 0:0"), "{said}");
    assert!(!said.contains("is recording this message"), "{said}");
    let session = server.tus(Method::GET, &path, &olive, &[], b"").await.json();
    let clip = &session["clip"];
    let ms = clip["duration_ms"].as_i64().unwrap();
    assert!(ms > 500 && ms < 3500, "what arrived of a 3.5 s take: {ms} ms");
    assert_eq!(
        clip["sharing"]["url"].as_str().unwrap().rsplit('/').next(),
        page.rsplit('/').next()
    );
    let media = server
        .get(&format!("/api/v1/clips/{}/media", clip["id"].as_str().unwrap()), &olive)
        .await;
    assert_eq!(media.status, StatusCode::OK, "what came plays");
    assert!(media.body.starts_with(b"OggS"), "stored as Ogg Opus");

    let nothing = server.page(&cookie, &empty_page).await;
    assert!(nothing.contains("This recording stopped"), "{nothing}");
    assert!(nothing.contains("nothing to play"), "{nothing}");
    assert_eq!(stalled(Duration::ZERO).await.unwrap(), 0, "each once");
}

on_every_database!(
    a_take_whose_bytes_stop_arriving_becomes_a_clip_of_what_came,
    a_take_cancelled_while_recording_leaves_a_link_that_says_so,
    the_protocol_is_announced_and_enforced,
    a_take_sent_in_pieces_becomes_the_clip_its_link_was_reserved_for,
    abandoned_sessions_go_with_their_bytes_and_live_ones_stay,
);
