//! Clients that stall, trickle or pile up cannot hold the server hostage: idle and half-sent
//! requests are closed after the header deadline, connections beyond the cap are told 503 while
//! the server keeps answering once there is room, an upload whose connection goes quiet frees
//! its session with what arrived kept (the resume succeeds), and SIGTERM ends the process
//! within its grace whatever the clients are doing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use sha2::Digest;

use offbeat_tests::http::{get, request};
use offbeat_tests::server::{Backend, ServerProc};

const CLIP: &[u8] = include_bytes!("../../fixtures/chromium-audio.webm");

fn address(server: &ServerProc) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// Whether the server closed `stream` (reading gives nothing more) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn idle_and_half_sent_requests_are_closed_and_the_cap_answers_503() {
    let server = ServerProc::start(
        Backend::Local,
        &[
            "--header-timeout-secs",
            "2",
            "--max-connections",
            "40",
            // All from one address here: the global cap is what this test is about.
            "--max-connections-per-address",
            "40",
        ],
    );
    let at = address(&server);
    let mut idle: Vec<TcpStream> = (0..25).map(|_| TcpStream::connect(&at).unwrap()).collect();
    for _ in 0..5 {
        let mut half = TcpStream::connect(&at).unwrap();
        half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        idle.push(half);
    }
    // Thirty connections doing nothing: the server still answers.
    assert_eq!(get(&server.api("/healthz")).status, 200);
    let started = Instant::now();
    for stream in &mut idle {
        assert!(
            closed_within(stream, Duration::from_secs(6)),
            "a silent connection stays open after {:?}",
            started.elapsed()
        );
    }

    // Forty-five at once against a cap of forty: the last ones are told 503 and closed.
    let mut crowd: Vec<TcpStream> = (0..45).map(|_| TcpStream::connect(&at).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut refused = 0;
    for stream in &mut crowd {
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        if answer.starts_with(b"HTTP/1.1 503") {
            assert!(String::from_utf8_lossy(&answer).contains("too many open connections"));
            refused += 1;
        }
    }
    assert!(refused >= 5, "{refused} of 45 refused at a cap of 40");
    drop(crowd);
    // Room again once the crowd has gone.
    offbeat_tests::wait::wait_until("room again", Duration::from_secs(10), || {
        (get(&server.api("/healthz")).status == 200).then_some(())
    });
}

/// A connection to `at` from the loopback address `from` (127.0.0.2…: every 127/8 address is
/// this machine's, so one machine can be several clients).
fn connect_from(from: &str, at: &str) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: std::net::SocketAddr = format!("{from}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    let remote: std::net::SocketAddr = at.parse().unwrap();
    socket.connect(&remote.into()).unwrap();
    socket.into()
}

