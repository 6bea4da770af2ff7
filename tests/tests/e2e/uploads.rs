//! Resumable uploads (tus 1.0) against the real server: a take sent in chunks through twenty
//! dropped connections arrives byte-exact; a server restart mid-upload loses nothing; offsets,
//! ownership, bad bodies and abandoned sessions are handled.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use offbeat_tests::http::{request, try_tus_patch, tus_patch};
use offbeat_tests::s3::S3Server;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{recorder, run_ok};
use sha2::{Digest, Sha256};

fn take(dir: &Path, secs: u32) -> Vec<u8> {
    let wav = dir.join("noise.wav");
    run_ok(
        std::process::Command::new("sox")
            .args(["-n", "-r", "48000", "-c", "1"])
            .arg(&wav)
            .args(["synth", &secs.to_string(), "pinknoise", "vol", "0.3"]),
    );
    let opus = dir.join("take.opus");
    run_ok(recorder().arg("encode").arg(&wav).arg(&opus).args(["--bitrate", "64k"]));
    std::fs::read(opus).unwrap()
}

/// A byte inside the body (not the header) of the Ogg page that holds byte `at`.
fn body_byte_of_page_at(ogg: &[u8], at: usize) -> usize {
    let mut page = 0;
    loop {
        let segments = usize::from(ogg[page + 26]);
        let body: usize = ogg[page + 27..page + 27 + segments]
            .iter()
            .map(|&l| usize::from(l))
            .sum();
        let end = page + 27 + segments + body;
        if at < end && body > 0 {
            return page + 27 + segments + body / 2;
        }
        page = end;
    }
}

/// What every tus request says.
const TUS: (&str, &str) = ("Tus-Resumable", "1.0.0");

fn create(server: &ServerProc, headers: &[(&str, &str)]) -> String {
    let headers: Vec<(&str, &str)> = std::iter::once(TUS).chain(headers.iter().copied()).collect();
    let reply = request("POST", &server.api("/api/v1/uploads"), &headers, Some(b""));
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("tus-resumable"), Some("1.0.0"));
    reply.header("location").unwrap().to_owned()
}

fn offset(url: &str) -> u64 {
    let head = request("HEAD", url, &[TUS], None);
    assert_eq!(head.status, 200);
    head.header("upload-offset").unwrap().parse().unwrap()
}

/// A PATCH whose connection dies after `sent` of its `chunk` bytes.
fn patch_cut_off(server: &ServerProc, url: &str, at: u64, chunk: &[u8], sent: usize) {
    let addr = server.url.trim_start_matches("http://");
    let path = url.trim_start_matches(&server.url);
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
         Upload-Offset: {at}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        server.user.token,
        chunk.len()
    )
    .unwrap();
    stream.write_all(&chunk[..sent]).unwrap();
    stream.flush().unwrap();
    stream.shutdown(std::net::Shutdown::Both).unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A small deterministic generator: the same "random" boundaries every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn twenty_dropped_connections_and_the_take_still_arrives_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = take(dir.path(), 60);
    let server = ServerProc::start(Backend::Local, &[]);
    // Length deferred, as while recording; title in tus metadata.
    let url = create(
        &server,
        &[
            ("Upload-Defer-Length", "1"),
            ("Upload-Metadata", "title TGF1bmNoIHBsYW4="),
        ],
    );
    let mut rng = Lcg(7);
    let mut drops = 0;
    let mut sent_whole = 0;
    // Like any tus client: ask where the server is, send from there; a refused or broken
    // request just means asking again.
    loop {
        let at = offset(&url);
        if at as usize == bytes.len() {
            break;
        }
        let size = (5_000 + rng.next(15_000) as usize).min(bytes.len() - at as usize);
        let chunk = &bytes[at as usize..at as usize + size];
        let last = at as usize + size == bytes.len();
        if drops < 20 && !last && sent_whole % 2 == 0 {
            patch_cut_off(&server, &url, at, chunk, 1 + rng.next(size as u64 - 1) as usize);
            drops += 1;
            sent_whole += 1;
            continue;
        }
        match try_tus_patch(&url, at, chunk, last.then_some(bytes.len())) {
            Ok(reply) if reply.status == 204 => sent_whole += 1,
            // Still busy with the broken one: refused, perhaps before the body was all sent.
            Ok(reply) if reply.status == 409 => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
            Ok(reply) => panic!(
                "PATCH answered {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ),
        }
    }
    assert_eq!(drops, 20, "the take must be long enough for twenty drops");
    let session = request("GET", &url, &[], None).json();
    let clip = &session["clip"];
    assert_eq!(clip["title"], "Launch plan");
    assert_eq!(clip["media"]["sha256"], sha256_hex(&bytes));
    let media = request("GET", clip["media_url"].as_str().unwrap(), &[], None);
    assert_eq!(media.body, bytes, "byte-exact");
    // Done is done: further writes are refused.
    assert_eq!(tus_patch(&url, bytes.len() as u64, b"more", None).status, 409);
}

