//! The server's storage path end to end: the real `server` binary, a real S3-protocol server
//! (s3s-fs over HTTP with SigV4) or the local backend, real clips from the real recorder.

// A failed expectation is a failed test: panicking is the point.

use std::path::{Path, PathBuf};

use offbeat_tests::audio::opus_facts;
use offbeat_tests::http::{self, Reply, cut_off_upload, get, request};
use offbeat_tests::s3::S3Server;
use offbeat_tests::seaweedfs::SeaweedFs;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{live_webm, recorder, require, run_ok, speech};
use sha2::{Digest, Sha256};

/// A speech clip made by the real recorder.
fn speech_clip(dir: &Path) -> PathBuf {
    let wav = speech(dir, "speech", "the design review is now on monday afternoon");
    let opus = dir.join("speech.opus");
    run_ok(
        recorder()
            .arg("encode")
            .arg(&wav)
            .arg(&opus)
            .args(["--title", "Design review"]),
    );
    opus
}

/// A clip larger than `min_bytes`: pink noise at a high bitrate, so it stays big.
fn big_clip(dir: &Path, min_bytes: u64) -> PathBuf {
    require(&["sox"]);
    let wav = dir.join("noise.wav");
    let secs = (min_bytes * 8 / 128_000 + 30).to_string();
    run_ok(
        std::process::Command::new("sox")
            .args(["-n", "-r", "48000", "-c", "1"])
            .arg(&wav)
            .args(["synth", &secs, "pinknoise", "vol", "0.3"]),
    );
    let opus = dir.join("big.opus");
    run_ok(
        recorder()
            .arg("encode")
            .arg(&wav)
            .arg(&opus)
            .args(["--bitrate", "128k"]),
    );
    assert!(std::fs::metadata(&opus).unwrap().len() > min_bytes);
    opus
}

fn upload(server: &ServerProc, bytes: &[u8], query: &str) -> Reply {
    request(
        "POST",
        &server.api(&format!("/api/v1/clips{query}")),
        &[("Content-Type", "application/octet-stream")],
        Some(bytes),
    )
}

/// 12 s of camera WebM as a browser records it, over two S3 parts of 5 MiB (noise does not
/// compress).
fn camera_webm(dir: &Path) -> Vec<u8> {
    let webm = dir.join("camera.webm");
    live_webm(
        &webm,
        "nullsrc=size=320x240:rate=30,format=yuv420p,noise=alls=80:allf=t",
        12,
        "10M",
    );
    let bytes = std::fs::read(&webm).unwrap();
    assert!(bytes.len() > 12 << 20, "{} bytes", bytes.len());
    bytes
}