/// A 64 KB sign-in body sent a byte a second used to hold its connection for good (each byte
/// resets the idle deadline), and twenty of them filled the server: now a small body has a
/// deadline in all, and one address holds at most its share of the connections — the others'
/// requests are answered meanwhile.
#[test]
fn trickled_small_bodies_end_at_their_deadline_and_one_address_cannot_fill_the_server() {
    let server = ServerProc::start(
        Backend::Local,
        &["--max-connections", "40", "--small-body-deadline-secs", "3"],
    );
    let at = address(&server);
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {at}\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n"
    );
    // Twenty trickling clients from one address: its share (a quarter of 40) gets in.
    let mut slow: Vec<TcpStream> = (0..20).map(|_| connect_from("127.0.0.2", &at)).collect();
    let started = Instant::now();
    let mut refused = 0;
    let mut admitted = Vec::new();
    for mut stream in slow.drain(..) {
        stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut first = [0u8; 64];
        match stream.read(&mut first) {
            Ok(n) if n > 0 && first[..n].starts_with(b"HTTP/1.1 503") => refused += 1,
            _ => {
                stream.write_all(head.as_bytes()).unwrap();
                admitted.push(stream);
            }
        }
    }
    assert_eq!(
        (admitted.len(), refused),
        (10, 10),
        "the address's share is ten of forty"
    );
    // Another client is served meanwhile.
    assert_eq!(get(&server.api("/healthz")).status, 200);
    // A byte a second: each trickled body ends at its deadline with a 4xx, and is closed.
    let mut answered = vec![None; admitted.len()];
    while answered.iter().any(Option::is_none) && started.elapsed() < Duration::from_secs(20) {
        for (stream, answer) in admitted.iter_mut().zip(answered.iter_mut()) {
            if answer.is_some() {
                continue;
            }
            let _ = stream.write_all(b"{");
            stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            let mut buf = [0u8; 256];
            if let Ok(n) = stream.read(&mut buf)
                && n > 0
            {
                *answer = Some((String::from_utf8_lossy(&buf[..n]).into_owned(), started.elapsed()));
            }
        }
        std::thread::sleep(Duration::from_millis(1000));
    }
    for answer in &answered {
        let (text, after) = answer.as_ref().expect("every trickled body was answered within 20 s");
        assert!(text.starts_with("HTTP/1.1 4"), "{text}");
        assert!(*after < Duration::from_secs(10), "answered after {after:?}");
    }
    println!(
        "ten trickled bodies answered after {:?}",
        answered.iter().flatten().map(|(_, t)| *t).max()
    );
}

/// A tus session for the fixture clip; its URL.
fn session(server: &ServerProc) -> String {
    let length = CLIP.len().to_string();
    let created = request(
        "POST",
        &server.api("/api/v1/uploads"),
        &[("Tus-Resumable", "1.0.0"), ("Upload-Length", &length)],
        None,
    );
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    created.header("location").unwrap().to_owned()
}

/// Starts a PATCH of the whole clip at offset 0 by hand, sends `sent` bytes of it, and goes
/// quiet (no FIN): a network that vanished.
fn quiet_patch(server: &ServerProc, url: &str, sent: usize) -> TcpStream {
    let path = url.split_once("://").unwrap().1.split_once('/').unwrap().1;
    let mut stream = TcpStream::connect(address(server)).unwrap();
    let head = format!(
        "PATCH /{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        address(server),
        server.user.token,
        CLIP.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&CLIP[..sent]).unwrap();
    stream.flush().unwrap();
    stream
}

#[test]
fn an_upload_whose_connection_goes_quiet_frees_its_session_for_the_resume() {
    let server = ServerProc::start(Backend::Local, &["--body-idle-timeout-secs", "2"]);
    let url = session(&server);
    let half = CLIP.len() / 2;
    let _quiet = quiet_patch(&server, &url, half);
    // While the PATCH is live, another writer is refused; once it has been quiet past the
    // deadline, the session is free and holds what arrived.
    std::thread::sleep(Duration::from_millis(500));
    let tus = [("Tus-Resumable", "1.0.0")];
    let offset = offbeat_tests::wait::wait_until("the quiet PATCH to end", Duration::from_secs(10), || {
        let head = request("HEAD", &url, &tus, None);
        let offset: usize = head.header("upload-offset")?.parse().ok()?;
        (head.status == 200 && offset == half).then_some(offset)
    });
    let rest = offset.to_string();
    let resumed = request(
        "PATCH",
        &url,
        &[
            ("Tus-Resumable", "1.0.0"),
            ("Content-Type", "application/offset+octet-stream"),
            ("Upload-Offset", &rest),
        ],
        Some(&CLIP[offset..]),
    );
    assert_eq!(resumed.status, 204, "{}", String::from_utf8_lossy(&resumed.body));
    assert!(
        resumed.header("offbeat-clip-id").is_some(),
        "the resume finished the take"
    );
    // What arrived, across the quiet PATCH and the resume, is the take byte for byte.
    let shown = request("GET", &url, &tus, None).json();
    let expected = hex::encode(sha2::Sha256::digest(CLIP));
    assert_eq!(shown["sha256"].as_str(), Some(expected.as_str()), "{shown}");
}