#[test]
fn a_server_restart_mid_upload_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = take(dir.path(), 20);
    let mut server = ServerProc::start(Backend::Local, &[]);
    let url = create(&server, &[("Upload-Length", &bytes.len().to_string())]);
    let half = bytes.len() / 2;
    assert_eq!(tus_patch(&url, 0, &bytes[..half], None).status, 204);
    server.kill_and_restart();
    let url = url.replacen(url.split("/api/").next().unwrap(), &server.url, 1);
    assert_eq!(offset(&url), half as u64, "what was acknowledged survived the crash");
    // A wrong offset is refused; the right one finishes it.
    assert_eq!(tus_patch(&url, 1, &bytes[half..], None).status, 409);
    let done = tus_patch(&url, half as u64, &bytes[half..], None);
    assert_eq!(done.status, 204);
    let clip_url =
        done.header("offbeat-clip-url")
            .unwrap()
            .replacen(url.split("/api/").next().unwrap(), &server.url, 1);
    let clip = request("GET", &clip_url, &[], None).json();
    assert_eq!(clip["media"]["sha256"], sha256_hex(&bytes));
}

/// The protocol's rules, privacy and whole bodies that are not clips are checked in process
/// (`server/tests/tus.rs`); this needs a real recording and the server's own janitor.
#[test]
fn a_take_gone_bad_mid_way_is_refused_and_abandoned_sessions_go() {
    let server = ServerProc::start(Backend::Local, &["--upload-session-ttl-secs", "2"]);
    // A take that goes bad mid-way (a page's checksum broken) is refused when it is finished,
    // with the reason, however it was checked while arriving; nothing is kept.
    let dir = tempfile::tempdir().unwrap();
    let mut bad_take = take(dir.path(), 5);
    let body_byte = body_byte_of_page_at(&bad_take, bad_take.len() / 2);
    bad_take[body_byte] ^= 0xff;
    let bad_session = create(&server, &[("Upload-Defer-Length", "1")]);
    let half = bad_take.len() / 3;
    assert_eq!(tus_patch(&bad_session, 0, &bad_take[..half], None).status, 204);
    let refused = tus_patch(&bad_session, half as u64, &bad_take[half..], Some(bad_take.len()));
    assert_eq!(refused.status, 400, "{}", String::from_utf8_lossy(&refused.body));
    assert!(
        refused.error_message().contains("corrupt"),
        "{}",
        refused.error_message()
    );
    assert_eq!(request("HEAD", &bad_session, &[TUS], None).status, 404);
    let listed = request("GET", &server.api("/api/v1/clips"), &[], None).json();
    assert_eq!(listed["clips"].as_array().map(Vec::len), Some(0), "no clip");
    // Abandoned: untouched past the time to live, its bytes and row are removed.
    let idle = create(&server, &[("Upload-Defer-Length", "1")]);
    assert_eq!(tus_patch(&idle, 0, b"OggS", None).status, 204);
    let id = idle.rsplit('/').next().unwrap().to_owned();
    let part = server.data_dir().join(format!("uploads/{id}.part"));
    assert!(part.exists());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while part.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!part.exists(), "abandoned bytes removed");
    assert_eq!(request("HEAD", &idle, &[TUS], None).status, 404);
}