/// How long ffprobe says the WebM `bytes` lasts (written into `dir` to be read).
fn probed_secs(dir: &Path, bytes: &[u8]) -> f64 {
    let file = dir.join("probed.webm");
    std::fs::write(&file, bytes).unwrap();
    let probe = run_ok(
        std::process::Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
            .arg(&file),
    );
    String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Upload, metadata, listing, full and ranged GETs byte-exact, conditional GET, peaks, delete.
fn round_trip(server: &ServerProc, object_exists: &dyn Fn(&str) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let clip_path = speech_clip(dir.path());
    let bytes = std::fs::read(&clip_path).unwrap();
    let facts = opus_facts(&clip_path);

    let created = upload(server, &bytes, "");
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let clip = created.json();
    let id = clip["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "ids carry 128 random bits as hex");
    assert_eq!(created.header("location"), clip["url"].as_str());
    assert_eq!(clip["title"], "Design review", "title comes from the file's OpusTags");
    assert_eq!(clip["status"], "ready");
    assert_eq!(
        clip["duration_ms"].as_u64().unwrap(),
        facts.duration_samples * 1000 / 48_000
    );
    let media = &clip["media"];
    assert_eq!(media["container"], "ogg");
    assert_eq!(media["audio_codec"], "opus");
    assert_eq!(media["has_video"], false);
    assert_eq!(media["channels"], 1);
    assert_eq!(media["sample_rate"], 48_000);
    assert_eq!(media["byte_size"].as_u64().unwrap(), bytes.len() as u64);
    assert_eq!(media["sha256"].as_str().unwrap(), sha256_hex(&bytes));
    assert!(clip["recorded_at"].as_str().is_some_and(|t| t.len() >= 20), "{clip}");
    assert!(object_exists(&id), "the object is stored");

    let shown = get(&server.api(&format!("/api/v1/clips/{id}")));
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["media"]["sha256"], media["sha256"]);

    // Full body, byte-exact, with its type and validator.
    let full = get(clip["media_url"].as_str().unwrap());
    assert_eq!(full.status, 200);
    assert_eq!(full.body, bytes);
    assert_eq!(full.header("content-type"), Some("audio/ogg; codecs=opus"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    let etag = full.header("etag").unwrap().to_owned();

    // Ranges: head, middle, open-ended, suffix; and one past the end.
    let n = bytes.len();
    for (range, first, last) in [
        ("bytes=0-9".to_owned(), 0, 9),
        (format!("bytes={}-{}", n / 3, n / 2), n / 3, n / 2),
        (format!("bytes={}-", n - 100), n - 100, n - 1),
        ("bytes=-50".to_owned(), n - 50, n - 1),
    ] {
        let part = request("GET", clip["media_url"].as_str().unwrap(), &[("Range", &range)], None);
        assert_eq!(part.status, 206, "{range}");
        assert_eq!(part.body, bytes[first..=last], "{range}");
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes {first}-{last}/{n}").as_str())
        );
    }
    let past = request(
        "GET",
        clip["media_url"].as_str().unwrap(),
        &[("Range", &format!("bytes={n}-"))],
        None,
    );
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some(format!("bytes */{n}").as_str()));

    let cached = request(
        "GET",
        clip["media_url"].as_str().unwrap(),
        &[("If-None-Match", &etag)],
        None,
    );
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());

    // Peaks: 20 per second over the clip, and silences inside it.
    let peaks = get(clip["peaks_url"].as_str().unwrap()).json();
    let count = peaks["peaks"].as_array().unwrap().len() as u64;
    let expected = clip["duration_ms"].as_u64().unwrap() * 20 / 1000;
    assert!(count.abs_diff(expected) <= 1, "{count} peaks for {expected}");
    assert!(
        peaks["peaks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_u64().unwrap() > 50),
        "speech shows in the peaks"
    );

    // Listing: newest first, paginated.
    let second = upload(server, &bytes, "?title=Second%20take").json();
    assert_eq!(second["title"], "Second take");
    let page = get(&server.api("/api/v1/clips?limit=1")).json();
    assert_eq!(page["clips"][0]["id"], second["id"]);
    let next = page["next"].as_str().unwrap();
    let page2 = get(&server.api(&format!("/api/v1/clips?limit=1&after={next}"))).json();
    assert_eq!(page2["clips"][0]["id"].as_str(), Some(id.as_str()));
    assert!(page2["next"].is_null());

    // Delete: object and row gone; the id is then unknown.
    let deleted = request("DELETE", &server.api(&format!("/api/v1/clips/{id}")), &[], None);
    assert_eq!(deleted.status, 204);
    assert!(!object_exists(&id), "the object is deleted");
    assert_eq!(get(&server.api(&format!("/api/v1/clips/{id}"))).status, 404);
    assert_eq!(get(&server.api(&format!("/api/v1/clips/{id}/media"))).status, 404);
    let unknown = get(&server.api("/api/v1/clips/00000000000000000000000000000000"));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
}

#[test]
fn s3_backend_round_trip() {
    let s3 = S3Server::start();
    let server = ServerProc::start(Backend::S3(&s3), &[]);
    round_trip(&server, &|id| s3.object_path(&format!("clips/{id}.opus")).is_file());
}

#[test]
fn local_backend_round_trip() {
    let server = ServerProc::start(Backend::Local, &[]);
    let store = server.data_dir().join("clips-store/clips");
    round_trip(&server, &|id| store.join(format!("{id}.opus")).is_file());
}

#[test]
fn s3_multipart_for_clips_above_the_part_size() {
    let s3 = S3Server::start();
    let server = ServerProc::start(Backend::S3(&s3), &["--s3-part-size", "5242880"]);
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(big_clip(dir.path(), 6 << 20)).unwrap();
    let created = upload(&server, &bytes, "");
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let clip = created.json();
    let id = clip["id"].as_str().unwrap();
    // The stored object is the upload, byte for byte.
    assert_eq!(
        std::fs::read(s3.object_path(&format!("clips/{id}.opus"))).unwrap(),
        bytes
    );
    let full = get(clip["media_url"].as_str().unwrap());
    assert_eq!(sha256_hex(&full.body), sha256_hex(&bytes));
    // It went up in parts: S3 marks multipart ETags with the part count.
    let etag = offbeat_tests::s3::etag(&s3.endpoint(), &format!("clips/{id}.opus")).unwrap();
    assert!(
        etag.trim_matches('"').ends_with("-2"),
        "multipart ETag expected, got {etag}"
    );
}

/// Waits (bounded) until no multipart upload is left in s3s-fs: aborts are sent in the
/// background when an upload fails.
fn assert_no_pending_multipart(s3: &S3Server) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !s3.pending_multipart_files().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        s3.pending_multipart_files().is_empty(),
        "multipart uploads left behind: {:?}",
        s3.pending_multipart_files()
    );
}

