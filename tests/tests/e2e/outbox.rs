//! Local first: a take recorded by `recorder share` lives in the outbox until the server has
//! it. Killed mid-take, the recorder leaves a playable take that `recorder outbox` sends; takes
//! sent through a network that keeps dropping connections arrive byte-exact.

use std::time::Duration;

use offbeat_tests::http::get;
use offbeat_tests::process::Watched;
use offbeat_tests::proxy::FlakyProxy;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{outbox_take, recorder, run_ok, speech};
use offbeat_tests::wait::{ogg_seconds, wait_until};
use sha2::{Digest, Sha256};

#[test]
fn a_take_killed_mid_recording_is_sent_by_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let server = ServerProc::start(Backend::Local, &[]);
    let mic = VirtualMic::start();
    let speech = speech(dir.path(), "speech", "please review the quarterly budget before friday");
    let mut proc = Watched::spawn(&mut server.share_command(&mic, &outbox, "Standup", &[]));
    proc.wait_for_line("Recording from", Duration::from_secs(15));
    mic.play(&speech);
    // Killed once the take on disk holds 2.5 s, whatever the machine's pace.
    wait_until("2.5 s in the outbox's take", Duration::from_secs(20), || {
        outbox_take(&outbox).filter(|take| ogg_seconds(take) >= 2.5)
    });
    proc.child.kill().unwrap(); // SIGKILL mid-take
    let (status, _) = proc.finish(Duration::from_secs(5));
    assert!(!status.success());

    // The take waits in the outbox, with what it is for.
    let takes: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "opus"))
        .collect();
    assert_eq!(takes.len(), 1, "{takes:?}");
    let take = std::fs::read(&takes[0]).unwrap();
    let listed = run_ok(
        server
            .recorder()
            .env("OFFBEAT_OUTBOX_DIR", &outbox)
            .args(["outbox", "--list"]),
    );
    assert!(String::from_utf8_lossy(&listed.stderr).contains(&server.url));

    // Next start: the outbox sends its playable part, confirmed by sha256, and empties.
    let sent = run_ok(server.recorder().env("OFFBEAT_OUTBOX_DIR", &outbox).arg("outbox"));
    let link = String::from_utf8(sent.stdout).unwrap().trim().to_owned();
    assert!(link.starts_with(&format!("{}/c/", server.url)), "{link}");
    let token = link.rsplit('/').next().unwrap();
    let clip = get(&server.api(&format!("/api/v1/shared/{token}"))).json();
    assert_eq!(clip["title"], "Standup");
    assert_eq!(clip["media"]["sha256"], hex::encode(Sha256::digest(&take)));
    let seconds = clip["duration_ms"].as_f64().unwrap() / 1000.0;
    assert!(seconds >= 2.0, "{seconds} s survived");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0, "the outbox is empty");
    let again = run_ok(server.recorder().env("OFFBEAT_OUTBOX_DIR", &outbox).arg("outbox"));
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty"));
}