#[test]
fn on_s3_parts_go_ahead_while_a_take_arrives_survive_a_restart_and_abandoned_uploads_are_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("noise.wav");
    run_ok(
        std::process::Command::new("sox")
            .args(["-n", "-r", "48000", "-c", "2"])
            .arg(&wav)
            .args(["synth", "200", "whitenoise", "vol", "0.5"]),
    );
    let opus = dir.path().join("big.opus");
    run_ok(
        recorder()
            .arg("encode")
            .arg(&wav)
            .arg(&opus)
            .args(["--bitrate", "510k"]),
    );
    let bytes = std::fs::read(&opus).unwrap();
    const PART: usize = 5 << 20;
    assert!(bytes.len() > 2 * PART, "{} bytes: more than two parts", bytes.len());
    let s3 = S3Server::start();
    let mut server = ServerProc::start(
        Backend::S3(&s3),
        &["--s3-part-size", &PART.to_string(), "--upload-session-ttl-secs", "8"],
    );

    // A take of unknown length arrives in 1 MB chunks: once the session holds two whole parts,
    // both are in S3 already — pending, invisible.
    let url = create(&server, &[("Upload-Defer-Length", "1")]);
    let mut at = 0;
    while at < 2 * PART + 100_000 {
        let end = (at + (1 << 20)).min(2 * PART + 100_000);
        assert_eq!(tus_patch(&url, at as u64, &bytes[at..end], None).status, 204);
        at = end;
    }
    let pending = s3.pending_multipart_files();
    assert!(!pending.is_empty(), "the parts went ahead");
    let parts_bytes: u64 = pending
        .iter()
        .map(|name| std::fs::metadata(s3.root().join(name)).map_or(0, |m| m.len()))
        .sum();
    assert!(parts_bytes >= 2 * PART as u64, "{parts_bytes} bytes of parts in S3");
    assert!(s3.objects().is_empty(), "nothing visible before the take is final");
    assert_eq!(request("GET", &url, &[], None).json()["stored_parts"], 2);

    // The server dies and comes back: the parts it sent are remembered, not sent again.
    server.kill();
    server.restart();
    assert_eq!(offset(&url), at as u64);
    assert_eq!(request("GET", &url, &[], None).json()["stored_parts"], 2);
    let last = tus_patch(&url, at as u64, &bytes[at..], Some(bytes.len()));
    assert_eq!(last.status, 204, "{}", String::from_utf8_lossy(&last.body));
    let clip_id = last.header("offbeat-clip-id").unwrap().to_owned();
    assert_eq!(s3.objects(), vec![format!("clips/{clip_id}.opus")]);
    assert_eq!(
        std::fs::read(s3.object_path(&format!("clips/{clip_id}.opus"))).unwrap(),
        bytes
    );
    assert!(
        s3.pending_multipart_files().is_empty(),
        "completed: {:?}",
        s3.pending_multipart_files()
    );
    let clip = request("GET", &server.api(&format!("/api/v1/clips/{clip_id}")), &[], None).json();
    assert_eq!(clip["media"]["sha256"], sha256_hex(&bytes));
    assert_eq!(clip["duration_ms"], 200_000);

    // A take abandoned after one part: S3's multipart upload is aborted with the session.
    let idle = create(&server, &[("Upload-Defer-Length", "1")]);
    assert_eq!(tus_patch(&idle, 0, &bytes[..PART + 10], None).status, 204);
    assert!(!s3.pending_multipart_files().is_empty());
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    while !s3.pending_multipart_files().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(s3.pending_multipart_files().is_empty(), "abandoned upload aborted");
    assert_eq!(request("HEAD", &idle, &[TUS], None).status, 404);
    assert_eq!(s3.objects().len(), 1, "only the finished clip");
}