#[test]
fn s3_large_uploads_stream_into_parts_while_they_arrive() {
    let s3 = S3Server::start();
    let mut server = ServerProc::start(Backend::S3(&s3), &["--s3-part-size", "5242880"]);
    let dir = tempfile::tempdir().unwrap();
    // Ogg Opus over two parts: sent part by part while staging, completed after the checks.
    let bytes = std::fs::read(big_clip(dir.path(), 13 << 20)).unwrap();
    let created = upload(&server, &bytes, "");
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let key = format!("clips/{id}.opus");
    assert_eq!(std::fs::read(s3.object_path(&key)).unwrap(), bytes);
    let parts = bytes.len().div_ceil(5 << 20);
    assert!(
        offbeat_tests::s3::etag(&s3.endpoint(), &key)
            .unwrap()
            .trim_matches('"')
            .ends_with(&format!("-{parts}"))
    );
    assert_no_pending_multipart(&s3);

    // Cut off after several parts went up, or refused after the whole body went up: the
    // multipart upload is aborted, nothing is stored.
    let before = s3.objects();
    cut_off_upload(&server.url, "/api/v1/clips", bytes.len(), &bytes[..bytes.len() * 3 / 4]);
    let mut broken = bytes.clone();
    broken[40..48].copy_from_slice(b"garbage!"); // inside the first page: a CRC mismatch
    assert_eq!(upload(&server, &broken, "").status, 400);
    assert_no_pending_multipart(&s3);
    assert_eq!(s3.objects(), before);
    assert!(server.is_running());

    // A browser-style video WebM (clusters of unknown size) over two parts: the body is stored
    // as it came, sent part by part while it arrived, with the head (Duration and Cues) beside
    // it, and what is served is exactly what the local backend serves for it.
    let bytes = camera_webm(dir.path());
    let via_s3 = upload(&server, &bytes, "");
    assert_eq!(via_s3.status, 201, "{}", String::from_utf8_lossy(&via_s3.body));
    let via_s3 = via_s3.json();
    let s3_id = via_s3["id"].as_str().unwrap();
    assert!(std::fs::read(s3.object_path(&format!("clips/{s3_id}.webm"))).unwrap() == bytes);
    assert!(s3.object_path(&format!("clips/{s3_id}.head.webm")).exists());
    let stored = get(via_s3["media_url"].as_str().unwrap()).body;
    let local = ServerProc::start(Backend::Local, &[]);
    let via_local = upload(&local, &bytes, "").json();
    // Locally too the body is kept as it came, with the head beside it.
    let local_id = via_local["id"].as_str().unwrap();
    let local_store = local.data_dir().join("clips-store/clips");
    assert!(std::fs::read(local_store.join(format!("{local_id}.webm"))).unwrap() == bytes);
    assert!(local_store.join(format!("{local_id}.head.webm")).exists());
    assert!(
        stored == get(via_local["media_url"].as_str().unwrap()).body,
        "S3 and local media differ"
    );
    assert_eq!(via_s3["media"]["sha256"], via_local["media"]["sha256"]);
    assert_eq!(via_s3["media"]["sha256"].as_str().unwrap(), sha256_hex(&stored));
    assert_eq!(via_s3["media"]["byte_size"].as_u64().unwrap(), stored.len() as u64);
    let duration = probed_secs(dir.path(), &stored);
    assert!((11.9..12.2).contains(&duration), "duration {duration}");
    assert_no_pending_multipart(&s3);
}