#[test]
fn twenty_takes_through_a_connection_dropping_network_all_arrive_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    // The server's public URL is the proxy's, so every request (and every URL the server
    // hands out) goes through it.
    let address = FlakyProxy::bind();
    let server = ServerProc::start(Backend::Local, &["--public-url", &address.url]);
    // Every connection is cut after 10–40 kB from the recorder — mid-request, mid-body or
    // between requests — so every take (40–56 kB) loses at least one on the way.
    let proxy = FlakyProxy::start(address, &server.url, |k| {
        Some(10_000 + (k as u64 * 7_919 * 104_729) % 30_000)
    });
    let mut takes = Vec::new();
    for i in 0..20 {
        let wav = dir.path().join(format!("tone-{i}.wav"));
        run_ok(
            // -R: the same noise every run, so every run cuts at the same places.
            std::process::Command::new("sox")
                .args(["-R", "-n", "-r", "48000", "-c", "1"])
                .arg(&wav)
                .args(["synth", &(5 + i % 3).to_string(), "pinknoise", "vol", "0.3"]),
        );
        let take = outbox.join(format!("take-20261125-0900{i:02}-000.opus"));
        run_ok(recorder().arg("encode").arg(&wav).arg(&take).args(["--bitrate", "64k"]));
        let meta = serde_json::json!({
            "server": proxy.url, "title": format!("Take {i}"), "reply_to": null, "at_ms": null, "upload_url": null,
        });
        std::fs::write(take.with_extension("json"), meta.to_string()).unwrap();
        takes.push(std::fs::read(&take).unwrap());
    }
    let sent = run_ok(server.recorder().env("OFFBEAT_OUTBOX_DIR", &outbox).arg("outbox"));
    let links: Vec<String> = String::from_utf8(sent.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(links.len(), 20, "{links:?}");
    eprintln!("{} connections were cut on the way", proxy.cuts());
    assert!(proxy.cuts() >= 20, "only {} connections were cut", proxy.cuts());
    for (i, (link, take)) in links.iter().zip(&takes).enumerate() {
        assert!(link.starts_with(&format!("{}/c/", proxy.url)), "{link}");
        let token = link.rsplit('/').next().unwrap();
        let clip = get(&server.api(&format!("/api/v1/shared/{token}"))).json();
        assert_eq!(clip["title"], format!("Take {i}"));
        assert_eq!(clip["media"]["sha256"], hex::encode(Sha256::digest(take)), "take {i}");
    }
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0, "the outbox is empty");
}

/// `recorder share` opens the microphone before it asks for a link: without one it fails with
/// one line, and leaves no link saying "recording…", no upload session and no take behind.
/// A take without its note in the outbox is listed, not hidden.
#[test]
fn a_share_without_a_microphone_gives_out_no_link_and_the_outbox_hides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let metrics = format!("127.0.0.1:{port}");
    let server = ServerProc::start(Backend::Local, &["--metrics-listen", &metrics]);
    let nowhere = dir.path().join("no-runtime");
    std::fs::create_dir(&nowhere).unwrap();
    let shared = server
        .recorder()
        .env("XDG_RUNTIME_DIR", &nowhere)
        .env("PULSE_SERVER", format!("unix:{}/none", nowhere.display()))
        .env("OFFBEAT_OUTBOX_DIR", &outbox)
        .args(["share", "--server", &server.url, "--title", "Standup"])
        .output()
        .unwrap();
    assert!(!shared.status.success());
    let said = String::from_utf8_lossy(&shared.stderr);
    assert!(said.contains("no usable input device"), "{said}");
    assert!(
        !said.contains("/c/") && !said.contains("Link"),
        "no link was given out: {said}"
    );
    assert!(String::from_utf8_lossy(&shared.stdout).trim().is_empty());
    let left: Vec<_> = std::fs::read_dir(&outbox)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing left in the outbox: {left:?}");
    let text = String::from_utf8(get(&format!("http://{metrics}/metrics")).body).unwrap();
    assert!(
        text.contains("offbeat_upload_sessions_open 0"),
        "no upload session was opened: {}",
        text.lines()
            .filter(|l| l.contains("sessions_open"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // A take whose note is gone is still listed, with what to do about it.
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(outbox.join("take-20261207-090000-000.opus"), b"OggS").unwrap();
    std::fs::write(outbox.join("take-20261207-080000-000.json"), b"{}").unwrap();
    let listed = run_ok(
        server
            .recorder()
            .env("OFFBEAT_OUTBOX_DIR", &outbox)
            .args(["outbox", "--list"]),
    );
    let listing = String::from_utf8_lossy(&listed.stderr);
    assert!(
        listing.contains("take-20261207-090000-000.opus") && listing.contains("no note of where it goes"),
        "{listing}"
    );
    assert!(!listing.contains("The outbox is empty"), "{listing}");
    assert!(
        !outbox.join("take-20261207-080000-000.json").exists(),
        "a note without its take is cleared"
    );
}
