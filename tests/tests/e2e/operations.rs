//! Operations: Prometheus metrics on their own address, never on the app's; a data directory
//! nobody but the server's user can read.

use std::time::Duration;

use offbeat_tests::http::{get, request};
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::wait::wait_until;

#[test]
fn metrics_count_requests_sessions_and_jobs_apart_from_the_app() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let metrics_listen = format!("127.0.0.1:{port}");
    let server = ServerProc::start(Backend::Local, &["--metrics-listen", &metrics_listen]);
    server.upload_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/chromium-audio.webm"
    )));
    assert_eq!(get(&server.api("/api/v1/clips")).status, 200);
    assert_eq!(
        get(&server.api("/api/v1/clips/0123456789abcdef0123456789abcdef")).status,
        404
    );
    let session = request(
        "POST",
        &server.api("/api/v1/uploads"),
        &[("Tus-Resumable", "1.0.0"), ("Upload-Defer-Length", "1")],
        None,
    );
    assert_eq!(session.status, 201);
    // Not where users reach the app.
    assert_eq!(
        request("GET", &server.api("/metrics"), &[("Authorization", "")], None).status,
        404
    );

    let metrics_url = format!("http://{metrics_listen}/metrics");
    let text = wait_until("the gauges refreshed", Duration::from_secs(20), || {
        let text = String::from_utf8(get(&metrics_url).body).unwrap();
        text.contains("offbeat_upload_sessions_open 1").then_some(text)
    });
    let has = |series: &str, labels: &[&str]| {
        text.lines()
            .any(|line| line.starts_with(series) && labels.iter().all(|label| line.contains(label)))
    };
    assert!(
        has(
            "http_requests_total{",
            &["route=\"/api/v1/clips\"", "method=\"GET\"", "status=\"200\""]
        ),
        "{text}"
    );
    assert!(
        has(
            "http_requests_total{",
            &["route=\"/api/v1/clips/{id}\"", "status=\"404\""]
        ),
        "{text}"
    );
    assert!(
        has(
            "http_requests_total{",
            &["route=\"/api/v1/clips\"", "method=\"POST\"", "status=\"201\""]
        ),
        "{text}"
    );
    assert!(
        has(
            "http_request_duration_seconds_bucket{",
            &["route=\"/api/v1/clips\"", "le=\"0.005\""]
        ),
        "{text}"
    );
    // No model here: the uploaded clip's transcript job waits in the queue.
    assert!(has("offbeat_jobs_pending 1", &[]), "{text}");
    assert!(has("offbeat_jobs_oldest_pending_seconds", &[]), "{text}");
    linted_clean(&text);
}

/// Every family says what it is, promtool (Prometheus' own linter) finds nothing, and there
/// are histograms, never summaries (whose quantiles read 0 a minute after the last observation).
fn linted_clean(text: &str) {
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let family = line.split_whitespace().nth(2).unwrap();
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "no HELP for {family}:\n{text}"
        );
        assert!(!line.ends_with(" summary"), "{line}");
    }
    offbeat_tests::tools::require(&["promtool"]);
    let mut lint = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut lint.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let linted = lint.wait_with_output().unwrap();
    assert!(
        linted.status.success() && linted.stdout.is_empty() && linted.stderr.is_empty(),
        "promtool: {}{}",
        String::from_utf8_lossy(&linted.stdout),
        String::from_utf8_lossy(&linted.stderr)
    );
}

/// Transcription's real-time factor is a histogram with buckets, described like the rest.
#[test]
fn transcription_speed_is_a_histogram_promtool_accepts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let metrics_listen = format!("127.0.0.1:{port}");
    let mut flags = offbeat_tests::speech::transcribe_args();
    flags.extend(["--metrics-listen".to_owned(), metrics_listen.clone()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &flags);
    let clip = server.upload_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/speech.opus"
    )));
    let id = clip["id"].as_str().unwrap();
    let transcript = offbeat_tests::speech::wait_for_transcript(&server, id, Duration::from_secs(300));
    assert_eq!(transcript["status"], "ready", "{transcript}");
    let metrics_url = format!("http://{metrics_listen}/metrics");
    let text = String::from_utf8(get(&metrics_url).body).unwrap();
    assert!(
        text.contains("offbeat_transcription_real_time_factor_bucket{le=\"0.5\"}"),
        "{text}"
    );
    assert!(
        text.contains("offbeat_transcription_real_time_factor_count 1"),
        "{text}"
    );
    linted_clean(&text);
}

/// Every file and directory under `dir`.
fn everything_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(everything_in(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn the_data_directory_is_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let server = ServerProc::start(Backend::Local, &[]);
    server.upload_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/chromium-audio.webm"
    )));
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(server.data_dir()), 0o700, "the data directory");
    let files = everything_in(server.data_dir());
    assert!(
        files.iter().any(|f| f.extension().is_some_and(|e| e == "db")),
        "the database is there: {files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.is_file() && f.starts_with(server.data_dir().join("clips-store"))),
        "the stored clip is there: {files:?}"
    );
    for file in &files {
        assert_eq!(mode(file) & 0o077, 0, "{} is {:o}", file.display(), mode(file));
    }
}

#[test]
fn errors_are_one_line_and_logs_in_a_pipe_have_no_colour() {
    let data = tempfile::tempdir().unwrap();
    let server = offbeat_tests::tools::workspace_bin("server");
    // A refused setting, with RUST_BACKTRACE set as many shells have it: one line.
    let refused = std::process::Command::new(&server)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--database-url", "mysql://db/offbeat"])
        .env("RUST_BACKTRACE", "1")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.starts_with("error: the database URL"), "{said}");
    // With -v, the backtrace too.
    let verbose = std::process::Command::new(&server)
        .arg("-v")
        .arg("--data-dir")
        .arg(data.path())
        .args(["--database-url", "mysql://db/offbeat"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&verbose.stderr).lines().count() > 1);

    // Logs written to a pipe: plain text.
    let mut serving = std::process::Command::new(&server)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(serving.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let _ = serving.kill();
    let _ = serving.wait();
    assert!(line.contains("WARN"), "the first log line: {line:?}");
    assert!(!line.contains('\u{1b}'), "colour codes in a pipe: {line:?}");
}