#[test]
fn presigned_media_redirects_to_a_working_url() {
    let s3 = S3Server::start();
    let server = ServerProc::start(Backend::S3(&s3), &["--s3-presign-media"]);
    presigned_media(&server, &s3.endpoint());
}

/// Media served as a redirect to a presigned URL that the S3 service honours, and refuses
/// once tampered with.
fn presigned_media(server: &ServerProc, endpoint: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(speech_clip(dir.path())).unwrap();
    let clip = upload(server, &bytes, "").json();
    let redirect = get(clip["media_url"].as_str().unwrap());
    assert_eq!(redirect.status, 302);
    let location = redirect.header("location").unwrap();
    assert!(
        location.starts_with(endpoint) && location.contains("X-Amz-Signature="),
        "{location}"
    );
    let fetched = get(location);
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, bytes);
    // A tampered signature is refused by S3: the URL really is signed.
    let at = location.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut tampered = location.to_owned();
    let flipped = if &location[at..=at] == "0" { "1" } else { "0" };
    tampered.replace_range(at..=at, flipped);
    assert_eq!(get(&tampered).status, 403);
}

/// A camera take, stored as a head before its body so that its link is final at once, made one
/// object inside S3 in the background and then presigned like any clip: the link plays before
/// and after, the bytes never change, and S3 copied the parts (the composed object's ETag
/// counts them) while the server sent only the first.
fn presigned_camera_take(server: &ServerProc, dir: &Path) -> (String, String) {
    let bytes = camera_webm(dir);
    let clip = upload(server, &bytes, "").json();
    let (id, url) = (clip["id"].as_str().unwrap(), clip["media_url"].as_str().unwrap());
    let sha256 = clip["media"]["sha256"].as_str().unwrap();
    // Final from the first answer: streamed through the server until it is one object.
    let first = get(url);
    assert!(matches!(first.status, 200 | 302), "{}", first.status);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let location = loop {
        let served = get(url);
        if served.status == 302 {
            break served.header("location").unwrap().to_owned();
        }
        assert_eq!(served.status, 200);
        assert_eq!(sha256_hex(&served.body), sha256);
        assert!(std::time::Instant::now() < deadline, "the take was never composed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let fetched = get(&location);
    assert_eq!(fetched.status, 200);
    assert_eq!(sha256_hex(&fetched.body), sha256, "the composed object differs");
    assert_eq!(fetched.body.len() as u64, clip["media"]["byte_size"].as_u64().unwrap());
    let duration = probed_secs(dir, &fetched.body);
    assert!((11.9..12.2).contains(&duration), "duration {duration}");
    let path = location.split('?').next().unwrap();
    let prefix = format!("clips/{id}.whole-");
    let key = path[path.rfind(&prefix).unwrap_or_else(|| panic!("{location}"))..].to_owned();
    (id.to_owned(), key)
}

#[test]
fn s3_camera_take_is_composed_inside_s3_and_presigned() {
    let s3 = S3Server::start();
    let server = ServerProc::start(Backend::S3(&s3), &["--s3-presign-media", "--s3-part-size", "5242880"]);
    let dir = tempfile::tempdir().unwrap();
    let (id, key) = presigned_camera_take(&server, dir.path());
    // The first part is the head and 5 MiB; the rest went as parts of 5 MiB copied by S3.
    let size = std::fs::metadata(s3.object_path(&key)).unwrap().len();
    let head = std::fs::metadata(s3.object_path(&format!("clips/{id}.head.webm")))
        .unwrap()
        .len();
    let parts = 1 + (size - head - (5 << 20)).div_ceil(5 << 20);
    assert!(parts >= 3, "{parts} parts");
    let etag = offbeat_tests::s3::etag(&s3.endpoint(), &key).unwrap();
    assert!(
        etag.trim_matches('"').ends_with(&format!("-{parts}")),
        "{etag}, {size} bytes"
    );
    assert_no_pending_multipart(&s3);
    // The head and body stay a while for readers who began on them (the janitor removes
    // them); deleting the clip removes the object it is now.
    assert!(s3.object_path(&format!("clips/{id}.webm")).exists());
    let deleted = request("DELETE", &server.api(&format!("/api/v1/clips/{id}")), &[], None);
    assert_eq!(deleted.status, 204);
    assert!(!s3.object_path(&key).exists());
}

/// A camera take sent while it is recorded, as the record button sends it: its whole parts go
/// to S3 as they arrive and the body is stored as it came, with its seekable head (Duration,
/// Cues) as a small object of its own — finishing copies nothing — and what is served, whole or
/// in ranges across the seam, is exactly what a one-shot upload of the same take serves.
#[test]
fn s3_camera_take_sent_while_recorded_is_served_with_its_head_in_front() {
    let s3 = S3Server::start();
    let server = ServerProc::start(Backend::S3(&s3), &[]);
    let dir = tempfile::tempdir().unwrap();
    let bytes = camera_webm(dir.path());

    let created = request(
        "POST",
        &server.api("/api/v1/uploads"),
        &[("Tus-Resumable", "1.0.0"), ("Upload-Defer-Length", "1")],
        Some(b""),
    );
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let session = created.header("location").unwrap().to_owned();
    let mut sent = 0;
    let mut parts_while_recording = 0;
    for chunk in bytes.chunks(1 << 20) {
        let last = sent + chunk.len() == bytes.len();
        let reply = http::tus_patch(&session, sent as u64, chunk, last.then_some(bytes.len()));
        assert_eq!(reply.status, 204, "{}", String::from_utf8_lossy(&reply.body));
        sent += chunk.len();
        if !last {
            parts_while_recording = get(&session).json()["stored_parts"].as_u64().unwrap();
        }
    }
    assert!(
        parts_while_recording >= 2,
        "{parts_while_recording} parts sent while the take was recorded"
    );
    let clip = get(&session).json()["clip"].clone();
    let id = clip["id"].as_str().unwrap().to_owned();
    assert_eq!(clip["media"]["has_video"], true);

    // Stored: the body byte for byte as it arrived (completed from its parts), and the head.
    let (body_key, head_key) = (format!("clips/{id}.webm"), format!("clips/{id}.head.webm"));
    assert!(std::fs::read(s3.object_path(&body_key)).unwrap() == bytes);
    let parts = bytes.len().div_ceil(5 << 20);
    let etag = offbeat_tests::s3::etag(&s3.endpoint(), &body_key).unwrap();
    assert!(etag.trim_matches('"').ends_with(&format!("-{parts}")), "{etag}");
    let head = std::fs::read(s3.object_path(&head_key)).unwrap();
    assert!(head.len() < 64 << 10, "a head of {} bytes", head.len());
    assert_no_pending_multipart(&s3);

    // Served: the head, then the clusters; the same bytes as a one-shot upload of the take
    // serves, and as a player reads them.
    let served = get(clip["media_url"].as_str().unwrap()).body;
    let oneshot = upload(&server, &bytes, "").json();
    assert!(
        served == get(oneshot["media_url"].as_str().unwrap()).body,
        "session and one-shot media differ"
    );
    assert!(served.starts_with(&head));
    assert_eq!(clip["media"]["byte_size"].as_u64().unwrap(), served.len() as u64);
    assert_eq!(clip["media"]["sha256"].as_str().unwrap(), sha256_hex(&served));
    let (n, h) = (served.len(), head.len());
    for (first, last) in [
        (0, 9),
        (h - 5, h + 5),
        (h - 1, h - 1),
        (h, h),
        (h + 1000, n - 1),
        (n - 50, n - 1),
    ] {
        let range = format!("bytes={first}-{last}");
        let part = request("GET", clip["media_url"].as_str().unwrap(), &[("Range", &range)], None);
        assert_eq!(part.status, 206, "{range}");
        assert!(part.body == served[first..=last], "{range}");
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes {first}-{last}/{n}").as_str())
        );
    }
    let duration = probed_secs(dir.path(), &served);
    assert!((11.9..12.2).contains(&duration), "duration {duration}");

    // Deleted: both objects go.
    let deleted = request("DELETE", &server.api(&format!("/api/v1/clips/{id}")), &[], None);
    assert_eq!(deleted.status, 204);
    assert!(!s3.object_path(&body_key).exists() && !s3.object_path(&head_key).exists());
}

/// The same against SeaweedFS, a real S3 service that clusters use: the round trip, a clip
/// stored in parts, presigned media.
#[test]
fn seaweedfs_stores_serves_and_presigns_clips() {
    let weed = SeaweedFs::start();
    let endpoint = weed.endpoint();
    let server = ServerProc::start(Backend::SeaweedFs(&weed), &["--s3-part-size", "5242880"]);
    round_trip(&server, &|id| {
        offbeat_tests::s3::etag(&endpoint, &format!("clips/{id}.opus")).is_some()
    });
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(big_clip(dir.path(), 6 << 20)).unwrap();
    let created = upload(&server, &bytes, "");
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let clip = created.json();
    let full = get(clip["media_url"].as_str().unwrap());
    assert_eq!(sha256_hex(&full.body), sha256_hex(&bytes));
    let key = format!("clips/{}.opus", clip["id"].as_str().unwrap());
    let etag = offbeat_tests::s3::etag(&endpoint, &key).unwrap();
    assert!(
        etag.trim_matches('"').ends_with("-2"),
        "multipart ETag expected, got {etag}"
    );
    let presigning = ServerProc::start(
        Backend::SeaweedFs(&weed),
        &["--s3-presign-media", "--s3-part-size", "5242880"],
    );
    presigned_media(&presigning, &endpoint);
    presigned_camera_take(&presigning, dir.path());
}

/// After failures: no object, no row, nothing staged, and the server still serves.
fn assert_nothing_left(server: &mut ServerProc, objects: &dyn Fn() -> Vec<String>) {
    assert!(objects().is_empty(), "objects left behind: {:?}", objects());
    assert_eq!(
        get(&server.api("/api/v1/clips")).json()["clips"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Staged files go when the request's future is dropped: wait for that, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !server.staged_files().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        server.staged_files().is_empty(),
        "staged files left: {:?}",
        server.staged_files()
    );
    assert!(server.is_running());
    assert_eq!(get(&server.api("/readyz")).status, 200);
}

fn cut_off_and_oversize(server: &mut ServerProc, objects: &dyn Fn() -> Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(speech_clip(dir.path())).unwrap();
    cut_off_upload(&server.url, "/api/v1/clips", bytes.len(), &bytes[..bytes.len() / 2]);
    // Declared too large: refused before the body is read.
    let declared = request(
        "POST",
        &server.api("/api/v1/clips"),
        &[("Content-Length", "999999999")],
        Some(&[]),
    );
    assert!(matches!(declared.status, 413), "{}", declared.status);
    // Too large while streaming (the limit is 20000 bytes for this server): the answer may come
    // before the client has finished sending.
    let big = vec![b'x'; 200_000];
    assert_eq!(
        http::post_status_despite_early_close(&server.url, "/api/v1/clips", &big),
        413
    );
    assert_nothing_left(server, objects);
    // And a good upload still works afterwards.
    assert_eq!(upload(server, &bytes, "").status, 201);
}

#[test]
fn s3_cut_off_and_oversize_uploads_leave_nothing() {
    let s3 = S3Server::start();
    let mut server = ServerProc::start(Backend::S3(&s3), &["--max-upload-bytes", "20000"]);
    cut_off_and_oversize(&mut server, &|| s3.objects());
}

#[test]
fn local_cut_off_and_oversize_uploads_leave_nothing() {
    let mut server = ServerProc::start(Backend::Local, &["--max-upload-bytes", "20000"]);
    let store = server.data_dir().join("clips-store");
    cut_off_and_oversize(&mut server, &|| walk(&store));
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    out
}

#[test]
fn s3_outage_gives_503_and_recovers_without_restart() {
    let mut s3 = S3Server::start();
    let mut server = ServerProc::start(Backend::S3(&s3), &[]);
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(speech_clip(dir.path())).unwrap();

    s3.stop();
    let refused = upload(&server, &bytes, "");
    assert_eq!(refused.status, 503, "{}", String::from_utf8_lossy(&refused.body));
    assert_eq!(refused.json()["error"]["code"], "storage_unavailable");
    assert!(refused.header("retry-after").is_some());
    let ready = get(&server.api("/readyz"));
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["storage"]["ok"], false);
    assert!(server.is_running());
    assert!(server.staged_files().is_empty());

    s3.restart();
    let accepted = upload(&server, &bytes, "");
    assert_eq!(accepted.status, 201, "{}", String::from_utf8_lossy(&accepted.body));
    assert_eq!(get(&server.api("/readyz")).status, 200);
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&server.api(&format!("/api/v1/clips/{id}/media"))).body, bytes);
}