#[test]
fn sigterm_ends_the_server_within_its_grace_whatever_clients_do() {
    let mut server = ServerProc::start(
        Backend::Local,
        &[
            "--shutdown-grace-secs",
            "2",
            "--body-idle-timeout-secs",
            "120",
            "--header-timeout-secs",
            "120",
        ],
    );
    let url = session(&server);
    let _stalled_upload = quiet_patch(&server, &url, 1000);
    let at = address(&server);
    let _idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(&at).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    offbeat_tests::wait::wait_until("the server to exit", Duration::from_secs(15), || {
        (!server.is_running()).then_some(())
    });
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "SIGTERM took {:?} with a stalled upload and idle clients",
        started.elapsed()
    );
}

#[test]
fn a_take_streams_in_while_idle_and_slow_clients_crowd_the_server() {
    let server = ServerProc::start(
        Backend::Local,
        &["--header-timeout-secs", "3", "--max-connections", "300"],
    );
    let at = address(&server);
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    // A hundred idle connections and twenty that trickle their headers a byte at a time, from
    // clients of their own (each address holds at most its share of the connections).
    let _idle: Vec<TcpStream> = (0..100)
        .map(|i| connect_from(&format!("127.0.1.{}", i % 4 + 1), &at))
        .collect();
    let trickling: Vec<_> = (0..20)
        .map(|i| {
            let (at, running) = (at.clone(), running.clone());
            std::thread::spawn(move || {
                let mut stream = connect_from(&format!("127.0.2.{}", i % 4 + 1), &at);
                for byte in b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                {
                    if !running.load(std::sync::atomic::Ordering::Relaxed) || stream.write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        })
        .collect();
    // Health, asked every 100 ms throughout.
    let health = {
        let (url, running) = (server.api("/healthz"), running.clone());
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                answers.push(get(&url).status);
                std::thread::sleep(Duration::from_millis(100));
            }
            answers
        })
    };

    // The take: eight pieces, one every 250 ms, the last one saying the length.
    let created = request(
        "POST",
        &server.api("/api/v1/uploads"),
        &[("Tus-Resumable", "1.0.0"), ("Upload-Defer-Length", "1")],
        None,
    );
    assert_eq!(created.status, 201);
    let url = created.header("location").unwrap().to_owned();
    let pieces: Vec<&[u8]> = CLIP.chunks(CLIP.len().div_ceil(8)).collect();
    let mut offset = 0;
    let mut stop_to_link = Duration::ZERO;
    for (n, piece) in pieces.iter().enumerate() {
        let at_offset = offset.to_string();
        let length = CLIP.len().to_string();
        let mut headers = vec![
            ("Tus-Resumable", "1.0.0"),
            ("Content-Type", "application/offset+octet-stream"),
            ("Upload-Offset", at_offset.as_str()),
        ];
        let last = n + 1 == pieces.len();
        if last {
            headers.push(("Upload-Length", length.as_str()));
        }
        let started = Instant::now();
        let sent = request("PATCH", &url, &headers, Some(piece));
        assert_eq!(sent.status, 204, "piece {n}: {}", String::from_utf8_lossy(&sent.body));
        offset += piece.len();
        if last {
            stop_to_link = started.elapsed();
            assert!(sent.header("offbeat-clip-id").is_some());
        } else {
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let answers = health.join().unwrap();
    for thread in trickling {
        thread.join().unwrap();
    }
    eprintln!(
        "stop to link under the crowd: {stop_to_link:?}; /healthz asked {} times",
        answers.len()
    );
    assert!(
        stop_to_link <= Duration::from_millis(250),
        "stop to link took {stop_to_link:?}"
    );
    assert!(answers.len() >= 10 && answers.iter().all(|s| *s == 200), "{answers:?}");
}
