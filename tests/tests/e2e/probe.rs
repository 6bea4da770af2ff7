//! What an attacker's probe found (issue 28), each kept found: control characters refused at
//! every entry point, password hashing bounded in memory, guesses on one account taking turns.

use std::time::{Duration, Instant};

use offbeat_tests::http::{request, urlencode};
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::server::{Backend, ServerProc};
use serde_json::{Value, json};

use crate::web_pages::{as_user, share_by_link};

const CLIP: &[u8] = include_bytes!("../../fixtures/speech.opus");

fn json_call(server: &ServerProc, auth: &str, method: &str, path: &str, body: &Value) -> offbeat_tests::http::Reply {
    request(
        method,
        &server.api(path),
        &[("Authorization", auth), ("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    )
}

/// A line break where one line belongs would reach the text part of a mail as a header of its
/// own ("Bcc: …"): titles, names and guest names with control characters are refused, whichever
/// way they come in.
#[test]
fn control_characters_are_refused_at_every_entry_point() {
    let server = ServerProc::start(Backend::Local, &[]);
    let owner = server.user.clone();
    let auth = as_user(&owner);
    let injected = "Roadmap\r\nBcc: someone@example.com";

    let upload = request(
        "POST",
        &server.api(&format!("/api/v1/clips?title={}", urlencode(injected))),
        &[("Authorization", &auth)],
        Some(CLIP),
    );
    assert_eq!(upload.status, 400, "a title by query");
    assert!(
        upload.error_message().contains("control character"),
        "{}",
        upload.error_message()
    );

    let clip = server.upload_file(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech.opus"));
    let id = clip["id"].as_str().unwrap();
    let rename = json_call(
        &server,
        &auth,
        "PATCH",
        &format!("/api/v1/clips/{id}"),
        &json!({ "title": injected }),
    );
    assert_eq!(rename.status, 400, "a new title");
    let profile = json_call(
        &server,
        &auth,
        "PATCH",
        "/api/v1/me",
        &json!({ "display_name": "Olive\nOwner" }),
    );
    assert_eq!(profile.status, 400, "a display name");
    assert!(
        profile.error_message().contains("control character"),
        "{}",
        profile.error_message()
    );

    share_by_link(&server, &owner, id, true);
    let token = get_share_token(&server, &auth, id);
    let guest = request(
        "POST",
        &server.api(&format!("/api/v1/threads/{id}/replies?share={token}")),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "text": "hello", "guest_name": "Eve\r\nBcc: x@example.com" })
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(
        guest.status,
        400,
        "a guest name: {}",
        String::from_utf8_lossy(&guest.body)
    );
    // Plain names still pass.
    let fine = request(
        "POST",
        &server.api(&format!("/api/v1/threads/{id}/replies?share={token}")),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "text": "hello", "guest_name": "Eve Émile" })
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(fine.status, 201, "{}", String::from_utf8_lossy(&fine.body));
}

/// The statuses of `n` requests sent at once; `send(i)` sends the i-th.
fn at_once(n: usize, send: impl Fn(usize) -> u16 + Sync) -> Vec<u16> {
    std::thread::scope(|threads| {
        let send = &send;
        let handles: Vec<_> = (0..n).map(|i| threads.spawn(move || send(i))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The status of a JSON `POST` to `url` without credentials.
fn anonymous_json(url: &str, body: &Value) -> u16 {
    request(
        "POST",
        url,
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    )
    .status
}

fn get_share_token(server: &ServerProc, auth: &str, id: &str) -> String {
    let clip = request(
        "GET",
        &server.api(&format!("/api/v1/clips/{id}")),
        &[("Authorization", auth)],
        None,
    )
    .json();
    clip["sharing"]["token"].as_str().unwrap().to_owned()
}

/// The server's resident memory at its highest, in MiB (Linux's VmHWM).
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

/// Fifty bad sign-ins at once took the server from 178 MB to 1.2 GB (each argon2id hash holds
/// 19 MiB): now one runs per core, a few wait, the rest are told to come back (503).
#[test]
fn fifty_parallel_bad_sign_ins_leave_memory_bounded_and_get_401_or_503() {
    let server = ServerProc::start(Backend::Local, &["--login-attempts-per-minute", "1000"]);
    let before = peak_mib(server.pid());
    let url = server.api("/api/v1/auth/login");
    let answers = at_once(50, |i| {
        let body = json!({ "email": format!("nobody{i}@example.com"), "password": "wrong", "kind": "api" });
        anonymous_json(&url, &body)
    });
    let after = peak_mib(server.pid());
    let refused = answers.iter().filter(|&&s| s == 503).count();
    println!(
        "peak resident memory {before} MiB before, {after} MiB after 50 parallel bad sign-ins; {refused} told to retry"
    );
    assert!(answers.iter().all(|&s| s == 400 || s == 401 || s == 503), "{answers:?}");
    assert!(after < before + 150, "peak {after} MiB (from {before} MiB)");
}

/// Guesses on one account sent all at once used to wait side by side (each its own delay);
/// they take turns now, so the delays add up. On PostgreSQL, where the failures are counted.
#[test]
fn guesses_on_one_account_take_turns_on_postgresql() {
    let postgres = PgCluster::start();
    let server = ServerProc::start(
        Backend::Local,
        &["--database-url", &postgres.url(), "--login-attempts-per-minute", "20"],
    );
    let url = server.api("/api/v1/auth/login");
    let email = server.user.email.clone();
    let started = Instant::now();
    let answers = at_once(16, |_| {
        anonymous_json(&url, &json!({ "email": email, "password": "not it", "kind": "api" }))
    });
    let took = started.elapsed();
    println!("16 parallel guesses on one account took {took:?}: {answers:?}");
    // With 20 a minute, ten are free (one went on the test user's own sign-in), then each
    // waits 0.25, 0.5, 1, 2, 4 s — one after another, not side by side.
    assert!(took >= Duration::from_secs(7), "{took:?}");
    assert!(answers.iter().all(|&s| s == 400), "{answers:?}");
}

/// Forty session creates at once used to pass a cap of twenty (each counted before any
/// inserted): now the count and the insert are one transaction — on both databases.
#[test]
fn parallel_session_creates_stop_at_the_cap_on_both_databases() {
    let postgres = PgCluster::start();
    let url = postgres.url();
    for settings in [vec![], vec!["--database-url", url.as_str()]] {
        let server = ServerProc::start(Backend::Local, &settings);
        let uploads = server.api("/api/v1/uploads");
        let answers = at_once(40, |_| {
            let tus = [("Tus-Resumable", "1.0.0"), ("Upload-Defer-Length", "1")];
            request("POST", &uploads, &tus, Some(b"")).status
        });
        let opened = answers.iter().filter(|&&s| s == 201).count();
        let refused = answers.iter().filter(|&&s| s == 429).count();
        println!("{settings:?}: {opened} opened, {refused} refused");
        assert_eq!((opened, refused), (20, 20), "{answers:?}");
        let files = std::fs::read_dir(server.data_dir().join("uploads")).unwrap().count();
        assert_eq!(files, 20, "a refused session leaves no file");
    }
}

/// An admin who is removed takes their word with them: their invitations admit nobody, and
/// what they were uploading is discarded at once — on both databases.
#[test]
fn a_removed_admins_invitations_admit_nobody_and_their_uploads_go() {
    let postgres = PgCluster::start();
    let url = postgres.url();
    for settings in [vec![], vec!["--database-url", url.as_str()]] {
        let server = ServerProc::start(Backend::Local, &settings);
        let ada = server.add_admin("ada@example.com", "Ada", "Europe/Berlin", "Default");
        let ben = server.add_admin("ben@example.com", "Ben", "Asia/Manila", "Default");
        let as_ben = as_user(&ben);
        let invite = json_call(&server, &as_ben, "POST", "/api/v1/invites", &json!({}));
        assert_eq!(invite.status, 201, "{}", String::from_utf8_lossy(&invite.body));
        let token = invite.json()["url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let session = request(
            "POST",
            &server.api("/api/v1/uploads"),
            &[
                ("Authorization", &as_ben),
                ("Tus-Resumable", "1.0.0"),
                ("Upload-Defer-Length", "1"),
            ],
            Some(b""),
        );
        assert_eq!(session.status, 201);
        let staged = || std::fs::read_dir(server.data_dir().join("uploads")).unwrap().count();
        assert_eq!(staged(), 1);

        let removed = json_call(
            &server,
            &as_user(&ada),
            "DELETE",
            &format!("/api/v1/members/{}", ben.id),
            &json!({}),
        );
        assert!(removed.status < 300, "{}", String::from_utf8_lossy(&removed.body));
        assert_eq!(staged(), 0, "{settings:?}: the removed admin's upload is gone");
        let joined = request(
            "POST",
            &server.api("/api/v1/invites/accept"),
            &[("Authorization", ""), ("Content-Type", "application/json")],
            Some(
                json!({ "token": token, "name": "Eve", "email": "eve@example.com",
                        "password": "correct horse battery staple", "time_zone": "Europe/Paris" })
                .to_string()
                .as_bytes(),
            ),
        );
        assert_eq!(
            joined.status,
            410,
            "{settings:?}: {}",
            String::from_utf8_lossy(&joined.body)
        );
    }
}

/// Each start of a server without accounts prints a setup link; only the newest opens setup.
#[test]
fn only_the_newest_setup_link_opens_setup() {
    let mut server = ServerProc::launch(Backend::Local, &[]);
    let link = |line: String| {
        line.split_whitespace()
            .find(|w| w.contains("/setup/"))
            .unwrap()
            .to_owned()
    };
    let first = link(server.printed_line("/setup/"));
    let anonymous = [("Authorization", "")];
    assert_eq!(request("GET", &first, &anonymous, None).status, 200);
    server.kill();
    server.restart();
    let second = link(server.printed_line("/setup/"));
    assert_ne!(first, second);
    assert_eq!(request("GET", &first, &anonymous, None).status, 404, "the earlier link");
    assert_eq!(request("GET", &second, &anonymous, None).status, 200);
}

/// What the probe found holding, kept in the suite so it keeps holding: a session cookie alone
/// writes nothing (CSRF), another workspace reaches nothing, malformed JSON, bogus ranges and
/// garbage uploads get 4xx (never a 5xx), webhook targets that reach inward are refused in their
/// many spellings, and hundreds of idle connections from one client leave the server answering
/// everyone else.
#[test]
fn what_held_against_the_probe_keeps_holding() {
    let server = ServerProc::start(Backend::Local, &[]);
    let owner = server.user.clone();
    let auth = as_user(&owner);
    let clip = server.upload_file(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech.opus"));
    let id = clip["id"].as_str().unwrap().to_owned();
    let description = request("GET", &server.api("/api/v1/openapi.json"), &[], None).json();
    let operations: Vec<(String, String)> = description["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|method| (method.to_uppercase(), path.replace("{id}", &id)))
                .collect::<Vec<_>>()
        })
        .filter(|(_, path)| !path.contains('{'))
        .collect();

    // CSRF: every write with the session cookie and no token is refused.
    let session = request(
        "POST",
        &server.api("/api/v1/auth/login"),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "email": owner.email, "password": offbeat_tests::server::TEST_PASSWORD, "kind": "session" })
                .to_string()
                .as_bytes(),
        ),
    );
    let cookie = session
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let writes: Vec<&(String, String)> = operations
        .iter()
        .filter(|(method, path)| {
            matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
                && path.starts_with("/api/v1/")
                && !path.starts_with("/api/v1/uploads")
                // These act on no session's authority: what they are sent proves who is asking.
                && !matches!(
                    path.as_str(),
                    "/api/v1/auth/login" | "/api/v1/invites/accept" | "/api/v1/auth/recorder-token"
                )
        })
        .collect();
    for (method, path) in &writes {
        let forged = request(
            method,
            &server.api(path),
            &[
                ("Authorization", ""),
                ("Cookie", &cookie),
                ("Content-Type", "application/json"),
            ],
            Some(b"{}"),
        );
        assert_eq!(forged.status, 403, "{method} {path} with the cookie alone");
    }
    println!("{} writes refused without the CSRF token", writes.len());
    assert!(writes.len() >= 22);

    // Another workspace: every read of this clip answers as for a clip that does not exist.
    let stranger = server.add_user("eve@example.com", "Eve", "Europe/Paris", "Elsewhere");
    let reads: Vec<&(String, String)> = operations
        .iter()
        .filter(|(method, path)| method == "GET" && path.contains(&id))
        .collect();
    for (_, path) in &reads {
        let seen = request(
            "GET",
            &server.api(path),
            &[("Authorization", &as_user(&stranger))],
            None,
        );
        assert_eq!(seen.status, 404, "GET {path} from another workspace");
    }
    assert!(reads.len() >= 8, "{reads:?}");

    // Malformed JSON: a 4xx with the error shape, for each of fifty bodies.
    let bodies: Vec<Vec<u8>> = (0..50)
        .map(|i| match i % 5 {
            0 => b"{".repeat(i + 1),
            1 => format!("{{\"title\": {}}}", "[".repeat(i)).into_bytes(),
            2 => vec![0xff; i + 1],
            3 => format!("{{\"title\": \"{}\"", "x".repeat(i)).into_bytes(),
            _ => format!("[{}]", i).into_bytes(),
        })
        .collect();
    for body in &bodies {
        let answer = request(
            "PATCH",
            &server.api(&format!("/api/v1/clips/{id}")),
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            Some(body),
        );
        assert!(
            (400..500).contains(&answer.status),
            "{}: {}",
            String::from_utf8_lossy(body),
            answer.status
        );
        assert!(answer.json()["error"]["message"].is_string());
    }

    // Bogus ranges: never a 5xx; past the end is 416.
    let media = server.api(&format!("/api/v1/clips/{id}/media"));
    for range in [
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=5-2",
        "bytes=0-0,1-1",
        "bytes=99999999-",
        "bytes=-0",
        "bytes=0--1",
        "bytes= 1 - 2 ",
        "items=0-1",
        "bytes=18446744073709551616-",
        "bytes=-18446744073709551616",
        "bytes=1-18446744073709551615",
        "bytes=0-1,",
        "bytes=,",
        "bytes=--1",
        "bytes=1",
        "bytes=0-0-0",
        "bytes=0x10-0x20",
        "bytes=+1-2",
        "BYTES=0-1",
        "bytes=9007199254740993-9007199254740994",
    ] {
        let answer = request("GET", &media, &[("Authorization", &auth), ("Range", range)], None);
        assert!(matches!(answer.status, 200 | 206 | 416), "{range}: {}", answer.status);
    }

    // Garbage uploads: refused with a reason, nothing kept.
    let before = request("GET", &server.api("/api/v1/clips"), &[("Authorization", &auth)], None).json()["clips"]
        .as_array()
        .unwrap()
        .len();
    let mut junk: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"OggS".to_vec(),
        b"OggS\0\x02".repeat(10),
        b"\x1aE\xdf\xa3".to_vec(),
        b"\x1aE\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1f".to_vec(),
        b"RIFF....WAVEfmt ".to_vec(),
        b"ID3\x03\x00".to_vec(),
        b"fLaC".to_vec(),
        b"<html>".to_vec(),
        vec![0; 4096],
        vec![0xff; 4096],
    ];
    let opus = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech.opus")).unwrap();
    for cut in [28, 60, 200] {
        junk.push(opus[..cut].to_vec());
    }
    for flip in [30, 100, 500, 2000] {
        let mut broken = opus.clone();
        broken[flip] ^= 0x55;
        junk.push(broken);
    }
    assert_eq!(junk.len(), 18);
    for body in &junk {
        let answer = request(
            "POST",
            &server.api("/api/v1/clips"),
            &[("Authorization", &auth)],
            Some(body),
        );
        assert!(
            matches!(answer.status, 400 | 413 | 415),
            "{} bytes: {}",
            body.len(),
            answer.status
        );
    }
    let after = request("GET", &server.api("/api/v1/clips"), &[("Authorization", &auth)], None).json()["clips"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "no garbage became a clip");

    // Webhook targets that reach inward, however spelled, are refused.
    let admin = server.add_admin("ada@example.com", "Ada", "Europe/Berlin", "Default");
    for url in [
        "http://127.0.0.1/x",
        "http://127.1/x",
        "http://2130706433/x",
        "http://0x7f000001/x",
        "http://0177.0.0.1/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[::ffff:7f00:1]/x",
        "http://[::127.0.0.1]/x",
        "http://[2002:7f00:1::]/x",
        "http://[64:ff9b::7f00:1]/x",
        "http://[fec0::1]/x",
        "http://[fe80::1]/x",
        "http://10.0.0.1/x",
        "http://192.168.1.1/x",
        "http://172.16.0.1/x",
        "http://169.254.169.254/x",
        "http://100.64.0.1/x",
        "http://0.0.0.0/x",
        "http://localhost/x",
        "http://[::]/x",
    ] {
        let answer = json_call(
            &server,
            &as_user(&admin),
            "POST",
            "/api/v1/webhooks",
            &json!({ "url": url, "events": ["reply.created"] }),
        );
        assert_eq!(answer.status, 400, "{url}: {}", String::from_utf8_lossy(&answer.body));
    }

    // Three hundred idle connections from one client: everyone else is still answered.
    let at = server.url.trim_start_matches("http://").to_owned();
    let idle: Vec<std::net::TcpStream> = (0..300)
        .filter_map(|_| {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).ok()?;
            socket
                .bind(&"127.0.0.3:0".parse::<std::net::SocketAddr>().unwrap().into())
                .ok()?;
            socket
                .connect(&at.parse::<std::net::SocketAddr>().unwrap().into())
                .ok()?;
            Some(socket.into())
        })
        .collect();
    assert!(idle.len() >= 250, "{} connections opened", idle.len());
    let started = Instant::now();
    assert_eq!(request("GET", &server.api("/healthz"), &[], None).status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(idle);
}