#[test]
fn recorder_upload_prints_the_clip_url() {
    let server = ServerProc::start(Backend::Local, &[]);
    let dir = tempfile::tempdir().unwrap();
    let clip = speech_clip(dir.path());
    let out = run_ok(server.recorder().arg("upload").arg(&clip).args([
        "--server",
        &server.url,
        "--title",
        "From the CLI",
        "--author",
        "Ana (Berlin)",
    ]));
    let link = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(link.starts_with(&format!("{}/c/", server.url)), "a page link: {link}");
    let shown = server.clip_of_page(&link);
    assert_eq!(shown["title"], "From the CLI");
    assert_eq!(
        shown["author"], "Olive Owner",
        "the signed-in uploader, whatever --author asks for: nobody posts under another's name"
    );
    assert_eq!(
        shown["media"]["sha256"].as_str().unwrap(),
        sha256_hex(&std::fs::read(&clip).unwrap())
    );

    // A WAV is encoded on the way.
    let wav = dir.path().join("speech.wav");
    let from_wav = run_ok(
        server
            .recorder()
            .arg("upload")
            .arg(&wav)
            .args(["--server", &server.url]),
    );
    let wav_link = String::from_utf8(from_wav.stdout).unwrap().trim().to_owned();
    assert_eq!(server.clip_of_page(&wav_link)["media"]["audio_codec"], "opus");

    // A refused upload is one clear line.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a recording at all").unwrap();
    let refused = server
        .recorder()
        .arg("upload")
        .arg(&notes)
        .args(["--server", &server.url])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("refused the upload (415)"), "{stderr}");
}