/// What tus clients rely on (issue 28): the version rule (412 with `Tus-Version`),
/// `Tus-Resumable` on every answer including errors, `Upload-Expires`, creation-with-upload,
/// malformed `Upload-Metadata` refused — and a final PATCH whose connection drops right after
/// its last byte still becomes the clip, though no answer could be sent.
#[test]
fn tus_clients_get_the_protocol_and_a_final_patch_cut_off_after_its_body_still_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(Backend::Local, &[]);
    let uploads = server.api("/api/v1/uploads");

    // No version, or one not spoken: 412, saying which is.
    for headers in [
        vec![("Upload-Defer-Length", "1")],
        vec![("Tus-Resumable", "0.2.2"), ("Upload-Defer-Length", "1")],
    ] {
        let refused = request("POST", &uploads, &headers, Some(b""));
        assert_eq!(refused.status, 412, "{headers:?}");
        assert_eq!(refused.header("tus-version"), Some("1.0.0"));
        assert_eq!(refused.header("tus-resumable"), Some("1.0.0"));
        assert!(
            refused.error_message().contains("Tus-Resumable"),
            "{}",
            refused.error_message()
        );
    }
    let options = request("OPTIONS", &uploads, &[], None);
    let extensions = options.header("tus-extension").unwrap().to_owned();
    for extension in ["creation", "creation-with-upload", "termination", "expiration"] {
        assert!(extensions.split(',').any(|e| e == extension), "{extensions}");
    }

    // Upload-Metadata that does not parse is refused, and the refusal speaks tus too.
    let crlf = base64_of("Roadmap\r\nBcc: someone@example.com");
    for bad in [
        "title !!!",
        "title VGl0bGU=,title VGl0bGU=",
        &format!("title {crlf}"),
        "ti tle",
    ] {
        let refused = request(
            "POST",
            &uploads,
            &[TUS, ("Upload-Defer-Length", "1"), ("Upload-Metadata", bad)],
            Some(b""),
        );
        assert_eq!(refused.status, 400, "{bad}");
        assert_eq!(refused.header("tus-resumable"), Some("1.0.0"));
    }
    let named = create(
        &server,
        &[
            ("Upload-Defer-Length", "1"),
            ("Upload-Metadata", "title Um9hZG1hcA==,flag"),
        ],
    );
    // Upload-Expires: when an untouched session goes (an HTTP date a day ahead by default).
    let head = request("HEAD", &named, &[TUS], None);
    let expires = head.header("upload-expires").expect("Upload-Expires").to_owned();
    let expires = chrono::DateTime::parse_from_rfc2822(&expires.replace("GMT", "+0000")).unwrap();
    let ahead = expires.signed_duration_since(chrono::Utc::now());
    assert!((23..=24).contains(&ahead.num_hours()), "{expires} is {ahead} ahead");
    // An error answer carries Tus-Resumable.
    let wrong = try_tus_patch(&named, 7, b"x", None).unwrap();
    assert_eq!(wrong.status, 409);
    assert_eq!(wrong.header("tus-resumable"), Some("1.0.0"));

    // creation-with-upload: the body of the POST is the take's first bytes — here all of it.
    let take = take(dir.path(), 3);
    let length = take.len().to_string();
    let created = request(
        "POST",
        &uploads,
        &[
            TUS,
            ("Upload-Length", &length),
            ("Content-Type", "application/offset+octet-stream"),
        ],
        Some(&take),
    );
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert_eq!(created.header("upload-offset"), Some(length.as_str()));
    let clip = created
        .header("offbeat-clip-id")
        .expect("the whole take became a clip")
        .to_owned();
    let media = request("GET", &server.api(&format!("/api/v1/clips/{clip}/media")), &[], None);
    assert_eq!(sha256_hex(&media.body), sha256_hex(&take));
    // A body of another type is not the upload's: nothing of it is kept, and Upload-Offset says so.
    let other = request(
        "POST",
        &uploads,
        &[TUS, ("Upload-Defer-Length", "1"), ("Content-Type", "text/plain")],
        Some(b"hello"),
    );
    assert_eq!(other.status, 201);
    assert_eq!(other.header("upload-offset"), Some("0"));

    // The final PATCH of a camera take, its connection closed the moment its last byte is out.
    let webm = dir.path().join("camera.webm");
    offbeat_tests::tools::live_webm(&webm, "testsrc2=size=640x360:rate=30", 20, "1M");
    let bytes = std::fs::read(&webm).unwrap();
    let session = create(&server, &[("Upload-Length", &bytes.len().to_string())]);
    let half = bytes.len() / 2;
    assert_eq!(tus_patch(&session, 0, &bytes[..half], None).status, 204);
    patch_cut_off(&server, &session, half as u64, &bytes[half..], bytes.len() - half);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let finished = loop {
        let view = request("GET", &session, &[], None).json();
        if !view["clip"].is_null() || std::time::Instant::now() > deadline {
            break view;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        !finished["clip"].is_null(),
        "the take became a clip without an answer sent: {finished}"
    );
    assert_eq!(finished["sha256"].as_str(), Some(sha256_hex(&bytes).as_str()));
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