#[test]
fn config_file_applies_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offbeat.toml");
    std::fs::write(
        &file,
        "max_upload_bytes = 20000\npublic_url = \"https://from-file.example\"\n",
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let server = ServerProc::start(
        Backend::Local,
        &["--config", config, "--public-url", "https://from-flag.example"],
    );
    // From the file: the upload limit.
    let big = vec![b'x'; 50_000];
    assert_eq!(
        http::post_status_despite_early_close(&server.url, "/api/v1/clips", &big),
        413
    );
    // From the flag, over the file: the public URL in the links.
    let clip = upload(&server, &std::fs::read(speech_clip(dir.path())).unwrap(), "");
    assert_eq!(clip.status, 201);
    assert!(
        clip.json()["url"]
            .as_str()
            .unwrap()
            .starts_with("https://from-flag.example/api/v1/clips/")
    );

    // A key that is not a setting is an error, not silently ignored.
    std::fs::write(&file, "max_upload_byte = 1\n").unwrap();
    let out = std::process::Command::new(offbeat_tests::tools::workspace_bin("server"))
        .args(["--config", config, "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("max_upload_byte"), "{stderr}");
}

#[test]
fn a_server_killed_mid_upload_leaves_no_clip_and_no_litter() {
    let mut server = ServerProc::start(Backend::Local, &[]);
    // An upload in flight: headers and half the body sent, the connection left open.
    let addr = server.url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::Write;
    write!(
        stream,
        "POST /api/v1/clips HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Length: 1000000\r\n\r\n",
        server.user.token
    )
    .unwrap();
    stream.write_all(&[b'O'; 500_000]).unwrap();
    stream.flush().unwrap();
    // Wait (bounded) until the server has staged some of it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.staged_files().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(server.staged_files().len(), 1, "the upload is being staged");

    server.kill_and_restart();
    assert!(
        server.staged_files().is_empty(),
        "a restart clears what the dead process staged"
    );
    assert_eq!(
        get(&server.api("/api/v1/clips")).json()["clips"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(get(&server.api("/readyz")).status, 200);
}
